"""Test helpers: ``with ivschat.testing.LocalServer() as server: ivschat.Client(**server.client_kwargs())``
runs the ivschat emulator inside this process; as a pytest fixture, ``local_server`` (registered
through the ``pytest11`` entry point ``ivschat``)."""
from __future__ import annotations

import json
import urllib.request
from types import TracebackType
from typing import Any, Dict, Iterator, Optional, Type

from . import _native


class LocalServer:
    """The emulator (control plane + messaging WebSocket) on a free port of 127.0.0.1, with
    the identity ``test`` / ``test`` (account 000000000000) and region ``us-east-1``."""

    credentials: Dict[str, str] = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, region: str = "us-east-1",
                 time_scale: float = 1.0) -> None:
        if not getattr(_native, "HAS_LOCAL", False):
            raise RuntimeError("this ivschat build has no in-process emulator (cargo feature `local`)")
        self.region = region
        self._server: Any = _native.NativeLocalServer(host=host, port=port, region=region, time_scale=time_scale)

    @property
    def endpoint_url(self) -> str:
        return str(self._server.endpoint_url)

    @property
    def ws_url(self) -> str:
        return str(self._server.ws_url)

    def client_kwargs(self) -> Dict[str, Any]:
        """Keywords for ``ivschat.Client`` / ``AsyncClient`` (and ``boto3.client``)."""
        return {"region": self.region, "endpoint_url": self.endpoint_url, **self.credentials}

    def admin(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        """Calls the emulator's admin API (``/_emulator/...``); returns the parsed JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint_url + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        """Forgets every resource (``POST /_emulator/reset``)."""
        self.admin("POST", "/_emulator/reset")

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, et: Optional[Type[BaseException]], ev: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalServer(endpoint_url={self.endpoint_url!r})"


try:
    import pytest

    @pytest.fixture(scope="session")
    def local_server() -> Iterator[LocalServer]:
        """A ``LocalServer`` for the test session."""
        with LocalServer() as server:
            yield server

except ImportError:  # pragma: no cover - pytest is optional
    pass
