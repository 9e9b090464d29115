"""Runtime behaviour: threads, fork, cancellation, Ctrl-C, credentials callbacks, errors, logging."""
from __future__ import annotations

import asyncio
import datetime
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import pytest

import ivschat
from conftest import Admin
from ivschat.testing import LocalServer

ARN = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"


def test_32_threads_x_200_calls_one_client(client: ivschat.Client) -> None:
    room = client.create_room(name="threads")
    errors: List[BaseException] = []

    def work(_: int) -> int:
        n = 0
        for _ in range(200):
            try:
                assert client.get_room(identifier=room.arn or "").arn == room.arn
                n += 1
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
        return n

    with ThreadPoolExecutor(32) as pool:
        done = sum(pool.map(work, range(32)))
    assert not errors and done == 32 * 200


def test_threads_run_in_parallel(client: ivschat.Client, scripted: Admin) -> None:
    # 8 calls each stalled 400 ms by the server finish in about 400 ms, not 3.2 s: the GIL is free.
    slow = {"action": "stall", "ms": 400, "status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}
    scripted.script([slow] * 8)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: client.get_room(identifier=ARN), range(8)))
    assert time.monotonic() - started < 2.0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_fork_child_works(server: LocalServer, client: ivschat.Client) -> None:
    room = client.create_room(name="before-fork")  # the parent's runtimes and pools are in use
    asyncio.run(ivschat.AsyncClient(**server.client_kwargs()).list_rooms())
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: must work (or fail clearly), never hang
        code = 1
        try:
            ok = client.get_room(identifier=room.arn or "").arn == room.arn
            fresh = ivschat.Client(**server.client_kwargs()).get_room(identifier=room.arn or "")

            async def in_child() -> bool:  # the child's own runtime and completion thread
                got = await ivschat.AsyncClient(**server.client_kwargs()).get_room(identifier=room.arn or "")
                return got.arn == room.arn

            code = 0 if ok and fresh.arn == room.arn and asyncio.run(in_child()) else 2
        except BaseException as e:  # noqa: BLE001
            os.write(w, repr(e).encode())
        finally:
            os._exit(code)
    os.close(w)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("forked child hung")
        time.sleep(0.05)
    message = os.read(r, 4096).decode()
    os.close(r)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, message
    assert client.get_room(identifier=room.arn or "").arn == room.arn  # parent still fine


EXIT_DURING_CALLS = """
import ast, asyncio, sys, threading, time
import ivschat

async def flood() -> None:
    client = ivschat.AsyncClient(**ast.literal_eval(sys.argv[1]))
    async def calls() -> None:
        while True:
            await client.list_rooms()
    await asyncio.gather(*(calls() for _ in range(32)))

threading.Thread(target=lambda: asyncio.run(flood()), daemon=True).start()
time.sleep(0.3)
"""


def test_exit_while_calls_complete_does_not_crash(server: LocalServer) -> None:
    # Python exits while calls keep completing: before 3.14 a thread that runs Python code during
    # finalization is killed mid-call, so the completion thread must stop first (was 3 SIGSEGVs in 20).
    for _ in range(8):
        done = subprocess.run([sys.executable, "-c", EXIT_DURING_CALLS, repr(server.client_kwargs())],
                              capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()[-2000:]


def test_asyncio_cancellation_cancels_the_request(server: LocalServer, scripted: Admin) -> None:
    slow = {"action": "stall", "ms": 3000, "status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}
    scripted.script([slow, slow, slow])

    async def main() -> float:
        c = ivschat.AsyncClient(**server.client_kwargs(), max_attempts=1)
        task = asyncio.ensure_future(c.get_room(identifier=ARN))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # a timeout also cancels
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.get_room(identifier=ARN), 0.2)
        return time.monotonic() - started

    assert asyncio.run(main()) < 1.0
    assert len(scripted.recorded()) == 2  # no retry after cancellation


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_interrupts_a_blocking_call(client: ivschat.Client, scripted: Admin) -> None:
    slow = {"action": "stall", "ms": 5000, "status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}
    scripted.script([slow])
    # Python's own Ctrl-C handler, also when the tests were started in the background (a shell
    # starts background jobs with SIGINT ignored, and Python then leaves it ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.get_room(identifier=ARN)
        assert time.monotonic() - started < 2.0
    finally:
        signal.signal(signal.SIGINT, previous)


def test_sync_credentials_callback(server: LocalServer) -> None:
    calls: List[int] = []

    def provider() -> ivschat.Credentials:
        calls.append(1)
        return ivschat.Credentials("test", "test", expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))

    c = ivschat.Client(region="us-east-1", endpoint_url=server.endpoint_url, credentials_provider=provider)
    for _ in range(3):
        c.create_room(name="cb")
    assert len(calls) == 1  # cached until 5 minutes before expiry

    bad = ivschat.Client(region="us-east-1", endpoint_url=server.endpoint_url,
                         credentials_provider=lambda: {"access_key_id": "nope", "secret_access_key": "x"})
    with pytest.raises(ivschat.ServiceError) as denied:
        bad.list_rooms()
    assert denied.value.code == "UnrecognizedClientException" and denied.value.status_code == 403

    def boom() -> Any:
        raise RuntimeError("vault is down")

    failing = ivschat.Client(region="us-east-1", endpoint_url=server.endpoint_url, credentials_provider=boom, max_attempts=1)
    with pytest.raises(ivschat.CredentialsError, match="vault is down") as e:
        failing.list_rooms()
    assert e.value.code == "CredentialsError" and e.value.status_code is None


def test_async_credentials_callback(server: LocalServer) -> None:
    loops: List[Any] = []

    async def provider() -> Dict[str, str]:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0.01)
        return {"access_key_id": "test", "secret_access_key": "test"}

    async def main() -> None:
        async with ivschat.AsyncClient(region="us-east-1", endpoint_url=server.endpoint_url, credentials_provider=provider) as c:
            await asyncio.gather(*(c.create_room(name="acb") for _ in range(5)))
            assert loops == [asyncio.get_running_loop()]  # awaited on the caller's loop, once

    asyncio.run(main())
    # an async provider with the sync client runs on a private loop
    sync = ivschat.Client(region="us-east-1", endpoint_url=server.endpoint_url, credentials_provider=provider)
    sync.list_rooms()
    assert len(loops) == 2


