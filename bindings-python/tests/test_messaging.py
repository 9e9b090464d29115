"""ivschat.messaging.ChatRoom against the in-process emulator (LocalServer): join, send, receive,
delete, disconnect, errors, expired session, server going away."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable, List, Sequence, Type, TypeVar

import pytest

import ivschat
from ivschat.messaging import (ChatError, ChatRoom, ConnectFailedError, Connected, Connecting, Disconnected,
                               ErrorEvent, Message, MessageDelete, NotConnectedError, RoomEvent, UserDisconnect)
from ivschat.testing import LocalServer

E = TypeVar("E")
WAIT = 10.0


def tokens(server: LocalServer, room_arn: str, user: str, caps: Sequence[str], minutes: int = 60,
           calls: "List[int] | None" = None) -> Callable[[], Awaitable[ivschat.CreateChatTokenResponse]]:
    client = ivschat.AsyncClient(**server.client_kwargs())

    async def provide() -> ivschat.CreateChatTokenResponse:
        if calls is not None:
            calls.append(1)
        return await client.create_chat_token(room_identifier=room_arn, user_id=user, capabilities=list(caps),
                                              session_duration_in_minutes=minutes, attributes={"display": user.title()})
    return provide


async def next_of(events: AsyncIterator[RoomEvent], kind: Type[E]) -> E:
    """The next event of `kind`, skipping state changes."""
    while True:
        e = await asyncio.wait_for(events.__anext__(), WAIT)
        if isinstance(e, kind):
            return e
        assert isinstance(e, (Connecting, Connected)), e


def new_room(server: LocalServer, length: int = 500) -> str:
    return ivschat.Client(**server.client_kwargs()).create_room(maximum_message_length=length).arn or ""


def test_join_send_receive_delete_and_kick(server: LocalServer) -> None:
    arn = new_room(server)

    async def main() -> None:
        alice = ChatRoom(server.ws_url, tokens(server, arn, "alice", ["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"]))
        bob = ChatRoom(server.ws_url, tokens(server, arn, "bob", ["SEND_MESSAGE"]))
        bob_events = bob.events()
        async with alice, bob:
            assert alice.state == bob.state == "connected"
            sent = await alice.send_message("hello", attributes={"color": "blue"})
            assert sent.content == "hello" and sent.attributes == {"color": "blue"} and sent.request_id
            assert sent.sender.user_id == "alice" and sent.sender.attributes == {"display": "Alice"}
            got = await next_of(bob_events, Message)
            assert (got.id, got.content, got.sender.user_id, got.send_time) == (sent.id, "hello", "alice", sent.send_time)
            assert got.send_time.tzinfo is not None

            deleted = await alice.delete_message(sent.id, "spam")
            assert deleted.message_id == sent.id and deleted.reason == "spam"
            assert (await next_of(bob_events, MessageDelete)).message_id == sent.id

            kicked = await alice.disconnect_user("bob", "bye")
            assert kicked.user_id == "bob"
            assert (await next_of(bob_events, UserDisconnect)).user_id == "bob"
            gone = await next_of(bob_events, Disconnected)
            assert gone.reason == "serverDisconnect" and gone.code is not None
            assert bob.state == "disconnected"
        assert alice.state == "disconnected"

    asyncio.run(main())


def test_errors_are_typed(server: LocalServer) -> None:
    arn = new_room(server, length=5)

    async def main() -> None:
        room = ChatRoom(server.ws_url, tokens(server, arn, "carol", ["SEND_MESSAGE"]))
        with pytest.raises(NotConnectedError):
            await room.send_message("early")
        async with room:
            with pytest.raises(ChatError) as denied:
                await room.delete_message("Msg1", request_id="my-request")
            assert denied.value.error_code == 403 and denied.value.request_id == "my-request"
            assert "DELETE_MESSAGE" in denied.value.error_message
            with pytest.raises(ChatError) as kick:
                await room.disconnect_user("dave")
            assert kick.value.error_code == 403
            with pytest.raises(ChatError) as long:
                await room.send_message("far too long")
            assert long.value.error_code == 413
            assert room.state == "connected"

        def failing() -> str:
            raise RuntimeError("backend down")

        bad = ChatRoom(server.ws_url, failing, max_reconnect_attempts=0)
        with pytest.raises(ConnectFailedError, match="backend down") as failed:
            await bad.connect()
        assert failed.value.reason == "fetchTokenError"

    asyncio.run(main())
    with pytest.raises(TypeError, match="unknown field"):
        ChatRoom(server.ws_url, lambda: "t", request_timout=1)
    with pytest.raises(ValueError):
        ChatRoom("not a region!", lambda: "t")


def test_expired_session_reconnects_with_a_fresh_token() -> None:
    # time_scale 60: a one-minute session lasts one second, then the emulator sends ERROR 401.
    with LocalServer(time_scale=60) as server:
        arn = new_room(server)

        async def main() -> None:
            calls: List[int] = []
            room = ChatRoom(server.ws_url, tokens(server, arn, "erin", ["SEND_MESSAGE"], minutes=1, calls=calls))
            events = room.events()
            async with room:
                assert (await next_of(events, ErrorEvent)).error_code == 401
                assert isinstance(await asyncio.wait_for(events.__anext__(), WAIT), Connecting)
                assert isinstance(await asyncio.wait_for(events.__anext__(), WAIT), Connected)
                assert len(calls) == 2
                await room.send_message("after the refresh")

            once = ChatRoom(server.ws_url, tokens(server, arn, "erin", ["SEND_MESSAGE"], minutes=1),
                            reconnect_on_session_expiry=False)
            events = once.events()
            await once.connect()
            assert (await next_of(events, ErrorEvent)).error_code == 401
            assert (await next_of(events, Disconnected)).reason == "sessionExpired"
            assert once.state == "disconnected"

        asyncio.run(main())


def test_server_going_away() -> None:
    server = LocalServer()
    arn = new_room(server)

    async def main() -> None:
        room = ChatRoom(server.ws_url, tokens(server, arn, "frank", ["SEND_MESSAGE"]))
        events = room.events()
        await room.connect()
        await asyncio.get_running_loop().run_in_executor(None, server.stop)
        gone = await next_of(events, Disconnected)
        assert (gone.reason, gone.code, gone.reconnect_in) == ("serverDisconnect", 1001, None)
        with pytest.raises(ConnectFailedError) as failed:
            await asyncio.wait_for(room.connect(), WAIT)
        assert failed.value.reason == "fetchTokenError"

    asyncio.run(main())


def test_sync_token_provider_and_no_secret_in_repr(server: LocalServer) -> None:
    arn = new_room(server)
    client = ivschat.Client(**server.client_kwargs())
    issued: List[str] = []

    def provide() -> Any:
        token = client.create_chat_token(room_identifier=arn, user_id="gus", capabilities=["SEND_MESSAGE"])
        issued.append(token.token or "")
        return {"token": token.token, "token_expiration_time": token.token_expiration_time}

    async def main() -> None:
        async with ChatRoom(server.ws_url, provide) as room:
            assert (await room.send_message("hi")).content == "hi"
            assert issued and issued[0] not in repr(room)

    asyncio.run(main())
