#!/usr/bin/env python3
"""Rebuild tests/conformance/cases/*.json from the inputs in conformance_inputs.py.

Every expectation is produced by running botocore (see botocore_harness.py); nothing
expected is written by hand. Output is deterministic: sorted keys, 2-space indent,
trailing newline, cases in input order.

    python tools/oracle/generate_conformance.py          # write the files
    python tools/oracle/generate_conformance.py --check  # exit 1 and list files that would change
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

import botocore_harness as harness  # noqa: E402
import conformance_inputs as inputs  # noqa: E402
from botocore.awsrequest import AWSPreparedRequest, AWSResponse  # noqa: E402
from botocore.retries.standard import ExponentialBackoff  # noqa: E402
from scripted_server import scripted_server  # noqa: E402

Json = Any
CASES_DIR = Path(__file__).resolve().parents[2] / "tests" / "conformance" / "cases"
COMMON_KEYS = ("id", "operation", "params", "credentials", "note", "skip")


def base_case(item: Mapping[str, Json], kind: str, extra_note: str | None = None) -> dict[str, Json]:
    case = {key: item[key] for key in COMMON_KEYS if key in item}
    case["kind"] = kind
    notes = [n for n in (item.get("note"), extra_note) if n]
    if notes:
        case["note"] = " ".join(notes)
    return case


def encode_response(response: Mapping[str, Json]) -> tuple[int, dict[str, str], bytes]:
    return int(response["status"]), dict(response.get("headers", {})), str(response.get("body", "")).encode("utf-8")


# --------------------------------------------------------------------------- kinds


def request_case(item: Mapping[str, Json]) -> dict[str, Json]:
    prepared = harness.capture_request(item["operation"], item["params"], item.get("credentials"))
    case = base_case(item, "request")
    case["expect"] = harness.request_expectation(prepared)
    return case


def response_case(item: Mapping[str, Json]) -> dict[str, Json]:
    status, headers, body = encode_response(item["response"])
    outcome = harness.parse_synthetic(item["operation"], item["params"], status, headers, body)
    deviation = item.get("deviation")
    case = base_case(item, "response", " ".join(n for n in (outcome.note, deviation and deviation["why"]) if n) or None)
    case["response"] = item["response"]
    case["then"] = outcome.then
    if deviation:
        case["botocore"], case["then"] = outcome.then, deviation_then(item, deviation)
    return case


def deviation_then(item: Mapping[str, Json], deviation: Mapping[str, Json]) -> Json:
    """What ivschat does instead: given outright, or botocore's answer to the `as_if` response
    (the same response without the member ivschat cannot read)."""
    if "then" in deviation:
        return deviation["then"]
    status, headers, body = encode_response(deviation["as_if"])
    outcome = harness.parse_synthetic(item["operation"], item["params"], status, headers, body)
    if outcome.note:
        raise ValueError(f"{item['id']}: botocore cannot parse the as_if response either: {outcome.note}")
    return outcome.then


def behaviour_case(item: Mapping[str, Json]) -> dict[str, Json]:
    config = item["config"]
    with scripted_server(item["responses"]) as (endpoint, state):
        client = harness.make_client(harness.ClientOptions(
            endpoint_url=endpoint,
            max_attempts=config.get("maxAttempts", harness.MAX_ATTEMPTS),
            read_timeout_s=config["readTimeoutMs"] / 1000 if "readTimeoutMs" in config else None,
        ))
        last_status = int(item["responses"][-1].get("status", 0))
        outcome = harness.run_call(lambda: harness.call(client, item["operation"], item["params"]), last_status)
        attempts = len(state.requests)
    case = base_case(item, "behaviour", outcome.note)
    case["config"] = config
    case["responses"] = item["responses"]
    case["then"] = {"attempts": attempts, **outcome.then}
    return case


def _scripted_client(responses: list[Mapping[str, Json]]) -> Any:
    client = harness.make_client(harness.ClientOptions(max_attempts=1))
    queue = list(responses)

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        status, headers, body = encode_response(queue.pop(0))
        return harness.aws_response(request.url, status, headers, body)

    client.meta.events.register("before-send", answer)
    return client


ITEMS_MEMBER = {"ListRooms": "rooms", "ListLoggingConfigurations": "loggingConfigurations"}


def pagination_case(item: Mapping[str, Json]) -> dict[str, Json]:
    """Loop botocore calls with nextToken until it is missing, empty or repeats the token sent."""
    operation, responses = item["operation"], item["pageResponses"]
    client = _scripted_client(responses)
    params: dict[str, Json] = dict(item["params"])
    pages: list[dict[str, Json]] = []
    items: list[Json] = []
    while True:
        if len(pages) == len(responses):
            raise ValueError(f"{item['id']}: botocore wants more pages than the case provides")
        output = harness.output_of(harness.call(client, operation, params))
        pages.append({"params": dict(params), "response": responses[len(pages)]})
        items.extend(output.get(ITEMS_MEMBER[operation], []))
        token = output.get("nextToken")
        if not token or token == params.get("nextToken"):
            break
        params["nextToken"] = token
    if len(pages) != len(responses):
        raise ValueError(f"{item['id']}: {len(responses) - len(pages)} page responses left unused")
    case = base_case(item, "pagination")
    case["pages"] = pages
    case["then"] = {"items": items, "requests": len(pages)}
    return case


# --------------------------------------------------------------------------- files

FILES: dict[str, tuple[Callable[[Mapping[str, Json]], dict[str, Json]], list[dict[str, Json]]]] = {
    "requests.json": (request_case, inputs.REQUESTS),
    "responses.json": (response_case, inputs.RESPONSES),
    "errors.json": (response_case, inputs.ERRORS),
    "behaviour.json": (behaviour_case, inputs.BEHAVIOURS),
    "pagination.json": (pagination_case, inputs.PAGINATIONS),
}


def render(cases: Iterable[Mapping[str, Json]]) -> str:
    return json.dumps({"cases": list(cases)}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_all() -> dict[str, str]:
    built: dict[str, list[dict[str, Json]]] = {}
    with mock.patch.object(ExponentialBackoff, "delay_amount", lambda self, context: 0):
        for name, (build, items) in FILES.items():
            built[name] = [build(item) for item in items]
    counts = Counter(case["id"] for cases in built.values() for case in cases)
    duplicates = sorted(case_id for case_id, count in counts.items() if count > 1)
    if duplicates:
        raise ValueError(f"duplicate case ids: {duplicates}")
    return {name: render(cases) for name, cases in built.items()}


def changed_files(rendered: Mapping[str, str]) -> list[str]:
    changed = []
    for name, text in rendered.items():
        path = CASES_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changed.append(str(path))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if any file would change")
    args = parser.parse_args(argv)
    rendered = build_all()
    changed = changed_files(rendered)
    if args.check:
        for path in changed:
            print(f"would change: {path}")
        return 1 if changed else 0
    CASES_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (CASES_DIR / name).write_text(text, encoding="utf-8")
    total = sum(len(json.loads(text)["cases"]) for text in rendered.values())
    print(f"wrote {len(rendered)} files, {total} cases, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
