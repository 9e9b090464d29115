"""Uses every method with full annotations: checked by `mypy --strict` (test.sh) and run by pytest."""
from __future__ import annotations

import asyncio
import datetime
from typing import Dict, List, Optional

import ivschat
from ivschat.testing import LocalServer


def sync_usage(client: ivschat.Client) -> List[str]:
    lc: ivschat.CreateLoggingConfigurationResponse = client.create_logging_configuration(
        name="typed", destination_configuration=ivschat.DestinationConfiguration(
            s3=ivschat.S3DestinationConfiguration(bucket_name="bucket")), tags={"a": "b"})
    lc_arn: str = lc.arn or ""
    got: ivschat.GetLoggingConfigurationResponse = client.get_logging_configuration(identifier=lc_arn)
    state: Optional[str] = got.state
    upd: ivschat.UpdateLoggingConfigurationResponse = client.update_logging_configuration(
        identifier=lc_arn, destination_configuration={"firehose": {"delivery_stream_name": "fh"}})
    listed_lc: ivschat.ListLoggingConfigurationsResponse = client.list_logging_configurations(max_results=10)
    summaries: List[ivschat.LoggingConfigurationSummary] = list(client.paginate_list_logging_configurations())
    room: ivschat.CreateRoomResponse = client.create_room(
        name="typed", maximum_message_length=10, maximum_message_rate_per_second=2,
        message_review_handler=ivschat.MessageReviewHandler(fallback_result="ALLOW"),
        tags={"x": "y"}, logging_configuration_identifiers=[lc_arn])
    arn: str = room.arn or ""
    created: Optional[datetime.datetime] = room.create_time
    g: ivschat.GetRoomResponse = client.get_room(identifier=arn)
    u: ivschat.UpdateRoomResponse = client.update_room(identifier=arn, name="typed2")
    lr: ivschat.ListRoomsResponse = client.list_rooms(name="typed2", max_results=5)
    rooms: List[ivschat.RoomSummary] = list(client.paginate_list_rooms(max_results=5))
    client.tag_resource(resource_arn=arn, tags={"k": "v"})
    tags: Optional[Dict[str, str]] = client.list_tags_for_resource(resource_arn=arn).tags
    client.untag_resource(resource_arn=arn, tag_keys=["k"])
    tok: ivschat.CreateChatTokenResponse = client.create_chat_token(room_identifier=arn, user_id="u")
    ev: ivschat.SendEventResponse = client.send_event(room_identifier=arn, event_name="e")
    try:
        client.delete_message(room_identifier=arn, id="abcdefghijkl")
        client.disconnect_user(room_identifier=arn, user_id="u")
    except ivschat.ResourceNotFoundException as e:
        rid: Optional[str] = e.request_id
        status: Optional[int] = e.status_code
        del rid, status
    deleted: ivschat.DeleteRoomResponse = client.delete_room(identifier=arn)
    client.delete_logging_configuration(identifier=lc_arn)
    out: Dict[str, object] = deleted.to_dict()
    del got, upd, listed_lc, summaries, created, g, u, lr, rooms, tags, tok, ev, out
    return [state or "", arn]


async def async_usage(client: ivschat.AsyncClient) -> int:
    room: ivschat.CreateRoomResponse = await client.create_room(name="atyped")
    arn = room.arn or ""
    n = 0
    async for summary in client.paginate_list_rooms(max_results=2):
        s: ivschat.RoomSummary = summary
        n += 1 if s.arn else 0
    lc = await client.create_logging_configuration(destination_configuration={"s3": {"bucket_name": "bkt"}})
    await client.get_logging_configuration(identifier=lc.arn or "")
    await client.update_logging_configuration(identifier=lc.arn or "", name="n")
    await client.list_logging_configurations()
    async for _ in client.paginate_list_logging_configurations():
        n += 1
    await client.get_room(identifier=arn)
    await client.update_room(identifier=arn, maximum_message_length=20)
    await client.list_rooms()
    await client.tag_resource(resource_arn=arn, tags={"a": "b"})
    await client.list_tags_for_resource(resource_arn=arn)
    await client.untag_resource(resource_arn=arn, tag_keys=["a"])
    await client.create_chat_token(room_identifier=arn, user_id="u", capabilities=["SEND_MESSAGE"])
    await client.send_event(room_identifier=arn, event_name="e", attributes={"k": "v"})
    for coro in (client.delete_message(room_identifier=arn, id="abcdefghijkl"),
                 client.disconnect_user(room_identifier=arn, user_id="u")):
        try:
            await coro
        except ivschat.IvschatError:
            pass
    await client.delete_room(identifier=arn)
    await client.delete_logging_configuration(identifier=lc.arn or "")
    return n


def test_typed_usage(server: LocalServer) -> None:
    with ivschat.Client(**server.client_kwargs()) as c:
        assert sync_usage(c)[0] == "ACTIVE"

    async def main() -> int:
        async with ivschat.AsyncClient(**server.client_kwargs()) as ac:
            return await async_usage(ac)

    assert asyncio.run(main()) >= 2
