"""``Client`` (sync) and ``AsyncClient`` (asyncio): thin shells over ``_native.NativeClient``."""
from __future__ import annotations

import sys

from . import _native
from ._credentials import Adapter
from ._errors import ConfigurationError
from ._model import _AsyncOperations, _Options, _SyncOperations

TYPE_CHECKING = False  # `typing` only for mypy (start-up time)
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Dict, Optional, Type

_UA = "lang/python#{}.{}.{} md/ivschat-python#{}".format(*sys.version_info[:3], _native.VERSION)


# botocore's standard mode: delays of random(0, 1) × 50 ms × 2^(retry-1), 1 s × 2^(retry-1) after a
# throttling error, at most 20 s.
_BACKOFF, _THROTTLING_BACKOFF = 0.05, 1.0
# botocore.config.Config settings that have a meaning here → ours; those it would be wrong to ignore.
_CONFIG = {"region_name": "region", "connect_timeout": "connect_timeout", "read_timeout": "read_timeout",
           "user_agent_extra": "user_agent_suffix"}
_UNSUPPORTED = ("proxies", "proxies_config", "client_cert", "signature_version", "s3", "use_arn_region")


def _merge_config(options: Dict[str, Any], config: Any) -> None:
    """boto3's ``config=`` (a ``botocore.config.Config`` or a dict): explicit keywords win."""
    def get(key: str) -> Any:
        return config.get(key) if isinstance(config, dict) else getattr(config, key, None)

    for theirs, ours in _CONFIG.items():
        if get(theirs) is not None and not (ours in options or theirs in options):
            options[ours] = get(theirs)
    retries = get("retries") or {}
    attempts = retries.get("total_max_attempts", retries.get("max_attempts", -1) + 1)  # max_attempts: retries
    if attempts > 0 and "max_attempts" not in options:
        options["max_attempts"] = attempts
    bad = [k for k in _UNSUPPORTED if get(k) is not None]
    if bad:
        raise ConfigurationError(f"config: {', '.join(bad)} not supported by ivschat (unset it, or use the "
                                 "HTTPS_PROXY environment variable for a proxy)")


class _Configured(_Options):
    """What both clients share: the settings (``_Options.__init__``) made a ``NativeClient``."""

    _adapter: Optional[Adapter] = None

    def _configure(self, credentials_provider: Any, options: Dict[str, Any], config: Any) -> None:
        options = {k: v for k, v in options.items() if v is not None}
        if config is not None:
            _merge_config(options, config)
        options.setdefault("initial_backoff", _BACKOFF)
        options.setdefault("throttling_backoff", _THROTTLING_BACKOFF)
        suffix = options.get("user_agent_suffix")
        options["user_agent_suffix"] = _UA if suffix is None else f"{_UA} {suffix}"
        if credentials_provider is not None:
            self._adapter = Adapter(credentials_provider)
        self._native: Any = _native.NativeClient(options, self._adapter)

    @property
    def region(self) -> str:
        return str(self._native.region)

    @property
    def endpoint_url(self) -> str:
        return str(self._native.endpoint_url)

    def __repr__(self) -> str:
        return f"ivschat.{type(self).__name__}(region={self.region!r}, endpoint_url={self.endpoint_url!r})"


class Client(_Configured, _SyncOperations):
    """The synchronous IVS Chat client. Thread-safe: share one across threads (calls release
    the GIL while they wait). Keywords as in ``boto3.client("ivschat", ...)``; without
    credentials, the AWS default chain."""

    def close(self) -> None:
        """Nothing to release eagerly (connections close with the client); for symmetry."""

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, et: Optional[Type[BaseException]], ev: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()


class AsyncClient(_Configured, _AsyncOperations):
    """The asyncio IVS Chat client (same keywords as ``Client``). Every method is a coroutine;
    cancelling it cancels the request. ``paginate_*`` return async iterators."""

    def _configure(self, credentials_provider: Any, options: Dict[str, Any], config: Any) -> None:
        super()._configure(credentials_provider, options, config)
        if self._adapter is not None:  # an async provider runs on this loop while it runs
            import asyncio

            try:
                self._adapter.loop = asyncio.get_running_loop()
            except RuntimeError:
                pass

    async def close(self) -> None:
        """Nothing to release eagerly; for symmetry with ``async with``."""

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, et: Optional[Type[BaseException]], ev: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        await self.close()
