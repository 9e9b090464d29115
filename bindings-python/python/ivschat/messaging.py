"""Chat rooms over the IVS Chat messaging WebSocket (the core's ``ivschat::messaging::ChatRoom``):
``async with ChatRoom("us-east-1", token_provider) as room``, ``room.events()``,
``await room.send_message(...)``. ``token_provider`` is called (sync or ``async``) before every
connection attempt and returns a token: a ``str``, a ``CreateChatTokenResponse`` or a dict with
``token`` and optional ``session_expiration_time`` / ``token_expiration_time``."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Mapping, Optional, Tuple, Union

__all__ = ["ChatRoom", "ChatUser", "Message", "Event", "MessageDelete", "UserDisconnect", "Connecting", "Connected",
           "Disconnected", "ErrorEvent", "UnknownFrame", "Dropped", "RoomEvent", "ChatRoomError", "ChatError",
           "NotConnectedError", "ChatRequestTimeoutError", "ConnectFailedError", "TokenProvider"]

from . import _native
from ._credentials import Adapter
from ._messaging_model import ChatUser, ErrorEvent, Event, Message, MessageDelete, UnknownFrame, UserDisconnect

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


@dataclass(frozen=True)
class Connecting:
    """``connecting``: connect() was called or a reconnect began."""


@dataclass(frozen=True)
class Connected:
    """``connect``: a socket opened."""


@dataclass(frozen=True)
class Disconnected:
    """``disconnect``: ``reason`` clientDisconnect, serverDisconnect (``code``: the close code), socketError,
    fetchTokenError or sessionExpired; ``reconnect_in``: seconds until ``auto_reconnect`` tries again."""
    reason: str
    code: Optional[int] = None
    message: Optional[str] = None
    reconnect_in: Optional[float] = None


@dataclass(frozen=True)
class Dropped:
    """This subscriber fell behind: ``count`` events were dropped for it."""
    count: int


RoomEvent = Union[Message, Event, MessageDelete, UserDisconnect, Connecting, Connected, Disconnected,
                  ErrorEvent, UnknownFrame, Dropped]


class ChatRoomError(Exception):
    """Base of the room's errors; the failure's details are attributes."""

    def __init__(self, text: str, **details: Any) -> None:
        super().__init__(text)
        self.__dict__.update(details)


class ChatError(ChatRoomError):
    """The server refused a request (its ``ERROR`` frame): ``error_code`` (400, 403, 404, 406,
    413, 429, 500), ``error_message``, ``request_id``, ``id``."""

    id: str
    error_code: int
    error_message: str
    request_id: Optional[str]


class NotConnectedError(ChatRoomError, ConnectionError):
    """The room is not connected, or disconnected before the answer came."""


class ChatRequestTimeoutError(ChatRoomError, TimeoutError):
    """No answer within ``request_timeout``."""


class ConnectFailedError(ChatRoomError, ConnectionError):
    """``connect()`` could not connect: ``reason`` (socketError, fetchTokenError...), ``code``,
    ``message``."""

    reason: str
    code: Optional[int]
    message: Optional[str]


def _event(d: Dict[str, Any]) -> RoomEvent:
    kind = d.pop("type")
    if "send_time" in d:
        d["send_time"] = _EPOCH + datetime.timedelta(microseconds=d["send_time"])
    if kind == "message":
        d["sender"] = ChatUser(**d["sender"])
    cls: Any = _EVENTS[kind]
    return cls(**d)  # type: ignore[no-any-return]


_EVENTS = {"message": Message, "event": Event, "message_delete": MessageDelete, "user_disconnect": UserDisconnect,
           "connecting": Connecting, "connected": Connected, "disconnected": Disconnected, "error": ErrorEvent,
           "unknown": UnknownFrame, "dropped": Dropped}


def _error(d: Dict[str, Any]) -> Exception:
    """The exception for a failure of the extension (called by it)."""
    classes = {"error": ChatError, "connect_failed": ConnectFailedError, "not_connected": NotConnectedError,
               "timeout": ChatRequestTimeoutError}
    return classes.get(d.pop("type"), ChatRoomError)(d.pop("text"), **d)


def _token(value: Any) -> Tuple[str, Optional[float], Optional[float]]:
    if isinstance(value, str):
        return (value, None, None)
    keys = ("token", "session_expiration_time", "token_expiration_time")
    token, *times = (value.get(k) if isinstance(value, Mapping) else getattr(value, k, None) for k in keys)
    if not isinstance(token, str):
        raise TypeError(f"the token provider returned {type(value).__name__}, not a token")
    return (token, *(t.timestamp() if isinstance(t, datetime.datetime) else t for t in times))  # type: ignore[return-value]


TokenProvider = Callable[[], Union[Any, Awaitable[Any]]]


class ChatRoom:
    """A chat room connection (the official ``ChatRoom``'s state machine). Settings by keyword:
    ``max_reconnect_attempts`` (3), ``reconnect_on_session_expiry`` (True), ``auto_reconnect``
    (False: reconnect with backoff after a server close), ``request_timeout`` (seconds, 10),
    ``event_capacity`` (1024 per subscriber)."""

    def __init__(self, region_or_url: str, token_provider: TokenProvider, **options: Any) -> None:
        self._adapter = Adapter(token_provider, _token)
        self._native = _native.NativeChatRoom(region_or_url, self._adapter, options)

    @property
    def state(self) -> str:
        """``disconnected``, ``connecting`` or ``connected``."""
        return str(self._native.state)

    @property
    def url(self) -> str:
        return str(self._native.url)

    def events(self) -> AsyncIterator[RoomEvent]:
        """The room's events from now on (subscribe before connecting to see every one); ends
        when the room is gone."""
        native = self._native.events()

        async def iterate() -> AsyncIterator[RoomEvent]:
            while (d := await native.next()) is not None:
                yield _event(d)

        return iterate()

    async def connect(self) -> None:
        """Fetches a token and opens the socket; raises ``ConnectFailedError``."""
        import asyncio

        self._adapter.loop = asyncio.get_running_loop()
        await self._native.connect()

    async def disconnect(self) -> None:
        await self._native.disconnect()

    async def send_message(self, content: str, attributes: Optional[Dict[str, str]] = None, *,
                           request_id: Optional[str] = None) -> Message:
        """Sends a message; returns the server's echo of it."""
        return _event(await self._native.request("SEND_MESSAGE", content, attributes, None, request_id))  # type: ignore[return-value]

    async def delete_message(self, id: str, reason: Optional[str] = None, *,
                             request_id: Optional[str] = None) -> MessageDelete:
        """Deletes a message (token capability DELETE_MESSAGE)."""
        return _event(await self._native.request("DELETE_MESSAGE", id, None, reason, request_id))  # type: ignore[return-value]

    async def disconnect_user(self, user_id: str, reason: Optional[str] = None, *,
                              request_id: Optional[str] = None) -> UserDisconnect:
        """Disconnects a user (token capability DISCONNECT_USER)."""
        return _event(await self._native.request("DISCONNECT_USER", user_id, None, reason, request_id))  # type: ignore[return-value]

    async def __aenter__(self) -> "ChatRoom":
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()
