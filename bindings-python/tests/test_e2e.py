"""Every operation end to end against ivschat.testing.LocalServer, sync and async."""
from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any, Set

import pytest

import ivschat
from ivschat.testing import LocalServer

ALL_OPS = {
    "create_chat_token", "create_logging_configuration", "create_room", "delete_logging_configuration",
    "delete_message", "delete_room", "disconnect_user", "get_logging_configuration", "get_room",
    "list_logging_configurations", "list_rooms", "list_tags_for_resource", "send_event", "tag_resource",
    "untag_resource", "update_logging_configuration", "update_room",
}


def utc(t: Any) -> bool:
    return isinstance(t, datetime.datetime) and t.utcoffset() == datetime.timedelta(0)


def test_sync_every_operation(client: ivschat.Client) -> None:
    used: Set[str] = set()
    tag = uuid.uuid4().hex[:8]
    lc = client.create_logging_configuration(
        name=f"lc-{tag}", destination_configuration={"s3": {"bucket_name": "my-bucket"}}, tags={"k": "v"})
    used.add("create_logging_configuration")
    assert isinstance(lc, ivschat.CreateLoggingConfigurationResponse)
    assert lc.destination_configuration == ivschat.DestinationConfiguration(
        s3=ivschat.S3DestinationConfiguration(bucket_name="my-bucket"))
    assert lc.state == "ACTIVE" and utc(lc.create_time)
    got_lc = client.get_logging_configuration(identifier=lc.arn or "")
    used.add("get_logging_configuration")
    assert got_lc.arn == lc.arn and got_lc.tags == {"k": "v"}
    up_lc = client.update_logging_configuration(
        identifier=lc.arn or "",
        destination_configuration=ivschat.DestinationConfiguration(
            cloud_watch_logs=ivschat.CloudWatchLogsDestinationConfiguration(log_group_name="grp")))
    used.add("update_logging_configuration")
    assert up_lc.destination_configuration is not None
    assert up_lc.destination_configuration.cloud_watch_logs == ivschat.CloudWatchLogsDestinationConfiguration(log_group_name="grp")
    assert lc.arn in [x.arn for x in client.list_logging_configurations(max_results=50).logging_configurations or ()]
    used.add("list_logging_configurations")

    room = client.create_room(
        name=f"room-{tag}", maximum_message_length=500, maximum_message_rate_per_second=5, tags={"env": "dev"},
        message_review_handler=ivschat.MessageReviewHandler(fallback_result="DENY"),
        logging_configuration_identifiers=[lc.arn or ""])
    used.add("create_room")
    assert room.maximum_message_length == 500 and room.tags == {"env": "dev"}
    assert room.logging_configuration_identifiers == (lc.arn,)
    assert utc(room.create_time) and utc(room.update_time)
    assert client.get_room(identifier=room.arn or "") .to_dict()["arn"] == room.arn
    used.add("get_room")
    updated = client.update_room(identifier=room.arn or "", name=f"renamed-{tag}", maximum_message_length=100)
    used.add("update_room")
    assert updated.name == f"renamed-{tag}" and updated.maximum_message_length == 100
    listed = client.list_rooms(name=f"renamed-{tag}")
    used.add("list_rooms")
    assert [r.arn for r in listed.rooms or ()] == [room.arn]
    assert any(r.arn == room.arn for r in client.paginate_list_rooms(max_results=1))
    assert any(x.arn == lc.arn for x in client.paginate_list_logging_configurations(max_results=1))

    client.tag_resource(resource_arn=room.arn or "", tags={"team": "chat"})
    used.add("tag_resource")
    assert client.list_tags_for_resource(resource_arn=room.arn or "").tags == {"env": "dev", "team": "chat"}
    used.add("list_tags_for_resource")
    client.untag_resource(resource_arn=room.arn or "", tag_keys=["env"])
    used.add("untag_resource")
    assert client.list_tags_for_resource(resource_arn=room.arn or "").tags == {"team": "chat"}

    token = client.create_chat_token(room_identifier=room.arn or "", user_id="alice",
                                     capabilities=["SEND_MESSAGE"], session_duration_in_minutes=30,
                                     attributes={"display": "Alice"})
    used.add("create_chat_token")
    assert token.token and utc(token.token_expiration_time) and utc(token.session_expiration_time)
    assert "***" in repr(token) and token.token not in repr(token)
    ev = client.send_event(room_identifier=room.arn or "", event_name="app:hello", attributes={"a": "b"})
    used.add("send_event")
    assert ev.id
    try:
        client.delete_message(room_identifier=room.arn or "", id="abcdefghijkl", reason="spam")
    except ivschat.ResourceNotFoundException:
        pass
    used.add("delete_message")
    try:
        client.disconnect_user(room_identifier=room.arn or "", user_id="alice", reason="bye")
    except ivschat.ResourceNotFoundException:
        pass
    used.add("disconnect_user")

    assert client.delete_room(identifier=room.arn or "").to_dict() == {}
    used.add("delete_room")
    with pytest.raises(ivschat.ResourceNotFoundException) as e:
        client.get_room(identifier=room.arn or "")
    assert e.value.status_code == 404 and e.value.resource_type == "ROOM" and e.value.request_id
    client.delete_logging_configuration(identifier=lc.arn or "")
    used.add("delete_logging_configuration")
    assert used == ALL_OPS


