"""Quickstart: a logging configuration, a room, a chat token and an event, then clean up.

    python examples/python/quickstart.py [ENDPOINT]      # default: $IVSCHAT_ENDPOINT or ivschat-local

Without an endpoint argument or IVSCHAT_ENDPOINT it starts the emulator in-process
(ivschat.testing.LocalServer). Against AWS: drop endpoint_url and the keys (default chain).
"""
from __future__ import annotations

import asyncio
import os
import sys
from typing import Optional

import ivschat


def run(endpoint: str) -> None:
    client = ivschat.Client(region="us-east-1", endpoint_url=endpoint,
                            aws_access_key_id="test", aws_secret_access_key="test")
    print(f"ivschat {ivschat.__version__} (Python) -> {endpoint}")

    logging_cfg = client.create_logging_configuration(
        name="demo-logs",
        destination_configuration=ivschat.DestinationConfiguration(
            s3=ivschat.S3DestinationConfiguration(bucket_name="demo-chat-logs")),
    )
    print(f"created logging configuration {logging_cfg.arn} ({logging_cfg.state})")

    room = client.create_room(name="demo", maximum_message_length=500, tags={"env": "dev"},
                              logging_configuration_identifiers=[logging_cfg.arn or ""])
    assert room.arn is not None
    print(f"created room {room.arn}: {room.maximum_message_rate_per_second} msg/s, "
          f"{room.maximum_message_length} chars, created {room.create_time:%Y-%m-%d %H:%M:%S %Z}")

    for summary in client.paginate_list_rooms(max_results=10):
        print(f"  listed room {summary.name} ({summary.id})")

    client.tag_resource(resource_arn=room.arn, tags={"team": "chat"})
    tags = client.list_tags_for_resource(resource_arn=room.arn).tags or {}
    print("tags: " + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())))

    token = client.create_chat_token(room_identifier=room.arn, user_id="alice",
                                     capabilities=["SEND_MESSAGE"], session_duration_in_minutes=30)
    print(f"chat token for alice expires {token.token_expiration_time:%H:%M:%S %Z} ({token!r})")

    event = client.send_event(room_identifier=room.arn, event_name="app:welcome", attributes={"text": "hello"})
    print(f"sent event {event.id}")

    async def concurrently() -> None:
        async with ivschat.AsyncClient(region="us-east-1", endpoint_url=endpoint,
                                       aws_access_key_id="test", aws_secret_access_key="test") as aclient:
            rooms = await asyncio.gather(*(aclient.get_room(identifier=room.arn or "") for _ in range(10)))
            print(f"AsyncClient: fetched the room 10 times concurrently ({len({r.arn for r in rooms})} distinct)")

    asyncio.run(concurrently())

    client.delete_room(identifier=room.arn)
    try:
        client.get_room(identifier=room.arn)
    except ivschat.ResourceNotFoundException as e:
        print(f"room deleted: get_room raises {type(e).__name__} ({e.status_code}, {e.resource_type} {e.resource_id})")
    client.delete_logging_configuration(identifier=logging_cfg.arn or "")
    print("cleaned up")


def main(argv: list[str]) -> None:
    endpoint: Optional[str] = argv[1] if len(argv) > 1 else os.environ.get("IVSCHAT_ENDPOINT")
    if endpoint:
        run(endpoint)
        return
    from ivschat.testing import LocalServer

    with LocalServer() as server:
        run(server.endpoint_url)


if __name__ == "__main__":
    main(sys.argv)
