"""boto3 1.44.8 as the oracle: every operation's real emulator response, parsed by both.

A recording proxy sits in front of the in-process emulator. ivschat calls the emulator through
it (record mode: the exact response bytes are kept); then boto3 makes the same call and the proxy
replays those bytes. ``to_dict()`` must equal boto3's parsed dict minus ``ResponseMetadata``
(datetimes compare as instants: boto3 uses dateutil's tzutc, ivschat datetime.timezone.utc).
"""
from __future__ import annotations

import datetime
import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import ivschat
from conftest import snake, to_kwargs
from ivschat.testing import LocalServer

boto3 = pytest.importorskip("boto3")
botocore_config = pytest.importorskip("botocore.config")


class Proxy:
    def __init__(self, upstream: str) -> None:
        u = urllib.parse.urlparse(upstream)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.mode = "record"
        self.last: Optional[Tuple[int, List[Tuple[str, str]], bytes]] = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if proxy.mode == "record":
                    conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=30)
                    headers = {k: v for k, v in self.headers.items()}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    keep = [(k, v) for k, v in resp.getheaders() if k.lower() in
                            ("content-type", "x-amzn-requestid", "x-amzn-errortype")]
                    proxy.last = (resp.status, keep, data)
                    conn.close()
                assert proxy.last is not None
                status, hdrs, data = proxy.last
                self.send_response(status)
                for k, v in hdrs:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def proxy(server: LocalServer) -> Iterator[Proxy]:
    p = Proxy(server.endpoint_url)
    yield p
    p.close()


def strip(value: Any) -> Any:
    return value


def run_both(proxy: Proxy, operation: str, params: Dict[str, Any]) -> Tuple[Any, Any]:
    client = ivschat.Client(region="us-east-1", endpoint_url=proxy.url,
                            aws_access_key_id="test", aws_secret_access_key="test", max_attempts=1)
    proxy.mode = "record"
    try:
        ours: Any = getattr(client, snake(operation))(**to_kwargs(operation, params)).to_dict()
    except ivschat.ServiceError as e:
        ours = ("error", e.code, e.message, e.status_code, e.fields)
    proxy.mode = "replay"
    b = boto3.client("ivschat", region_name="us-east-1", endpoint_url=proxy.url,
                     aws_access_key_id="test", aws_secret_access_key="test",
                     config=botocore_config.Config(retries={"max_attempts": 1, "mode": "standard"}))
    try:
        theirs: Any = getattr(b, snake(operation))(**params)
        theirs.pop("ResponseMetadata", None)
    except b.exceptions.ClientError as e:
        err = dict(e.response["Error"])
        fields = {k: v for k, v in e.response.items() if k not in ("Error", "ResponseMetadata", "message", "Message")}
        theirs = ("error", err.get("Code"), err.get("Message", ""), e.response["ResponseMetadata"]["HTTPStatusCode"], fields)
    return ours, theirs


def aware(value: Any) -> bool:
    if isinstance(value, datetime.datetime):
        return value.tzinfo is not None
    if isinstance(value, dict):
        return all(aware(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(aware(v) for v in value)
    return True


def test_every_operation_matches_boto3(proxy: Proxy, server: LocalServer) -> None:
    seed = ivschat.Client(**server.client_kwargs())
    lc = seed.create_logging_configuration(name="oracle", destination_configuration={"s3": {"bucket_name": "bkt"}})
    room = seed.create_room(name="oracle-room", tags={"a": "b"}, logging_configuration_identifiers=[lc.arn or ""],
                            message_review_handler={"uri": "", "fallback_result": "ALLOW"})
    spare = seed.create_room(name="spare")
    lc2 = seed.create_logging_configuration(destination_configuration={"firehose": {"delivery_stream_name": "fh"}})
    steps: List[Tuple[str, Dict[str, Any]]] = [
        ("CreateRoom", {"name": "o1", "maximumMessageLength": 200, "maximumMessageRatePerSecond": 3,
                        "tags": {"k": "v", "ключ": "значение"}, "loggingConfigurationIdentifiers": [lc.arn],
                        "messageReviewHandler": {"fallbackResult": "DENY"}}),
        # Tag keys named like timestamp members stay strings (a map is not a structure).
        ("CreateRoom", {"name": "o3", "tags": {"createTime": "2024-05-01T12:34:56Z", "updateTime": "x"}}),
        ("CreateLoggingConfiguration", {"name": "o2", "destinationConfiguration": {"cloudWatchLogs": {"logGroupName": "g"}}, "tags": {"t": "1"}}),
        ("GetRoom", {"identifier": room.arn}),
        ("GetRoom", {"identifier": "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"}),
        ("GetLoggingConfiguration", {"identifier": lc.arn}),
        ("UpdateRoom", {"identifier": room.arn, "name": "renamed", "maximumMessageLength": 321}),
        ("UpdateLoggingConfiguration", {"identifier": lc.arn, "name": "renamed-lc",
                                        "destinationConfiguration": {"firehose": {"deliveryStreamName": "f"}}}),
        ("ListRooms", {}),
        ("ListRooms", {"maxResults": 1}),
        ("ListRooms", {"name": "renamed", "loggingConfigurationIdentifier": lc.arn}),
        ("ListLoggingConfigurations", {"maxResults": 50}),
        ("TagResource", {"resourceArn": room.arn, "tags": {"x": "y"}}),
        ("ListTagsForResource", {"resourceArn": room.arn}),
        ("UntagResource", {"resourceArn": room.arn, "tagKeys": ["x"]}),
        ("CreateChatToken", {"roomIdentifier": room.arn, "userId": "u1", "capabilities": ["SEND_MESSAGE", "DELETE_MESSAGE"],
                             "sessionDurationInMinutes": 60, "attributes": {"n": "v"}}),
        ("SendEvent", {"roomIdentifier": room.arn, "eventName": "app:e", "attributes": {"a": "1"}}),
        ("DeleteMessage", {"roomIdentifier": room.arn, "id": "abcdefghijkl", "reason": "r"}),
        ("DisconnectUser", {"roomIdentifier": room.arn, "userId": "u1", "reason": "r"}),
        ("CreateRoom", {"maximumMessageLength": 501}),  # ValidationException with fieldList
        ("DeleteRoom", {"identifier": spare.arn}),
        ("DeleteLoggingConfiguration", {"identifier": lc2.arn}),
        ("DeleteLoggingConfiguration", {"identifier": lc2.arn}),  # now ResourceNotFound
    ]
    ops = set()
    for operation, params in steps:
        ours, theirs = run_both(proxy, operation, params)
        assert ours == theirs, f"{operation} {params}"
        assert aware(theirs) and aware(ours)
        ops.add(operation)
    assert len(ops) == 17
