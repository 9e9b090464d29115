"""Starts ivschat-local (never builds it): $IVSCHAT_LOCAL_BIN, else <workspace>/target/debug/ivschat-local
(or $CARGO_TARGET_DIR/debug/ivschat-local). Build first with `cargo build -p ivschat-emulator`."""

import json
import os
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[3]
LINE = re.compile(r"^ivschat-local listening on http://([^:\s]+|\[[^\]]+\]):(\d+)$")


def _binary() -> str:
    env = os.environ.get("IVSCHAT_LOCAL_BIN")
    if env:
        return env
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = target / "debug" / "ivschat-local"
    if not path.exists():
        pytest.exit(f"{path} not found: run `cargo build -p ivschat-emulator` or set IVSCHAT_LOCAL_BIN", 2)
    return str(path)


class Server:
    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [_binary(), "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        line = self.proc.stdout.readline().rstrip("\n")
        m = LINE.match(line)
        if not m:
            self.stop()
            raise RuntimeError(f"unexpected startup line: {line!r}")
        self.endpoint_url = f"http://{m.group(1)}:{m.group(2)}"

    def admin(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint_url + path, data=data, method=method)
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read() or b"null")

    def client(self, key="test", secret="test", region="us-east-1", **kw):
        return boto3.client(
            "ivschat",
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            **kw,
        )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def server():
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)
    s = Server(
        "--access-key-id", "test", "--secret-access-key", "test",
        "--access-key-id", "other", "--secret-access-key", "othersecret", "--account-id", "111111111111",
        "--max-rooms", "1000",
    )
    yield s
    s.stop()


@pytest.fixture
def client(server):
    server.admin("POST", "/_emulator/reset")
    return server.client()