MODELED = {
    "AccessDeniedException": (403, {}),
    "ConflictException": (409, {"resourceId": "r1", "resourceType": "ROOM"}),
    "InternalServerException": (500, {}),
    "PendingVerification": (403, {}),
    "ResourceNotFoundException": (404, {"resourceId": "r1", "resourceType": "ROOM"}),
    "ServiceQuotaExceededException": (402, {"resourceId": "r1", "resourceType": "ROOM", "limit": 50}),
    "ThrottlingException": (429, {"resourceId": "r1", "resourceType": "ROOM", "limit": 5}),
    "ValidationException": (400, {"reason": "FIELD_VALIDATION_FAILED", "fieldList": [{"name": "name", "message": "bad"}]}),
}


@pytest.mark.parametrize("code", sorted(MODELED))
def test_modeled_error_classes_and_fields(code: str, server: LocalServer, scripted: Admin) -> None:
    import json

    status, fields = MODELED[code]
    body = json.dumps({"message": f"{code} says no", **fields})
    scripted.script([{"status": status, "headers": {"x-amzn-errortype": code, "x-amzn-requestid": "rid-1",
                                                    "content-type": "application/json"}, "body": body}])
    c = ivschat.Client(**server.client_kwargs(), max_attempts=1)
    cls = getattr(ivschat, code)
    with pytest.raises(cls) as e:
        c.get_room(identifier=ARN)
    err = e.value
    assert isinstance(err, ivschat.ServiceError) and isinstance(err, ivschat.IvschatError)
    assert type(err) is cls and ivschat.MODELED_ERRORS[code] is cls
    assert (err.code, err.message, err.request_id, err.status_code) == (code, f"{code} says no", "rid-1", status)
    assert err.fields == fields
    for wire, value in fields.items():
        attr = {"resourceId": "resource_id", "resourceType": "resource_type", "fieldList": "field_list"}.get(wire, wire)
        assert getattr(err, attr) == value


def test_unknown_code_transport_and_timeout_errors(server: LocalServer, scripted: Admin) -> None:
    scripted.script([{"status": 418, "headers": {"x-amzn-errortype": "TeapotException", "x-amzn-requestid": "r2"},
                      "body": '{"message": "short and stout"}'}])
    c = ivschat.Client(**server.client_kwargs(), max_attempts=1)
    with pytest.raises(ivschat.ServiceError) as e:
        c.get_room(identifier=ARN)
    assert type(e.value) is ivschat.ServiceError
    assert (e.value.code, e.value.message, e.value.status_code, e.value.request_id) == ("TeapotException", "short and stout", 418, "r2")

    scripted.script([{"action": "stall", "ms": 1500, "status": 200, "headers": {}, "body": "{}"}])
    t = ivschat.Client(**server.client_kwargs(), max_attempts=1, read_timeout=0.2)
    with pytest.raises(ivschat.RequestTimeoutError) as te:
        t.get_room(identifier=ARN)
    assert te.value.code == "Timeout" and isinstance(te.value, TimeoutError) and te.value.status_code is None
    scripted.unscript()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = ivschat.Client(region="us-east-1", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id="a",
                          aws_secret_access_key="b", max_attempts=1)
    with pytest.raises(ivschat.TransportError) as ce:
        dead.list_rooms()
    assert ce.value.code == "ConnectionError" and isinstance(ce.value, ConnectionError)

    with pytest.raises(ivschat.ConfigurationError):
        ivschat.Client(region="us-east-1", endpoint_url="ftp://nope", aws_access_key_id="a", aws_secret_access_key="b")


