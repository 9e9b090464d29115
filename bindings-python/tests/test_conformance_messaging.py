"""The messaging conformance suite (tests/conformance/messaging.json, the official JS client's
behaviour) through ivschat.messaging.ChatRoom, against a local scripted WebSocket server
(`websockets`). Mirrors core/tests/conformance_messaging.rs; see tests/conformance/README.md."""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Dict, List, Optional, Tuple

import pytest
from websockets.asyncio.server import ServerConnection, serve

from conftest import REPO
from ivschat.messaging import (ChatError, ChatRoom, Connected, Connecting, ErrorEvent, Event, Message,
                               MessageDelete, RoomEvent, UnknownFrame, UserDisconnect)

CASES = json.loads((REPO / "tests" / "conformance" / "messaging.json").read_text())["cases"]
WAIT = 5.0
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class Server:
    """Echoes the subprotocol (any token), records text frames, sends on demand."""

    def __init__(self) -> None:
        self.sockets: List[ServerConnection] = []
        self.received: List[str] = []

    async def start(self) -> str:
        async def handler(ws: ServerConnection) -> None:
            self.sockets.append(ws)
            try:
                async for m in ws:
                    if isinstance(m, str):
                        self.received.append(m)
            except Exception:  # noqa: BLE001 - a dropped socket ends the handler
                pass
            finally:
                self.sockets.remove(ws)

        self.server = await serve(handler, "127.0.0.1", 0, select_subprotocol=lambda _c, offered: offered[0])
        return f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"

    async def send(self, text: str, newest_only: bool) -> None:
        for ws in self.sockets[-1:] if newest_only else list(self.sockets):
            try:
                await ws.send(text)
            except Exception:  # noqa: BLE001
                pass

    async def wait_received(self, n: int) -> None:
        for _ in range(int(WAIT / 0.002)):
            if len(self.received) >= n:
                return
            await asyncio.sleep(0.002)
        raise AssertionError("frames not received")


