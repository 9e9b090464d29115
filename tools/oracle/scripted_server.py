"""A tiny HTTP server on 127.0.0.1 that plays a scripted sequence of responses.

Each entry of the script answers one request, in arrival order:

* ``{"status", "headers", "body"}``: answer with that response;
* ``{"action": "reset"}``: close the connection without answering;
* ``{"action": "stall", "ms": N, "status", "headers", "body"}``: wait N ms, then answer.

Requests beyond the end of the script get a 599 so a runaway client is visible.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Entry = Mapping[str, Any]


@dataclass
class ScriptState:
    script: Sequence[Entry]
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_entry(self, record: dict[str, Any]) -> Entry:
        with self.lock:
            index = len(self.requests)
            self.requests.append(record)
        if index < len(self.script):
            return self.script[index]
        return {"status": 599, "headers": {}, "body": "script exhausted"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_ScriptedServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {"method": self.command, "path": self.path, "body": body.decode("utf-8")}
        entry = self.server.state.next_entry(record)
        action = entry.get("action")
        if action == "reset":
            self._reset()
            return
        if action == "stall":
            time.sleep(entry["ms"] / 1000)
        self._answer(entry)

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _answer(self, entry: Entry) -> None:
        payload = str(entry.get("body", "")).encode("utf-8")
        try:
            self.send_response(int(entry["status"]))
            for name, value in entry.get("headers", {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (read timeout) before we answered
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = _handle


class _ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ScriptState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@contextmanager
def scripted_server(script: Sequence[Entry]) -> Iterator[tuple[str, ScriptState]]:
    """Yield (endpoint_url, state); ``state.requests`` lists the requests that arrived."""
    state = ScriptState(script)
    server = _ScriptedServer(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", state
    finally:
        server.shutdown()
        server.server_close()
