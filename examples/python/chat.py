"""Chat: two users join a room over the messaging WebSocket and exchange a message.

    python examples/python/chat.py [ENDPOINT]      # default: $IVSCHAT_ENDPOINT or ivschat-local

Without an endpoint it starts the emulator in-process (ivschat.testing.LocalServer). Against AWS:
drop endpoint_url and the keys, and give ChatRoom the region ("us-east-1") instead of a URL.
"""
from __future__ import annotations

import asyncio
import os
import sys
from typing import Awaitable, Callable, Optional

import ivschat
from ivschat.messaging import ChatRoom, Message


async def chat(endpoint: str) -> None:
    client = ivschat.AsyncClient(region_name="us-east-1", endpoint_url=endpoint,
                                 aws_access_key_id="test", aws_secret_access_key="test")
    room = await client.create_room(name="chat-demo")
    room_arn = room.arn or ""

    def tokens(user: str) -> Callable[[], Awaitable[ivschat.CreateChatTokenResponse]]:
        # Called before every connection: in an app, your backend makes the token.
        return lambda: client.create_chat_token(room_identifier=room_arn, user_id=user,
                                                capabilities=["SEND_MESSAGE"], attributes={"name": user.title()})

    ws_url = endpoint.replace("http", "ws", 1) + "/"
    async with ChatRoom(ws_url, tokens("alice")) as alice, ChatRoom(ws_url, tokens("bob")) as bob:
        print(f"alice and bob joined {room_arn} ({bob.state})")
        bob_events = bob.events()
        sent = await alice.send_message("hello, bob!", attributes={"mood": "cheerful"})
        print(f"alice sent {sent.content!r} (id {sent.id})")
        async for event in bob_events:
            if isinstance(event, Message):
                print(f"bob received {event.content!r} from {event.sender.attributes} at {event.send_time:%H:%M:%S}")
                break
    await client.delete_room(identifier=room_arn)
    print("left the room and deleted it")


def main(argv: list[str]) -> None:
    endpoint: Optional[str] = argv[1] if len(argv) > 1 else os.environ.get("IVSCHAT_ENDPOINT")
    if endpoint:
        asyncio.run(chat(endpoint))
        return
    from ivschat.testing import LocalServer

    with LocalServer() as server:
        asyncio.run(chat(server.endpoint_url))


if __name__ == "__main__":
    main(sys.argv)
