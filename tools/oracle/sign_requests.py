#!/usr/bin/env python3
"""SigV4 oracle for the Rust differential test.

Reads JSON from stdin:

    {"time": "20150830T123600Z", "region": "us-east-1",
     "requests": [{"id", "operation", "params" (wire names),
                   "credentials": {"accessKeyId", "secretAccessKey", "sessionToken"?},
                   "endpoint": "http://127.0.0.1:PORT",
                   "sent": {"method", "url", "headers": {lowercase: value}, "body": str | null}}]}

Writes JSON to stdout, one entry per request:

    {"id", "botocore": {method, url, headers, body, signedHeaders, canonicalRequest, stringToSign, signature},
           "resigned": {signedHeaders, canonicalRequest, stringToSign, signature}}

``botocore`` is the boto3 client's own prepared request for operation+params; ``resigned``
is botocore.auth.SigV4Auth signing OUR sent method+url+body with only the headers we sent
among content-type, host and x-amz-security-token. Both use the frozen time (spec §5.1);
``resigned`` is omitted when a request has no ``sent``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

import botocore_harness as harness  # noqa: E402  (isolates the AWS environment on import)
import botocore.auth  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

Json = Any
RESIGN_HEADERS = ("content-type", "host", "x-amz-security-token")
INVOCATION_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


@dataclass
class SigningRecord:
    """What the last SigV4Auth.add_auth computed (recorded by wrapping its steps)."""

    values: dict[str, str] = field(default_factory=dict)

    def as_json(self, signed_headers: str) -> dict[str, str]:
        return {"signedHeaders": signed_headers, **self.values}


@contextmanager
def frozen_signing(stamp: str) -> Iterator[SigningRecord]:
    """Freeze botocore's clock and invocation id, and record each signing step."""
    frozen = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    record = SigningRecord()
    originals = {name: getattr(SigV4Auth, name) for name in ("canonical_request", "string_to_sign", "signature")}
    keys = {"canonical_request": "canonicalRequest", "string_to_sign": "stringToSign", "signature": "signature"}

    def recording(name: str) -> Any:
        def wrapper(self: SigV4Auth, *args: Any) -> str:
            result = originals[name](self, *args)
            record.values[keys[name]] = result
            return result
        return wrapper

    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: frozen), \
            mock.patch("botocore.endpoint.uuid.uuid4", lambda: INVOCATION_ID):
        with mock.patch.multiple(SigV4Auth, **{name: recording(name) for name in originals}):
            yield record


def credentials_of(spec: Mapping[str, str]) -> Credentials:
    return Credentials(spec["accessKeyId"], spec["secretAccessKey"], spec.get("sessionToken"))


def botocore_view(item: Mapping[str, Json], region: str, record: SigningRecord) -> dict[str, Json]:
    client = harness.make_client(harness.ClientOptions(
        endpoint_url=item["endpoint"], region=region, credentials=item["credentials"]))
    captured: list[AWSPreparedRequest] = []

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        return harness.aws_response(request.url, 200, {"content-type": "application/json"}, b"{}")

    client.meta.events.register("before-send", answer)
    harness.call(client, item["operation"], item["params"])
    request = captured[0]
    headers = harness.lower_headers(request)
    return {
        "method": request.method,
        "url": request.url,
        "headers": headers,
        "body": harness.body_text(request),
        **record.as_json(harness.signed_headers(headers["authorization"])),
    }


def resigned_view(item: Mapping[str, Json], region: str, record: SigningRecord) -> dict[str, Json]:
    sent = item["sent"]
    headers = {name: value for name, value in sent["headers"].items() if name.lower() in RESIGN_HEADERS}
    body = sent.get("body")
    request = AWSRequest(method=sent["method"], url=sent["url"], headers=headers,
                         data=body.encode("utf-8") if body is not None else None)
    SigV4Auth(credentials_of(item["credentials"]), "ivschat", region).add_auth(request)
    return record.as_json(harness.signed_headers(request.headers["Authorization"]))


def sign_all(document: Mapping[str, Json]) -> list[dict[str, Json]]:
    region = document.get("region", harness.REGION)
    results = []
    for item in document["requests"]:
        entry: dict[str, Json] = {"id": item["id"]}
        with frozen_signing(document["time"]) as record:
            entry["botocore"] = botocore_view(item, region, record)
        if item.get("sent") is not None:
            with frozen_signing(document["time"]) as record:
                entry["resigned"] = resigned_view(item, region, record)
        results.append(entry)
    return results


def main() -> int:
    document = json.load(sys.stdin)
    json.dump(sign_all(document), sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
