"""The committed conformance cases are exactly what the generator produces, and well formed.

Run: .venv/bin/python -m pytest tools/oracle/test_generate_conformance.py
"""

from __future__ import annotations

import json
import re
from typing import Any

import generate_conformance

CASES_DIR = generate_conformance.CASES_DIR
KIND_KEYS = {
    "request": {"expect"},
    "response": {"response", "then"},
    "behaviour": {"config", "responses", "then"},
    "pagination": {"pages", "then"},
}
LANGUAGES = {"rust", "python", "node", "kotlin", "swift"}


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for name in generate_conformance.FILES:
        path = CASES_DIR / name
        cases.extend(json.loads(path.read_text(encoding="utf-8"))["cases"])
    return cases


def test_committed_files_are_up_to_date() -> None:
    assert generate_conformance.changed_files(generate_conformance.build_all()) == []


def test_cases_are_well_formed() -> None:
    cases = load_cases()
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids))
    assert len(cases) >= 250
    for case in cases:
        assert re.fullmatch(r"[a-z]+(\.[^.\s]+)+", case["id"]), case["id"]
        assert KIND_KEYS[case["kind"]] <= case.keys(), case["id"]
        assert set(case.get("skip", {})) <= LANGUAGES, case["id"]
        then = case.get("then", {})
        assert ("output" in then) != ("error" in then) or case["kind"] in ("request", "pagination"), case["id"]


def test_every_operation_has_request_and_response_cases() -> None:
    client = generate_conformance.harness.make_client(generate_conformance.harness.ClientOptions())
    operations = set(client.meta.service_model.operation_names)
    assert len(operations) == 17
    cases = load_cases()
    for kind in ("request", "response"):
        assert {case["operation"] for case in cases if case["kind"] == kind} == operations, kind
