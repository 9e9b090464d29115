"""``Client`` (sync) and ``AsyncClient`` (asyncio): thin shells over ``_native.NativeClient``."""
from __future__ import annotations

import sys

from . import _native
from ._credentials import Adapter
from ._model import _AsyncOperations, _SyncOperations

TYPE_CHECKING = False  # `typing` only for mypy (start-up time)
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Optional, Type

    from ._credentials import CredentialsProvider

_UA = "lang/python#{}.{}.{} md/ivschat-python#{}".format(*sys.version_info[:3], _native.VERSION)


def _native_client(
    region: Optional[str],
    endpoint_url: Optional[str],
    aws_access_key_id: Optional[str],
    aws_secret_access_key: Optional[str],
    aws_session_token: Optional[str],
    profile_name: Optional[str],
    use_fips_endpoint: Optional[bool],
    use_dualstack_endpoint: Optional[bool],
    max_attempts: Optional[int],
    connect_timeout: Optional[float],
    read_timeout: Optional[float],
    credentials_provider: Optional[CredentialsProvider],
    initial_backoff_ms: Optional[int],
) -> "tuple[Any, Optional[Adapter]]":
    for name, value, kind in (
        ("region", region, str), ("endpoint_url", endpoint_url, str),
        ("aws_access_key_id", aws_access_key_id, str), ("aws_secret_access_key", aws_secret_access_key, str),
        ("aws_session_token", aws_session_token, str), ("profile_name", profile_name, str),
        ("use_fips_endpoint", use_fips_endpoint, bool), ("use_dualstack_endpoint", use_dualstack_endpoint, bool),
    ):
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{name} must be {kind.__name__}, not {type(value).__name__}")
    if max_attempts is not None and (not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1):
        raise TypeError("max_attempts must be a positive int")
    for name, t in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))):
            raise TypeError(f"{name} must be a number of seconds")
    adapter = Adapter(credentials_provider) if credentials_provider is not None else None
    native = _native.NativeClient(
        region=region, endpoint_url=endpoint_url, aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key, aws_session_token=aws_session_token,
        profile_name=profile_name, use_fips_endpoint=use_fips_endpoint,
        use_dualstack_endpoint=use_dualstack_endpoint, max_attempts=max_attempts,
        connect_timeout=None if connect_timeout is None else float(connect_timeout),
        read_timeout=None if read_timeout is None else float(read_timeout),
        credentials_provider=adapter, user_agent_suffix=_UA,
        initial_backoff_ms=initial_backoff_ms,
    )
    return native, adapter


class _Configured:
    """What both clients share: boto3's constructor keywords, checked, turned into one
    ``_native.NativeClient``."""

    def __init__(
        self,
        *,
        region: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        aws_access_key_id: Optional[str] = None,
        aws_secret_access_key: Optional[str] = None,
        aws_session_token: Optional[str] = None,
        profile_name: Optional[str] = None,
        use_fips_endpoint: Optional[bool] = None,
        use_dualstack_endpoint: Optional[bool] = None,
        max_attempts: Optional[int] = None,
        connect_timeout: Optional[float] = None,
        read_timeout: Optional[float] = None,
        credentials_provider: Optional[CredentialsProvider] = None,
        _initial_backoff_ms: Optional[int] = None,
    ) -> None:
        self._raw, adapter = _native_client(
            region, endpoint_url, aws_access_key_id, aws_secret_access_key, aws_session_token,
            profile_name, use_fips_endpoint, use_dualstack_endpoint, max_attempts,
            connect_timeout, read_timeout, credentials_provider, _initial_backoff_ms,
        )
        self._native = self._wrap(self._raw, adapter)

    @staticmethod
    def _wrap(native: Any, adapter: Optional[Adapter]) -> Any:
        """What the generated operations call (`Client`: the native client itself)."""
        return native

    @property
    def region(self) -> str:
        return str(self._raw.region)

    @property
    def endpoint_url(self) -> str:
        return str(self._raw.endpoint_url)

    def __repr__(self) -> str:
        return f"ivschat.{type(self).__name__}(region={self.region!r}, endpoint_url={self.endpoint_url!r})"


class Client(_Configured, _SyncOperations):
    """The synchronous IVS Chat client. Thread-safe: share one across threads (calls release
    the GIL while they wait). Keywords as in ``boto3.client("ivschat", ...)``; without
    credentials, the AWS default chain; ``credentials_provider`` is a callable (sync or async)
    returning ``ivschat.Credentials``, a dict or a tuple."""

    def close(self) -> None:
        """Nothing to release eagerly (connections close with the client); for symmetry."""

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, et: Optional[Type[BaseException]], ev: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()


class _LoopAware:
    """Wraps the native client so async credential providers run on the caller's loop."""

    __slots__ = ("_n", "_adapter")

    def __init__(self, native: Any, adapter: Optional[Adapter]) -> None:
        self._n = native
        self._adapter = adapter

    def call_async(self, op: str, params: Any) -> Any:
        if self._adapter is not None:
            import asyncio

            self._adapter.loop = asyncio.get_running_loop()
        return self._n.call_async(op, params)

    def paginate(self, op: str, params: Any) -> Any:
        if self._adapter is not None:
            import asyncio

            try:
                self._adapter.loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
        return self._n.paginate(op, params)


class AsyncClient(_Configured, _AsyncOperations):
    """The asyncio IVS Chat client (same keywords as ``Client``). Every method is a coroutine;
    cancelling it cancels the request. ``paginate_*`` return async iterators."""

    @staticmethod
    def _wrap(native: Any, adapter: Optional[Adapter]) -> Any:
        return native if adapter is None else _LoopAware(native, adapter)

    async def close(self) -> None:
        """Nothing to release eagerly; for symmetry with ``async with``."""

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, et: Optional[Type[BaseException]], ev: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        await self.close()
