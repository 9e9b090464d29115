"""Run the real boto3 ``ivschat`` client and express what it does as neutral JSON.

Everything the conformance suite expects comes through this module: requests are
captured in botocore's ``before-send`` event, synthetic responses are handed back
from the same event (so botocore's real RestJSONParser, error factory and retry
handler run), and results are converted to the neutral JSON of
tests/conformance/README.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:4580"
DEFAULT_CREDENTIALS: dict[str, str] = {"accessKeyId": "test", "secretAccessKey": "test"}
MAX_ATTEMPTS = 3


def isolate_environment() -> None:
    """Keep the host's AWS configuration out of every client we build."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = "/nonexistent/aws-config"
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/aws-credentials"
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    # botocore reads epoch numbers and offset-less strings in the local zone; pin it so the
    # cases at the edges of years 1-9999 do not depend on the host.
    os.environ["TZ"] = "UTC"
    time.tzset()


isolate_environment()

import boto3  # noqa: E402  (imported after the environment is isolated)
from botocore.awsrequest import AWSPreparedRequest, AWSResponse  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import (  # noqa: E402
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore import xform_name  # noqa: E402

Json = Any


@dataclass(frozen=True)
class ClientOptions:
    endpoint_url: str = ENDPOINT
    region: str = REGION
    credentials: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CREDENTIALS))
    max_attempts: int = MAX_ATTEMPTS
    read_timeout_s: float | None = None


_SESSION = boto3.session.Session(region_name=REGION)  # one session: the model loader caches


def make_client(options: ClientOptions) -> Any:
    config_kwargs: dict[str, Any] = {
        "retries": {"mode": "standard", "total_max_attempts": options.max_attempts}
    }
    if options.read_timeout_s is not None:
        config_kwargs["read_timeout"] = options.read_timeout_s
    return _SESSION.client(
        "ivschat",
        region_name=options.region,
        endpoint_url=options.endpoint_url,
        aws_access_key_id=options.credentials["accessKeyId"],
        aws_secret_access_key=options.credentials["secretAccessKey"],
        aws_session_token=options.credentials.get("sessionToken"),
        config=Config(**config_kwargs),
    )


def call(client: Any, operation: str, params: Mapping[str, Json]) -> Json:
    return getattr(client, xform_name(operation))(**params)


class _StaticBody:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def aws_response(url: str, status: int, headers: Mapping[str, str], body: bytes) -> AWSResponse:
    return AWSResponse(url, status, dict(headers), _StaticBody(body))


# --------------------------------------------------------------------------- requests


def capture_request(
    operation: str, params: Mapping[str, Json], credentials: Mapping[str, str] | None = None
) -> AWSPreparedRequest:
    """The request botocore would send for ``operation(**params)``; nothing is sent."""
    options = ClientOptions(credentials=credentials or DEFAULT_CREDENTIALS)
    client = make_client(options)
    captured: list[AWSPreparedRequest] = []

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        return aws_response(request.url, 200, {"content-type": "application/json"}, b"{}")

    client.meta.events.register("before-send", answer)
    call(client, operation, params)
    return captured[0]


def signed_headers(authorization: str) -> str:
    for part in authorization.split(", "):
        if part.startswith("SignedHeaders="):
            return part[len("SignedHeaders="):]
    raise ValueError(f"no SignedHeaders in {authorization!r}")


def body_text(request: AWSPreparedRequest) -> str | None:
    body = request.body
    if body is None or body == b"" or body == "":
        return None
    return body.decode("utf-8") if isinstance(body, bytes) else str(body)


def lower_headers(request: AWSPreparedRequest) -> dict[str, str]:
    return {
        name.lower(): value.decode("utf-8") if isinstance(value, bytes) else value
        for name, value in request.headers.items()
    }


# Headers whose presence or absence the suite pins. Values of the first group are
# compared exactly; any of these botocore did not send lands in forbidHeaders.
PINNED_HEADERS = ("content-type", "x-amz-security-token", "amz-sdk-request")


def request_expectation(request: AWSPreparedRequest) -> dict[str, Json]:
    url = urlsplit(request.url)
    headers = lower_headers(request)
    text = body_text(request)
    return {
        "method": request.method,
        "path": url.path,
        "query": [list(pair) for pair in parse_qsl(url.query, keep_blank_values=True)],
        "rawQuery": url.query,
        "headers": {name: headers[name] for name in PINNED_HEADERS if name in headers},
        "forbidHeaders": [name for name in PINNED_HEADERS if name not in headers],
        "signedHeaders": signed_headers(headers["authorization"]),
        "body": None if text is None else json.loads(text),
    }


# --------------------------------------------------------------------------- outcomes


def neutral(value: Json) -> Json:
    """botocore output -> neutral JSON (UTC timestamps with 6 fractional digits)."""
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.timezone.utc)  # OverflowError when the UTC instant leaves years 1-9999
        return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")  # %Y is not zero-padded
    if isinstance(value, Mapping):
        return {key: neutral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [neutral(item) for item in value]
    return value


def output_of(parsed: Mapping[str, Json]) -> Json:
    return neutral({k: v for k, v in parsed.items() if k != "ResponseMetadata"})


_ERROR_ENVELOPE = {"Error", "ResponseMetadata", "message", "Message"}


def client_error(error: ClientError) -> dict[str, Json]:
    response = error.response
    metadata = response.get("ResponseMetadata", {})
    result: dict[str, Json] = {
        "code": response["Error"]["Code"],
        "message": response["Error"]["Message"],
        "status": metadata.get("HTTPStatusCode", 0),
        "fields": neutral({k: v for k, v in response.items() if k not in _ERROR_ENVELOPE}),
    }
    if "RequestId" in metadata:
        result["requestId"] = metadata["RequestId"]
    return result


def transport_error(error: HTTPClientError) -> dict[str, Json]:
    code = "Timeout" if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)) else "ConnectionError"
    return {"code": code, "message": type(error).__name__, "status": 0, "fields": {}}


@dataclass
class Outcome:
    then: dict[str, Json]
    note: str | None = None


def run_call(fn: Callable[[], Json], status: int) -> Outcome:
    """Run one client call and describe its outcome as a ``then`` object."""
    parse_error = {"error": {"code": "ResponseParseError", "message": "", "status": status, "fields": {}}}
    try:
        parsed = fn()
    except ClientError as error:
        return Outcome({"error": client_error(error)})
    except HTTPClientError as error:
        return Outcome({"error": transport_error(error)})
    except Exception as error:  # botocore let a non-ClientError escape the parser
        return Outcome(parse_error, note=f"botocore raised {type(error).__name__} instead of a ClientError.")
    try:
        return Outcome({"output": output_of(parsed)})
    except OverflowError:
        return Outcome(parse_error, note=(
            "botocore returned a datetime whose UTC instant is outside years 1-9999 (Python cannot "
            "convert it to UTC); neutral JSON cannot hold it, so runners report ResponseParseError."))


def parse_synthetic(
    operation: str, params: Mapping[str, Json], status: int, headers: Mapping[str, str], body: bytes
) -> Outcome:
    """Feed one synthetic HTTP response to the real client (max_attempts=1)."""
    client = make_client(ClientOptions(max_attempts=1))

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        return aws_response(request.url, status, headers, body)

    client.meta.events.register("before-send", answer)
    return run_call(lambda: call(client, operation, params), status)