def test_async_errors_and_pagination(server: LocalServer) -> None:
    async def main() -> None:
        c = ivschat.AsyncClient(**server.client_kwargs())
        with pytest.raises(ivschat.ResourceNotFoundException) as e:
            await c.get_room(identifier=ARN)
        assert e.value.resource_id == "abcdEFGH1234" and e.value.request_id
        names = {f"page-{i}" for i in range(5)}
        for n in names:
            await c.create_room(name=n)
        seen = {r.name async for r in c.paginate_list_rooms(max_results=2)}
        assert names <= seen

    asyncio.run(main())


def test_logging_reaches_python_logging(client: ivschat.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="ivschat"):
        ivschat.refresh_logging()
        client.list_rooms(max_results=1)
    ivschat.refresh_logging()
    records = [r for r in caplog.records if r.name == "ivschat"]
    text = "\n".join(r.getMessage() for r in records)
    assert any(r.levelno == logging.INFO and r.getMessage().startswith('ivschat.operation{operation="ListRooms" attempts=1')
               and r.getMessage().endswith("}: close") for r in records), text
    assert any(r.levelno == logging.DEBUG and "ivschat.attempt{attempt=1" in r.getMessage() and "status=200" in r.getMessage()
               for r in records), text
    assert "path=" not in text  # the in-process emulator's own logs are not forwarded
    assert "test" not in text.replace("ivschat", "")  # no access key / secret in logs


def test_local_server_context_manager_and_fixture(local_server: LocalServer) -> None:
    with LocalServer() as s:
        c = ivschat.Client(**s.client_kwargs())
        assert c.create_room(name="x").arn
        assert s.ws_url.startswith("ws://")
    assert local_server.endpoint_url.startswith("http://127.0.0.1:")


def test_client_repr_and_context_manager(server: LocalServer) -> None:
    with ivschat.Client(**server.client_kwargs()) as c:
        assert "test" not in repr(c).replace("_", "")
        assert c.region == "us-east-1"


def test_operation_and_attempt_timeouts_bound_a_stalled_response(server: LocalServer, scripted: Admin) -> None:
    stall = {"action": "stall", "ms": 5000, "status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}
    scripted.script([stall] * 4)
    whole = ivschat.Client(**server.client_kwargs(), read_timeout=0, operation_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(ivschat.RequestTimeoutError) as e:
        whole.get_room(identifier=ARN)
    assert time.monotonic() - started < 3.0 and isinstance(e.value, TimeoutError)

    scripted.script([stall] * 4)
    each = ivschat.Client(**server.client_kwargs(), read_timeout=0, attempt_timeout=0.3, max_attempts=2,
                          initial_backoff=0.001)
    started = time.monotonic()
    with pytest.raises(ivschat.RequestTimeoutError):
        each.get_room(identifier=ARN)
    assert time.monotonic() - started < 4.0
    assert len(scripted.recorded()) == 2  # each attempt was cut short, then retried once

    async def main() -> None:
        c = ivschat.AsyncClient(**server.client_kwargs(), read_timeout=0, operation_timeout=0.3)
        with pytest.raises(ivschat.RequestTimeoutError):
            await c.get_room(identifier=ARN)

    scripted.script([stall])
    asyncio.run(main())


def test_max_response_bytes_refuses_a_huge_response(server: LocalServer, scripted: Admin) -> None:
    import json

    body = json.dumps({"arn": ARN, "name": "x" * 200_000})
    scripted.script([{"status": 200, "headers": {"content-type": "application/json"}, "body": body}])
    small = ivschat.Client(**server.client_kwargs(), max_response_bytes=10_000, max_attempts=1)
    with pytest.raises(ivschat.ResponseParseError, match="10000"):
        small.get_room(identifier=ARN)
    scripted.script([{"status": 200, "headers": {"content-type": "application/json"}, "body": body}])
    assert ivschat.Client(**server.client_kwargs()).get_room(identifier=ARN).name == "x" * 200_000


def test_bad_options_name_the_setting(server: LocalServer) -> None:
    with pytest.raises(ivschat.ConfigurationError, match="operation_timeout"):
        ivschat.Client(**server.client_kwargs(), operation_timeout=-1)
    with pytest.raises(ivschat.ConfigurationError, match="max_attempts"):
        ivschat.Client(**server.client_kwargs(), max_attempts="three")  # type: ignore[arg-type]
