"""The shared conformance suite (tests/conformance/cases/*.json) through the public Python API,
against the in-process emulator's script API. Mirrors core/tests/conformance.rs."""
from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List, Optional

import pytest

import ivschat
from conftest import REPO, Admin, snake, to_kwargs

LANGUAGE = "python"
CASES_DIR = REPO / "tests" / "conformance" / "cases"


def load_cases() -> List[Dict[str, Any]]:
    cases: List[Dict[str, Any]] = []
    for f in sorted(CASES_DIR.glob("*.json")):
        cases.extend(json.loads(f.read_text())["cases"])
    return cases


def neutral(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        t = value.astimezone(datetime.timezone.utc)
        return f"{t.year:04d}-" + t.strftime("%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}Z"
    if isinstance(value, dict):
        return {k: neutral(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [neutral(v) for v in value]
    return value


def make_client(url: str, creds: Dict[str, Any], max_attempts: int, read_timeout_ms: Optional[int] = None) -> ivschat.Client:
    kwargs: Dict[str, Any] = dict(
        region="us-east-1", endpoint_url=url, aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"], aws_session_token=creds.get("sessionToken"),
        max_attempts=max_attempts, initial_backoff=0.001,
    )
    if read_timeout_ms is not None:
        kwargs["read_timeout"] = read_timeout_ms / 1000
    return ivschat.Client(**kwargs)


def call(client: ivschat.Client, operation: str, params: Dict[str, Any]) -> Any:
    return getattr(client, snake(operation))(**to_kwargs(operation, params))


def outcome(client: ivschat.Client, operation: str, params: Dict[str, Any]) -> Dict[str, Any]:
    try:
        out = call(client, operation, params)
    except ivschat.IvschatError as e:
        err: Dict[str, Any] = {"code": e.code, "message": e.message, "status": e.status_code or 0, "fields": neutral(e.fields)}
        if e.request_id is not None:
            err["requestId"] = e.request_id
        return {"error": err}
    return {"output": neutral(out.to_dict())}


def parse_body(request: Dict[str, Any]) -> Any:
    text = request.get("body")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def expect_eq(what: str, actual: Any, expected: Any) -> None:
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def check_request(r: Dict[str, Any], e: Dict[str, Any]) -> None:
    expect_eq("method", r["method"], e["method"])
    expect_eq("path", r["path"], e["path"])
    expect_eq("query", r["query"], e["query"])
    for name, value in e["headers"].items():
        expect_eq(f"header {name}", r["headers"].get(name), value)
    for name in e["forbidHeaders"]:
        if r["headers"].get(name) is not None:
            raise AssertionError(f"header {name} must be absent")
    if r["signature"].get("valid") is not True:
        raise AssertionError(f"signature rejected: {r['signature']}")
    expect_eq("signedHeaders", r["signature"]["signedHeaders"], e["signedHeaders"])
    expect_eq("body", parse_body(r), e["body"])


def compare(expected: Dict[str, Any], actual: Dict[str, Any]) -> None:
    if "output" in expected:
        expect_eq("outcome", actual, {"output": expected["output"]})
        return
    e, a = expected["error"], actual.get("error")
    if a is None:
        raise AssertionError(f"expected error {e}, got {actual}")
    for key in ("code", "status", "fields"):
        expect_eq(key, a.get(key), e.get(key))
    if e.get("requestId") is not None:
        expect_eq("requestId", a.get("requestId"), e["requestId"])
    if e["code"] not in ("Timeout", "ConnectionError", "ResponseParseError"):
        expect_eq("message", a.get("message"), e["message"])


def run_case(admin: Admin, case: Dict[str, Any]) -> None:
    creds = case.get("credentials") or {"accessKeyId": "test", "secretAccessKey": "test"}
    op, params, kind = case["operation"], case["params"], case["kind"]
    if kind == "request":
        admin.script([{"status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}], creds)
        try:
            call(make_client(admin.url, creds, 3), op, params)
        except ivschat.IvschatError:
            pass
        requests = admin.recorded()
        if not requests:
            raise AssertionError("no request arrived")
        check_request(requests[0], case["expect"])
    elif kind == "response":
        admin.script([case["response"]], creds)
        compare(case["then"], outcome(make_client(admin.url, creds, 1), op, params))
    elif kind == "behaviour":
        admin.script(case["responses"], creds)
        cfg = case.get("config") or {}
        client = make_client(admin.url, creds, cfg.get("maxAttempts", 3), cfg.get("readTimeoutMs"))
        compare(case["then"], outcome(client, op, params))
        expect_eq("attempts", len(admin.recorded()), case["then"]["attempts"])
    elif kind == "pagination":
        pages = case["pages"]
        admin.script([p["response"] for p in pages], creds)
        client = make_client(admin.url, creds, 1)
        method = getattr(client, "paginate_" + snake(op))
        items = [neutral(x.to_dict()) for x in method(**to_kwargs(op, params))]
        expect_eq("items", items, case["then"]["items"])
        requests = admin.recorded()
        expect_eq("requests", len(requests), case["then"]["requests"])
        for request, page in zip(requests, pages):
            expect_eq("page request body", parse_body(request), page["params"])
    else:
        raise AssertionError(f"unknown kind {kind}")


def test_conformance(scripted: Admin, capsys: pytest.CaptureFixture[str]) -> None:
    passed = failed = skipped = 0
    failures: List[str] = []
    for case in load_cases():
        if LANGUAGE in (case.get("skip") or {}):
            skipped += 1
            continue
        try:
            run_case(scripted, case)
            passed += 1
        except Exception as e:  # noqa: BLE001 - every failure is reported by case id
            failed += 1
            failures.append(f"FAIL {case['id']}: {type(e).__name__}: {e}")
    with capsys.disabled():
        for f in failures:
            print(f)
        print(f"\nconformance: {passed} passed, {failed} failed, {skipped} skipped")
    assert failed == 0, "\n".join(failures)
    assert passed >= 250