def test_async_every_operation(server: LocalServer) -> None:
    async def main() -> Set[str]:
        used: Set[str] = set()
        tag = uuid.uuid4().hex[:8]
        async with ivschat.AsyncClient(**server.client_kwargs()) as c:
            lc = await c.create_logging_configuration(destination_configuration={"firehose": {"delivery_stream_name": "s"}})
            used.add("create_logging_configuration")
            assert (await c.get_logging_configuration(identifier=lc.arn or "")).id == lc.id
            used.add("get_logging_configuration")
            await c.update_logging_configuration(identifier=lc.arn or "", name=f"n{tag}")
            used.add("update_logging_configuration")
            await c.list_logging_configurations()
            used.add("list_logging_configurations")
            room = await c.create_room(name=f"a-{tag}", tags={"x": "1"})
            used.add("create_room")
            assert (await c.get_room(identifier=room.arn or "")) .name == f"a-{tag}"
            used.add("get_room")
            assert (await c.update_room(identifier=room.arn or "", maximum_message_rate_per_second=7)).maximum_message_rate_per_second == 7
            used.add("update_room")
            assert room.arn in [r.arn for r in (await c.list_rooms(name=f"a-{tag}")).rooms or ()]
            used.add("list_rooms")
            assert room.arn in [r.arn async for r in c.paginate_list_rooms(max_results=1)]
            assert lc.arn in [r.arn async for r in c.paginate_list_logging_configurations(max_results=1)]
            await c.tag_resource(resource_arn=room.arn or "", tags={"y": "2"})
            used.add("tag_resource")
            await c.untag_resource(resource_arn=room.arn or "", tag_keys=["x"])
            used.add("untag_resource")
            assert (await c.list_tags_for_resource(resource_arn=room.arn or "")).tags == {"y": "2"}
            used.add("list_tags_for_resource")
            assert (await c.create_chat_token(room_identifier=room.arn or "", user_id="u")).token
            used.add("create_chat_token")
            assert (await c.send_event(room_identifier=room.arn or "", event_name="e")).id
            used.add("send_event")
            for name, coro in (
                ("delete_message", c.delete_message(room_identifier=room.arn or "", id="abcdefghijkl")),
                ("disconnect_user", c.disconnect_user(room_identifier=room.arn or "", user_id="u")),
            ):
                try:
                    await coro
                except ivschat.ResourceNotFoundException:
                    pass
                used.add(name)
            await c.delete_room(identifier=room.arn or "")
            used.add("delete_room")
            await c.delete_logging_configuration(identifier=lc.arn or "")
            used.add("delete_logging_configuration")
            with pytest.raises(ivschat.ResourceNotFoundException):
                await c.get_logging_configuration(identifier=lc.arn or "")
        return used

    assert asyncio.run(main()) == ALL_OPS


def test_type_errors_name_the_parameter(client: ivschat.Client) -> None:
    with pytest.raises(TypeError, match="identifier"):
        client.get_room()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="identifier"):
        client.get_room(identifier=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="maximum_message_length"):
        client.create_room(maximum_message_length="500")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="maximum_message_length"):
        client.create_room(maximum_message_length=True)
    with pytest.raises(TypeError, match="tags"):
        client.create_room(tags={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="tag_keys"):
        client.untag_resource(resource_arn="arn", tag_keys="abc")
    with pytest.raises(TypeError, match="destination_configuration.*'bucket'"):
        client.create_logging_configuration(destination_configuration={"s3": {"bucket": "x"}})
    with pytest.raises(TypeError, match="destination_configuration.*bucket_name"):
        client.create_logging_configuration(destination_configuration={"s3": {}})
    with pytest.raises(TypeError, match="message_review_handler"):
        client.create_room(message_review_handler=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.get_room("positional")  # type: ignore[misc]


def test_results_are_immutable_and_comparable(client: ivschat.Client) -> None:
    room = client.create_room(name="immutable")
    with pytest.raises(AttributeError):
        room.name = "x"  # type: ignore[misc]
    same = client.get_room(identifier=room.arn or "")
    assert ivschat.GetRoomResponse._from_wire(same.to_dict()) == same
    assert same != room  # different classes
    d = same.to_dict()
    d["name"] = "changed"
    assert same.name == "immutable"  # to_dict returns a copy
    assert hash(same) == hash(ivschat.GetRoomResponse._from_wire(same.to_dict()))
