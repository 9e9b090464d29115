"""A canned-response HTTP/1.1 server for the benchmark: every request gets the same GetRoom
response (keep-alive, no parsing beyond the header end and content-length).

    python canned_server.py [--workers N]     # prints "listening on http://127.0.0.1:PORT"
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

BODY = json.dumps({
    "arn": "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234",
    "id": "abcdEFGH1234",
    "name": "bench",
    "createTime": "2024-05-01T12:34:56.789Z",
    "updateTime": "2024-05-02T08:00:00.123456Z",
    "maximumMessageRatePerSecond": 10,
    "maximumMessageLength": 500,
    "messageReviewHandler": {"uri": "", "fallbackResult": "ALLOW"},
    "tags": {"env": "bench"},
    "loggingConfigurationIdentifiers": [],
}).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"x-amzn-requestid: 7d3b2c1a-0000-4000-8000-00000000a001\r\n"
    + f"content-length: {len(BODY)}\r\n\r\n".encode() + BODY
)


class Canned(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        out = []
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end].lower()
            i = head.find(b"content-length:")
            length = 0
            if i >= 0:
                j = head.find(b"\r\n", i)
                length = int(head[i + 15: j if j >= 0 else len(head)])
            total = end + 4 + length
            if len(buf) < total:
                break
            buf = buf[total:]
            out.append(RESPONSE)
        self.buf = buf
        if out:
            self.t.write(b"".join(out))


def serve(sock: socket.socket) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Canned, sock=sock)
        await server.serve_forever()

    asyncio.run(main())


if __name__ == "__main__":
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 1
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    for _ in range(workers - 1):
        if os.fork() == 0:
            serve(sock)
            os._exit(0)
    serve(sock)
