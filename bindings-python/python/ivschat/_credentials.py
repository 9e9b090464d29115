"""Adapts a user's credentials callable (sync or async) for the native provider."""
from __future__ import annotations

from _collections_abc import Mapping  # = collections.abc.Mapping, already imported by `os`

# Annotations only: `typing`, `datetime`, `threading` and `asyncio` cost start-up time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    import datetime
    from typing import Any, Awaitable, Callable, Optional, Tuple, Union


class Credentials:
    """What a ``credentials_provider`` returns. ``expiry`` (aware datetime) makes the client ask
    again five minutes before it; without it the credentials are kept for the client's life.
    Immutable; ``repr`` hides the secret key and the session token."""

    __slots__ = ("access_key_id", "secret_access_key", "session_token", "expiry")
    access_key_id: str
    secret_access_key: str
    session_token: Optional[str]
    expiry: Optional[datetime.datetime]

    def __init__(self, access_key_id: str, secret_access_key: str, session_token: Optional[str] = None,
                 expiry: Optional[datetime.datetime] = None) -> None:
        object.__setattr__(self, "access_key_id", access_key_id)
        object.__setattr__(self, "secret_access_key", secret_access_key)
        object.__setattr__(self, "session_token", session_token)
        object.__setattr__(self, "expiry", expiry)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Credentials is immutable")

    def __repr__(self) -> str:
        token = "None" if self.session_token is None else "'***'"
        return (f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key='***', "
                f"session_token={token}, expiry={self.expiry!r})")


if TYPE_CHECKING:
    CredentialsLike = Union[Credentials, Mapping[str, Any], Tuple[Any, ...]]
    CredentialsProvider = Callable[[], Union[CredentialsLike, Awaitable[CredentialsLike]]]
    _NativeTuple = Tuple[str, str, Optional[str], Optional[float]]
else:  # at run time without importing `typing`
    from _collections_abc import Callable

    CredentialsProvider = Callable[[], object]


def _normalize(value: Any) -> _NativeTuple:
    if isinstance(value, Credentials):
        ak, sk, tok, exp = value.access_key_id, value.secret_access_key, value.session_token, value.expiry
    elif isinstance(value, Mapping):
        get = value.get
        ak = get("access_key_id", get("AccessKeyId", get("aws_access_key_id")))
        sk = get("secret_access_key", get("SecretAccessKey", get("aws_secret_access_key")))
        tok = get("session_token", get("SessionToken", get("aws_session_token")))
        exp = get("expiry", get("Expiration", get("expiration")))
    elif isinstance(value, tuple) and 2 <= len(value) <= 4:
        ak, sk, tok, exp = (tuple(value) + (None, None))[:4]
    else:
        raise TypeError(f"unsupported credentials value of type {type(value).__name__}")
    if not isinstance(ak, str) or not isinstance(sk, str):
        raise TypeError("access_key_id and secret_access_key must be str")
    if tok is not None and not isinstance(tok, str):
        raise TypeError("session_token must be str or None")
    expiry: Optional[float] = None
    import datetime

    if isinstance(exp, datetime.datetime):
        if exp.tzinfo is None:
            exp = exp.replace(tzinfo=datetime.timezone.utc)
        expiry = exp.timestamp()
    elif isinstance(exp, (int, float)):
        expiry = float(exp)
    return (ak, sk, tok, expiry)


class Adapter:
    """A user's provider (sync or async), called by the extension on a blocking thread with the
    GIL held: a coroutine is awaited on the loop of the call that needed it (``loop``, running in
    its own thread and free while that call waits), else with ``asyncio.run`` here. The value
    goes through ``normalize``."""

    def __init__(self, provider: Callable[[], Any], normalize: Callable[[Any], Any] = _normalize) -> None:
        if not callable(provider):
            raise TypeError("the provider must be callable")
        self._provider, self._normalize = provider, normalize
        self.loop: "Optional[asyncio.AbstractEventLoop]" = None

    def __call__(self) -> Any:
        value = self._provider()
        if hasattr(value, "__await__"):
            import asyncio

            loop = self.loop
            if loop is not None and loop.is_running():
                value = asyncio.run_coroutine_threadsafe(_await(value), loop).result()
            else:
                value = asyncio.run(_await(value))
        return self._normalize(value)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