def ms_time(t: Any) -> str:
    return f"{t.year:04d}-" + t.strftime("%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def put(o: Dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        o[key] = value


def neutral(e: Any) -> Dict[str, Any]:
    """An event as the official client's object in JSON (camelCase, absent optionals absent)."""
    o: Dict[str, Any] = {"id": e.id}
    if isinstance(e, Message):
        sender = {"userId": e.sender.user_id}
        put(sender, "attributes", e.sender.attributes)
        o.update(sender=sender, content=e.content)
    elif isinstance(e, Event):
        o["eventName"] = e.event_name
    elif isinstance(e, MessageDelete):
        o["messageId"] = e.message_id
    elif isinstance(e, UserDisconnect):
        o["userId"] = e.user_id
    if isinstance(e, (MessageDelete, UserDisconnect)):
        put(o, "reason", e.reason)
    o["sendTime"] = ms_time(e.send_time)
    put(o, "requestId", e.request_id)
    put(o, "attributes", e.attributes)
    return o


def chat_error(e: Any) -> Dict[str, Any]:
    o = {"id": e.id, "errorCode": e.error_code, "errorMessage": e.error_message}
    put(o, "requestId", e.request_id)
    return o


KINDS = {Message: "message", Event: "event", MessageDelete: "messageDelete", UserDisconnect: "userDisconnect"}


def outcome(events: List[RoomEvent], settled: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    states = []
    for e in events:
        if isinstance(e, ErrorEvent):
            out["error"] = chat_error(e)
        elif isinstance(e, UnknownFrame):
            out["rejected"] = {"field": e.field, "message": e.error}
        elif isinstance(e, (Connecting, Connected)):
            states.append("connecting" if isinstance(e, Connecting) else "connect")
        elif type(e) in KINDS:
            assert "accepted" not in out, "several events"
            out["accepted"], out["data"] = KINDS[type(e)], neutral(e)
        else:
            raise AssertionError(f"unexpected {e!r}")
    for request_id, result in settled:
        if isinstance(result, ChatError):
            out["error"], out["rejects"] = chat_error(result), request_id
        elif isinstance(result, BaseException):
            raise AssertionError(f"{request_id} failed: {result!r}")
        else:
            assert neutral(result) == out.get("data"), "resolved value"
            out["resolves"] = request_id
    if states:
        assert states == ["connecting", "connect"], states
        out["reconnects"] = True
    return out or {"duplicate": True}


def same(expected: Dict[str, Any], actual: Dict[str, Any]) -> bool:
    if list(expected) != list(actual) and sorted(expected) != sorted(actual):
        return False
    return all(actual[k]["field"] == v["field"] if k == "rejected" else actual[k] == v for k, v in expected.items())


class Observed:
    """A fresh room on a fresh server, connected, with its event subscription."""

    async def open(self) -> "Observed":
        self.server = Server()
        self.room = ChatRoom(await self.server.start(), lambda: "conformance-token", request_timeout=30)
        self.events = self.room.events()
        self.next: "Optional[asyncio.Future[RoomEvent]]" = None
        self.syncs = 0
        await self.room.connect()
        await self.settle()
        return self

    async def settle(self) -> List[RoomEvent]:
        """Events up to the next sync event (sent to every socket every 25 ms until it comes)."""
        self.syncs += 1
        sync_id = f"oracle-sync-{self.syncs}"
        text = json.dumps({"Type": "EVENT", "Id": sync_id, "EventName": "oracle:sync",
                           "SendTime": "2022-01-01T00:00:00.000Z"})
        seen: List[RoomEvent] = []
        await self.server.send(text, newest_only=False)
        for _ in range(int(WAIT / 0.025)):
            if self.next is None:
                self.next = asyncio.ensure_future(self.events.__anext__())
            done, _ = await asyncio.wait({self.next}, timeout=0.025)
            if not done:
                await self.server.send(text, newest_only=False)
                continue
            e, self.next = self.next.result(), None
            if isinstance(e, Event) and e.event_name == "oracle:sync":
                if e.id == sync_id:
                    return seen
            else:
                seen.append(e)
        raise AssertionError("sync timeout")

    async def close(self) -> None:
        if self.next is not None:
            self.next.cancel()
        await self.room.disconnect()
        self.server.server.close()


def request_call(room: ChatRoom, action: str, **kw: Any) -> Any:
    if action == "SEND_MESSAGE":
        return room.send_message(kw.get("content", "pending"), kw.get("attributes"), request_id=kw.get("requestId"))
    if action == "DELETE_MESSAGE":
        return room.delete_message(kw.get("id", "m"), kw.get("reason"), request_id=kw.get("requestId"))
    return room.disconnect_user(kw.get("userId", "u"), kw.get("reason"), request_id=kw.get("requestId"))


async def run_frames(case: Dict[str, Any]) -> None:
    o = await Observed().open()
    pending = case.get("pending") or []
    tasks = {p["requestId"]: asyncio.ensure_future(request_call(o.room, p["action"], requestId=p["requestId"]))
             for p in pending}
    await o.server.wait_received(len(pending))
    collected: List[str] = []
    actual = []
    for frame in case["frames"]:
        await o.server.send(frame, newest_only=True)
        events = await o.settle()
        if events and isinstance(events[-1], Connecting):  # ERROR 401: the reconnect began
            events += await o.settle()
        await asyncio.sleep(0.005)
        settled = []
        for rid, t in tasks.items():
            if t.done() and rid not in collected:
                collected.append(rid)
                settled.append((rid, t.exception() or t.result()))
        actual.append(outcome(events, settled))
    expected = case.get("ivschat", case)["then"]
    if len(expected) != len(actual) or not all(same(e, a) for e, a in zip(expected, actual)):
        raise AssertionError(f"expected {json.dumps(expected)}\n  actual {json.dumps(actual)}")
    if "unsettled" in case:
        ours = [p["requestId"] for p in pending if p["requestId"] not in collected]
        assert ours == case["unsettled"], f"unsettled: expected {case['unsettled']}, actual {ours}"
    await o.close()
    for t in tasks.values():
        t.cancel()


async def run_request(case: Dict[str, Any]) -> None:
    o = await Observed().open()
    call = asyncio.ensure_future(request_call(o.room, **case["input"]))
    await o.server.wait_received(1)
    sent = o.server.received[0]
    if "requestId" in case["expect"]:
        rid = json.loads(sent)["RequestId"]
        assert UUID4.fullmatch(rid), f"{rid} is no UUIDv4"
        sent = sent.replace(rid, "{uuid4}")
    await o.close()
    call.cancel()
    assert sent == case["expect"]["frame"], f"sent {sent}\n expected {case['expect']['frame']}"


def run_endpoint(case: Dict[str, Any]) -> None:
    try:
        actual = {"url": ChatRoom(case["regionOrUrl"], lambda: "t").url}
    except ValueError as e:
        actual = {"error": str(e)}
    expected = case.get("ivschat", case)["expect"]
    assert actual == expected, f"expected {expected}, actual {actual}"


def test_messaging_conformance(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> List[str]:
        failures = []
        for case in CASES:
            try:
                if case["kind"] == "frames":
                    await asyncio.wait_for(run_frames(case), 30)
                elif case["kind"] == "request":
                    await asyncio.wait_for(run_request(case), 30)
                else:
                    run_endpoint(case)
            except Exception as e:  # noqa: BLE001 - every failure is reported by case id
                failures.append(f"FAIL {case['id']}: {type(e).__name__}: {e}")
        return failures

    failures = asyncio.run(main())
    with capsys.disabled():
        for f in failures:
            print(f)
        print(f"\nmessaging conformance: ran {len(CASES)} skipped 0 failed {len(failures)}")
    assert not failures, "\n".join(failures)
    assert len(CASES) >= 100
