"""sign_requests.py must reproduce the SigV4 vectors of spec/control-plane.md §5.2.

Run: .venv/bin/python -m pytest tools/oracle/test_sign_requests.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent / "sign_requests.py"
HOST = "ivschat.us-east-1.amazonaws.com"
ENDPOINT = f"https://{HOST}"
ARN = "arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234"
TAGS_PATH = "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Aroom%2FabcdEFGH1234"
CREDENTIALS = {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
JSON_HEADERS = {"content-type": "application/json", "host": HOST}

# id -> (operation, params, method, path+query, sent body, signedHeaders, signature) from spec §5.2
VECTORS: dict[str, tuple[str, dict[str, Any], str, str, str | None, str, str]] = {
    "CreateRoom": (
        "CreateRoom", {"name": "demo", "maximumMessageLength": 500, "tags": {"env": "dev"}},
        "POST", "/CreateRoom", '{"name": "demo", "maximumMessageLength": 500, "tags": {"env": "dev"}}',
        "content-type;host;x-amz-date", "c4a54105571de73dc69b7cc59990a8c966bf66a29eab2680310c4f63bdde258c"),
    "ListRooms": (
        "ListRooms", {"maxResults": 10}, "POST", "/ListRooms", '{"maxResults": 10}',
        "content-type;host;x-amz-date", "48623fb50db697da9078612cf4cc12638fc6a1f3aa97955bad090f76335c1d53"),
    "TagResource": (
        "TagResource", {"resourceArn": ARN, "tags": {"a": "b"}}, "POST", TAGS_PATH, '{"tags": {"a": "b"}}',
        "content-type;host;x-amz-date", "0d8240a821a3f95ad05e43893a5ad8b8dc85a2e197f2291aadd0f6b6fd7c58a4"),
    "UntagResource": (
        "UntagResource", {"resourceArn": ARN, "tagKeys": ["a", "b"]}, "DELETE", TAGS_PATH + "?tagKeys=a&tagKeys=b",
        None, "host;x-amz-date", "45b7d08262a0129f0ae253928c1d0aa9315809ec978b03241726a2764bc1e677"),
    "ListTagsForResource": (
        "ListTagsForResource", {"resourceArn": ARN}, "GET", TAGS_PATH, None,
        "host;x-amz-date", "cb6b5cb14860847f50b3effcffee01f608bfad2ebb69378b23d50ddeb238c6f9"),
    "CreateChatToken": (
        "CreateChatToken", {"roomIdentifier": ARN, "userId": "u1", "capabilities": ["SEND_MESSAGE"],
                            "sessionDurationInMinutes": 60, "attributes": {"k": "v"}},
        "POST", "/CreateChatToken",
        '{"roomIdentifier": "' + ARN + '", "userId": "u1", "capabilities": ["SEND_MESSAGE"], '
        '"sessionDurationInMinutes": 60, "attributes": {"k": "v"}}',
        "content-type;host;x-amz-date", "fcfbb5169d848782a228b88925741ebdce0ea13723f472c819d92d1ee850e520"),
}

TAG_RESOURCE_CANONICAL = "\n".join([
    "POST",
    "/tags/arn%253Aaws%253Aivschat%253Aus-east-1%253A123456789012%253Aroom%252FabcdEFGH1234",
    "",
    "content-type:application/json",
    f"host:{HOST}",
    "x-amz-date:20150830T123600Z",
    "",
    "content-type;host;x-amz-date",
    "af99954d1a6b159a708bcebb56275c7d88553c0ffbf0f14b6362c9c1c0a671fb",
])
TAG_RESOURCE_STRING_TO_SIGN = "\n".join([
    "AWS4-HMAC-SHA256",
    "20150830T123600Z",
    "20150830/us-east-1/ivschat/aws4_request",
    "46fd004468ab78d3df25341b79881a73bd5c7e7f0400e0e4d0ce74db6fc53134",
])


def request_entry(case_id: str) -> dict[str, Any]:
    operation, params, method, target, body, _, _ = VECTORS[case_id]
    headers = JSON_HEADERS if body is not None else {"host": HOST}
    # A header outside content-type/host/x-amz-security-token must be ignored when re-signing.
    sent_headers = {**headers, "x-amz-user-agent": "ivschat-rust/0.0.0", "amz-sdk-request": "attempt=1; max=3"}
    return {"id": case_id, "operation": operation, "params": params, "credentials": CREDENTIALS,
            "endpoint": ENDPOINT, "sent": {"method": method, "url": ENDPOINT + target,
                                           "headers": sent_headers, "body": body}}


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    document = {"time": "20150830T123600Z", "region": "us-east-1",
                "requests": [request_entry(case_id) for case_id in VECTORS]}
    completed = subprocess.run([sys.executable, str(SCRIPT)], input=json.dumps(document),
                               capture_output=True, text=True, check=True)
    return {entry["id"]: entry for entry in json.loads(completed.stdout)}


@pytest.mark.parametrize("case_id", sorted(VECTORS))
def test_botocore_request_matches_vector(results: dict[str, dict[str, Any]], case_id: str) -> None:
    _, _, method, target, body, signed_headers, signature = VECTORS[case_id]
    botocore = results[case_id]["botocore"]
    assert botocore["method"] == method
    assert botocore["url"] == ENDPOINT + target
    assert botocore["body"] == body
    assert botocore["signedHeaders"] == signed_headers
    assert botocore["signature"] == signature
    assert f"Signature={signature}" in botocore["headers"]["authorization"]
    assert botocore["headers"]["x-amz-date"] == "20150830T123600Z"


@pytest.mark.parametrize("case_id", sorted(VECTORS))
def test_resigned_request_matches_vector(results: dict[str, dict[str, Any]], case_id: str) -> None:
    _, _, _, _, _, signed_headers, signature = VECTORS[case_id]
    resigned = results[case_id]["resigned"]
    assert resigned["signedHeaders"] == signed_headers
    assert resigned["signature"] == signature
    assert resigned["canonicalRequest"] == results[case_id]["botocore"]["canonicalRequest"]


def test_tag_resource_canonical_request_and_string_to_sign(results: dict[str, dict[str, Any]]) -> None:
    for view in ("botocore", "resigned"):
        assert results["TagResource"][view]["canonicalRequest"] == TAG_RESOURCE_CANONICAL
        assert results["TagResource"][view]["stringToSign"] == TAG_RESOURCE_STRING_TO_SIGN


def test_session_token_is_signed() -> None:
    entry = request_entry("ListTagsForResource")
    entry["credentials"] = {**CREDENTIALS, "sessionToken": "token-1"}
    entry["sent"]["headers"]["x-amz-security-token"] = "token-1"
    document = {"time": "20150830T123600Z", "region": "us-east-1", "requests": [entry]}
    completed = subprocess.run([sys.executable, str(SCRIPT)], input=json.dumps(document),
                               capture_output=True, text=True, check=True)
    [result] = json.loads(completed.stdout)
    assert result["botocore"]["signedHeaders"] == "host;x-amz-date;x-amz-security-token"
    assert result["botocore"]["headers"]["x-amz-security-token"] == "token-1"
    assert result["resigned"]["signature"] == result["botocore"]["signature"]
