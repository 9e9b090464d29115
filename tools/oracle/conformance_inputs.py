"""Hand-written inputs of the conformance suite: operations, parameters, synthetic
responses and scripted sequences. No expectation lives here; generate_conformance.py
obtains every expected value by running botocore on these inputs.
"""

from __future__ import annotations

import json
from typing import Any

Json = Any

ROOM_ARN = "arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234"
ROOM_ARN_2 = "arn:aws:ivschat:eu-west-1:210987654321:room/ZYXwvu987654"
LOG_ARN = "arn:aws:ivschat:us-east-1:123456789012:logging-configuration/ABcdef123456"
LOG_ARN_2 = "arn:aws:ivschat:us-east-1:123456789012:logging-configuration/GHijkl789012"
LOG_ARN_3 = "arn:aws:ivschat:us-east-1:123456789012:logging-configuration/MNopqr345678"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:review-messages"
REQUEST_ID = "7d3b2c1a-0000-4000-8000-00000000a001"
SESSION = {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "secret/EXAMPLE+key", "sessionToken": "FwoGZXIvYXdzEXAMPLE//token=="}

UNICODE_TAGS = {"ключ": "значение", "emoji 🎉": "✓", "日本語": "テスト"}
TRICKY_STRING = 'quote " backslash \\ newline \n tab \t nul-ish \u0001 astral 𝄞'
PATTERN_NOTE = (
    "botocore does not enforce the model's ResourceArn pattern (spec §1.2: it cannot match "
    "real ARNs); runners must not validate it either."
)
PARTITION_NOTE = "Model ARN patterns hard-code arn:aws (spec §1.2); botocore does not check patterns, so this is sent."

S3_DEST = {"s3": {"bucketName": "chat-logs.example-bucket"}}
CWL_DEST = {"cloudWatchLogs": {"logGroupName": "/aws/ivschat/room-logs#1"}}
FIREHOSE_DEST = {"firehose": {"deliveryStreamName": "chat_stream.v1-prod"}}


def req(case_id: str, operation: str, params: dict[str, Json], **extra: Json) -> dict[str, Json]:
    return {"id": f"request.{operation}.{case_id}", "operation": operation, "params": params, **extra}


# --------------------------------------------------------------------------- requests

REQUESTS: list[dict[str, Json]] = [
    # CreateChatToken
    req("minimal", "CreateChatToken", {"roomIdentifier": ROOM_ARN, "userId": "user-1"}),
    req("maximal", "CreateChatToken", {
        "roomIdentifier": ROOM_ARN, "userId": "user-1",
        "capabilities": ["SEND_MESSAGE", "DISCONNECT_USER", "DELETE_MESSAGE"],
        "sessionDurationInMinutes": 180, "attributes": {"displayName": "Alice", "role": "mod"}}),
    req("unicode", "CreateChatToken", {
        "roomIdentifier": ROOM_ARN, "userId": "пользователь-🎉",
        "attributes": {"имя": "Алиса", "emoji 🎉": "✓", "quote": TRICKY_STRING}}),
    req("empty-lists-and-maps", "CreateChatToken", {
        "roomIdentifier": ROOM_ARN, "userId": "u", "capabilities": [], "attributes": {}}),
    req("session-duration-min", "CreateChatToken", {
        "roomIdentifier": ROOM_ARN, "userId": "u", "sessionDurationInMinutes": 1}),
    req("session-token", "CreateChatToken", {"roomIdentifier": ROOM_ARN, "userId": "u"}, credentials=SESSION),
    # CreateLoggingConfiguration
    req("minimal", "CreateLoggingConfiguration", {"destinationConfiguration": S3_DEST}),
    req("cloudwatch", "CreateLoggingConfiguration", {"destinationConfiguration": CWL_DEST}),
    req("firehose", "CreateLoggingConfiguration", {"destinationConfiguration": FIREHOSE_DEST}),
    req("maximal", "CreateLoggingConfiguration", {
        "name": "chat-logs_prod-1", "destinationConfiguration": S3_DEST,
        "tags": {"env": "prod", "team": "chat"}}),
    req("empty-name-and-tags", "CreateLoggingConfiguration", {
        "name": "", "destinationConfiguration": FIREHOSE_DEST, "tags": {}}),
    req("unicode-tags", "CreateLoggingConfiguration", {"destinationConfiguration": CWL_DEST, "tags": UNICODE_TAGS}),
    req("session-token", "CreateLoggingConfiguration", {"destinationConfiguration": S3_DEST}, credentials=SESSION),
    # CreateRoom
    req("minimal", "CreateRoom", {}),
    req("maximal", "CreateRoom", {
        "name": "demo-room_1", "maximumMessageRatePerSecond": 100, "maximumMessageLength": 500,
        "messageReviewHandler": {"uri": LAMBDA_ARN, "fallbackResult": "DENY"},
        "tags": {"env": "dev", "owner": "team-chat"},
        "loggingConfigurationIdentifiers": [LOG_ARN, LOG_ARN_2, LOG_ARN_3]}),
    req("empty-lists-and-maps", "CreateRoom", {"tags": {}, "loggingConfigurationIdentifiers": []}),
    req("unicode-tags", "CreateRoom", {"name": "unicode", "tags": UNICODE_TAGS}),
    req("tricky-tag-value", "CreateRoom", {"tags": {"k": TRICKY_STRING, "empty": ""}}),
    req("empty-review-handler", "CreateRoom", {"messageReviewHandler": {}}),
    req("review-handler-uri-only", "CreateRoom", {"messageReviewHandler": {"uri": LAMBDA_ARN}}),
    req("review-handler-fallback-only", "CreateRoom", {"messageReviewHandler": {"fallbackResult": "ALLOW"}}),
    req("limits-min", "CreateRoom", {"maximumMessageRatePerSecond": 1, "maximumMessageLength": 1, "name": ""}),
    req("max-tags", "CreateRoom", {"tags": {f"key-{i:02d}": f"value-{i:02d}" for i in range(50)}}),
    req("session-token", "CreateRoom", {"name": "demo"}, credentials=SESSION),
    # DeleteLoggingConfiguration
    req("minimal", "DeleteLoggingConfiguration", {"identifier": LOG_ARN}),
    req("session-token", "DeleteLoggingConfiguration", {"identifier": LOG_ARN}, credentials=SESSION),
    # DeleteMessage
    req("minimal", "DeleteMessage", {"roomIdentifier": ROOM_ARN, "id": "ABCDEF123456"}),
    req("maximal", "DeleteMessage", {"roomIdentifier": ROOM_ARN, "id": "ABCDEF123456", "reason": "spam"}),
    req("unicode-reason", "DeleteMessage", {
        "roomIdentifier": ROOM_ARN, "id": "ABCDEF123456", "reason": "Нарушение правил 🚫 «спам»"}),
    # DeleteRoom
    req("minimal", "DeleteRoom", {"identifier": ROOM_ARN}),
    req("session-token", "DeleteRoom", {"identifier": ROOM_ARN}, credentials=SESSION),
    # DisconnectUser
    req("minimal", "DisconnectUser", {"roomIdentifier": ROOM_ARN, "userId": "user-1"}),
    req("maximal", "DisconnectUser", {"roomIdentifier": ROOM_ARN, "userId": "user-1", "reason": "Kicked by moderator"}),
    req("unicode", "DisconnectUser", {"roomIdentifier": ROOM_ARN, "userId": "用户-42", "reason": "违反规则 ✋"}),
    req("session-token", "DisconnectUser", {"roomIdentifier": ROOM_ARN, "userId": "u"}, credentials=SESSION),
    # GetLoggingConfiguration
    req("minimal", "GetLoggingConfiguration", {"identifier": LOG_ARN}),
    req("session-token", "GetLoggingConfiguration", {"identifier": LOG_ARN}, credentials=SESSION),
    # GetRoom
    req("minimal", "GetRoom", {"identifier": ROOM_ARN}),
    req("other-region-arn", "GetRoom", {"identifier": ROOM_ARN_2}),
    req("session-token", "GetRoom", {"identifier": ROOM_ARN}, credentials=SESSION),
    # ListLoggingConfigurations
    req("minimal", "ListLoggingConfigurations", {}),
    req("maximal", "ListLoggingConfigurations", {"nextToken": "eyJwYWdlIjoyfQ==", "maxResults": 50}),
    req("empty-next-token", "ListLoggingConfigurations", {"nextToken": "", "maxResults": 1}),
    # ListRooms
    req("minimal", "ListRooms", {}),
    req("maximal", "ListRooms", {
        "name": "demo", "nextToken": "token/with+special=chars", "maxResults": 10,
        "messageReviewHandlerUri": LAMBDA_ARN, "loggingConfigurationIdentifier": LOG_ARN}),
    req("empty-filters", "ListRooms", {"name": "", "messageReviewHandlerUri": ""}),
    req("max-results-only", "ListRooms", {"maxResults": 1}),
    req("session-token", "ListRooms", {"maxResults": 5}, credentials=SESSION),
    # ListTagsForResource (GET)
    req("room-arn", "ListTagsForResource", {"resourceArn": ROOM_ARN}, note=PATTERN_NOTE),
    req("logging-configuration-arn", "ListTagsForResource", {"resourceArn": LOG_ARN}, note=PATTERN_NOTE),
    req("other-region-arn", "ListTagsForResource", {"resourceArn": ROOM_ARN_2}, note=PATTERN_NOTE),
    req("aws-cn-arn", "ListTagsForResource", {
        "resourceArn": "arn:aws-cn:ivschat:cn-north-1:123456789012:room/abcdEFGH1234"}, note=PARTITION_NOTE),
    req("session-token", "ListTagsForResource", {"resourceArn": ROOM_ARN}, credentials=SESSION, note=PATTERN_NOTE),
    # SendEvent
    req("minimal", "SendEvent", {"roomIdentifier": ROOM_ARN, "eventName": "app:poll"}),
    req("maximal", "SendEvent", {
        "roomIdentifier": ROOM_ARN, "eventName": "app:poll-results",
        "attributes": {"question": "Best colour?", "answer": "blue", "votes": "42"}}),
    req("unicode", "SendEvent", {
        "roomIdentifier": ROOM_ARN, "eventName": "событие/🎉",
        "attributes": {"ключ": "значение", "emoji 🎉": "✓", "tricky": TRICKY_STRING}}),
    req("empty-attributes", "SendEvent", {"roomIdentifier": ROOM_ARN, "eventName": "e", "attributes": {}}),
    req("session-token", "SendEvent", {"roomIdentifier": ROOM_ARN, "eventName": "e"}, credentials=SESSION),
    # TagResource
    req("minimal", "TagResource", {"resourceArn": ROOM_ARN, "tags": {"a": "b"}}, note=PATTERN_NOTE),
    req("empty-tags", "TagResource", {"resourceArn": ROOM_ARN, "tags": {}}, note=PATTERN_NOTE),
    req("unicode-tags", "TagResource", {"resourceArn": ROOM_ARN, "tags": UNICODE_TAGS}, note=PATTERN_NOTE),
    req("logging-configuration-arn", "TagResource", {
        "resourceArn": LOG_ARN, "tags": {"env": "prod", "empty": ""}}, note=PATTERN_NOTE),
    req("special-characters", "TagResource", {
        "resourceArn": ROOM_ARN, "tags": {"a b/c": "x&y=z+1%", "path:/x": TRICKY_STRING}}, note=PATTERN_NOTE),
    req("max-tags", "TagResource", {
        "resourceArn": ROOM_ARN, "tags": {f"k{i}": "v" * i for i in range(50)}}, note=PATTERN_NOTE),
    req("session-token", "TagResource", {"resourceArn": ROOM_ARN, "tags": {"a": "b"}},
        credentials=SESSION, note=PATTERN_NOTE),
    # UntagResource (DELETE)
    req("minimal", "UntagResource", {"resourceArn": ROOM_ARN, "tagKeys": ["a"]}, note=PATTERN_NOTE),
    req("two-keys", "UntagResource", {"resourceArn": ROOM_ARN, "tagKeys": ["a", "b"]}, note=PATTERN_NOTE),
    req("order-preserved", "UntagResource", {"resourceArn": ROOM_ARN, "tagKeys": ["zeta", "alpha", "mid"]},
        note=PATTERN_NOTE + " Query pairs keep the caller's order on the wire (SigV4 sorts only the canonical form)."),
    req("empty-tag-keys", "UntagResource", {"resourceArn": ROOM_ARN, "tagKeys": []},
        note=PATTERN_NOTE + " botocore sends an empty query (its URL ends in a bare '?'); TagKeyList has min 0."),
    req("percent-encoded-keys", "UntagResource", {
        "resourceArn": ROOM_ARN, "tagKeys": ["a b", "c/d", "é", "x&y", "k=v", "1+1"]}, note=PATTERN_NOTE),
    req("reserved-characters", "UntagResource", {
        "resourceArn": ROOM_ARN, "tagKeys": ["%41", "~tilde", "*star", "semi;colon", "q?", "hash#"]}, note=PATTERN_NOTE),
    req("unicode-keys", "UntagResource", {
        "resourceArn": ROOM_ARN, "tagKeys": ["ключ", "emoji 🎉", "日本語"]}, note=PATTERN_NOTE),
    req("duplicate-keys", "UntagResource", {"resourceArn": ROOM_ARN, "tagKeys": ["a", "a"]}, note=PATTERN_NOTE),
    req("logging-configuration-arn", "UntagResource", {"resourceArn": LOG_ARN, "tagKeys": ["env"]}, note=PATTERN_NOTE),
    req("session-token", "UntagResource", {"resourceArn": ROOM_ARN, "tagKeys": ["a", "b"]},
        credentials=SESSION, note=PATTERN_NOTE),
    # UpdateLoggingConfiguration
    req("minimal", "UpdateLoggingConfiguration", {"identifier": LOG_ARN}),
    req("name-only", "UpdateLoggingConfiguration", {"identifier": LOG_ARN, "name": "renamed"}),
    req("s3", "UpdateLoggingConfiguration", {"identifier": LOG_ARN, "destinationConfiguration": S3_DEST}),
    req("cloudwatch", "UpdateLoggingConfiguration", {"identifier": LOG_ARN, "destinationConfiguration": CWL_DEST}),
    req("maximal", "UpdateLoggingConfiguration", {
        "identifier": LOG_ARN, "name": "", "destinationConfiguration": FIREHOSE_DEST}),
    # UpdateRoom
    req("minimal", "UpdateRoom", {"identifier": ROOM_ARN}),
    req("maximal", "UpdateRoom", {
        "identifier": ROOM_ARN, "name": "renamed-room", "maximumMessageRatePerSecond": 5,
        "maximumMessageLength": 200, "messageReviewHandler": {"uri": LAMBDA_ARN, "fallbackResult": "ALLOW"},
        "loggingConfigurationIdentifiers": [LOG_ARN]}),
    req("clear-review-handler", "UpdateRoom", {"identifier": ROOM_ARN, "messageReviewHandler": {"uri": ""}},
        note="An empty uri disassociates the handler (LambdaArn pattern accepts the empty string)."),
    req("clear-logging", "UpdateRoom", {"identifier": ROOM_ARN, "loggingConfigurationIdentifiers": []}),
    req("session-token", "UpdateRoom", {"identifier": ROOM_ARN, "name": "x"}, credentials=SESSION),
]

# --------------------------------------------------------------------------- responses


def raw(status: int, body: str, headers: dict[str, str] | None = None) -> dict[str, Json]:
    return {"status": status, "headers": headers if headers is not None else {}, "body": body}


def ok(body: Json, status: int = 200, request_id: str = REQUEST_ID) -> dict[str, Json]:
    headers = {"content-type": "application/json", "x-amzn-requestid": request_id}
    return raw(status, json.dumps(body, ensure_ascii=False), headers)


T1 = "2024-05-01T12:34:56.789Z"
T2 = "2024-05-02T08:00:00.123456Z"
MESSAGE_REVIEW = {"uri": LAMBDA_ARN, "fallbackResult": "DENY"}
TAGS = {"env": "prod", "ключ": "значение", "emoji 🎉": "✓"}


def room(**overrides: Json) -> dict[str, Json]:
    body = {
        "arn": ROOM_ARN, "id": "abcdEFGH1234", "name": "demo-room", "createTime": T1, "updateTime": T2,
        "maximumMessageRatePerSecond": 10, "maximumMessageLength": 500, "messageReviewHandler": MESSAGE_REVIEW,
        "tags": TAGS, "loggingConfigurationIdentifiers": [LOG_ARN, LOG_ARN_2],
    }
    body.update(overrides)
    return body


def room_summary(**overrides: Json) -> dict[str, Json]:
    body = room(**overrides)
    for key in ("maximumMessageRatePerSecond", "maximumMessageLength"):
        body.pop(key, None)
    return body


def logging_configuration(destination: Json, **overrides: Json) -> dict[str, Json]:
    body = {
        "arn": LOG_ARN, "id": "ABcdef123456", "createTime": T1, "updateTime": T2, "name": "chat-logs",
        "destinationConfiguration": destination, "state": "ACTIVE", "tags": TAGS,
    }
    body.update(overrides)
    return body


def resp(case_id: str, operation: str, params: dict[str, Json], response: dict[str, Json], **extra: Json) -> dict[str, Json]:
    return {"id": f"response.{operation}.{case_id}", "operation": operation, "params": params,
            "response": response, **extra}


GET_ROOM = {"identifier": ROOM_ARN}
GET_LOG = {"identifier": LOG_ARN}
TOKEN_PARAMS = {"roomIdentifier": ROOM_ARN, "userId": "u"}
DELETE_MESSAGE_PARAMS = {"roomIdentifier": ROOM_ARN, "id": "ABCDEF123456"}
SEND_EVENT_PARAMS = {"roomIdentifier": ROOM_ARN, "eventName": "e"}
LIST_TAGS = {"resourceArn": ROOM_ARN}
TAG_PARAMS = {"resourceArn": ROOM_ARN, "tags": {"a": "b"}}
UNTAG_PARAMS = {"resourceArn": ROOM_ARN, "tagKeys": ["a"]}
CREATE_LOG = {"destinationConfiguration": S3_DEST}
NUMBER_NOTE = ("botocore accepts a JSON number as epoch seconds; the JS SDK rejects it and the Rust SDK "
               "accepts only strings for iso8601 timestamps. Runners that cannot parse it may skip.")


def timestamp_cases() -> list[dict[str, Json]]:
    variants = {
        "timestamp-0-fraction": "2024-05-01T12:34:56Z",
        "timestamp-3-fraction": "2024-05-01T12:34:56.789Z",
        "timestamp-6-fraction": "2024-05-01T12:34:56.789123Z",
        "timestamp-9-fraction": "2024-05-01T12:34:56.789123456Z",
        "timestamp-9-fraction-high": "2024-05-01T12:34:56.999999999Z",
        "timestamp-1-fraction": "2024-05-01T12:34:56.5Z",
        "timestamp-offset-plus-0200": "2024-05-01T14:34:56.789+02:00",
        "timestamp-offset-minus-0530": "2024-05-01T07:04:56-05:30",
        "timestamp-offset-zero": "2024-05-01T12:34:56+00:00",
        "timestamp-lowercase-z": "2024-05-01t12:34:56.789z",
        "timestamp-day-rollover": "2024-12-31T23:30:00-01:00",
        "timestamp-leap-day": "2024-02-29T00:00:00.000001Z",
    }
    cases = [resp(name, "GetRoom", GET_ROOM, ok({"arn": ROOM_ARN, "createTime": value, "updateTime": value}))
             for name, value in variants.items()]
    numbers = {"timestamp-json-integer": 1714566896, "timestamp-json-float": 1714566896.5}
    cases += [resp(name, "GetRoom", GET_ROOM, ok({"createTime": value}), note=NUMBER_NOTE)
              for name, value in numbers.items()]
    cases.append(resp("timestamps", "CreateChatToken", TOKEN_PARAMS, ok({
        "token": "v1:eyJhbGciOi.token", "tokenExpirationTime": "2024-05-01T13:34:56Z",
        "sessionExpirationTime": "2024-05-01T14:34:56.000+01:00"})))
    return cases


LEAP_NOTE = ("botocore (dateutil) rejects second 60, leap second or not, with ValueError: the call fails, so "
             "runners report ResponseParseError. (The JS SDK rolls it into the next second.)")
YEAR_RANGE_NOTE = "botocore (Python datetime) holds years 1-9999 only; outside them runners report ResponseParseError."
EPOCH_ROUNDING_NOTE = ("An epoch number is rounded to the nearest microsecond, ties to even, as Python's "
                       "datetime.fromtimestamp does on the float (string fractions are truncated instead).")


def json_ok(text: str, status: int = 200) -> dict[str, Json]:
    """`ok` for a body json.dumps cannot write (1e400, deep nesting)."""
    return raw(status, text, {"content-type": "application/json", "x-amzn-requestid": REQUEST_ID})


def nested(depth: int, opener: str = "[") -> str:
    closer = {"[": "]", '{"a": ': "}"}[opener]
    return opener * depth + ("1" if opener != "[" else "") + closer * depth


def timestamp_edge_cases() -> list[dict[str, Json]]:
    both = {
        "timestamp-leap-second": ("2016-12-31T23:59:60Z", LEAP_NOTE),
        "timestamp-year-1": ("0001-01-01T00:00:00Z", None),
        "timestamp-year-9999": ("9999-12-31T23:59:59.999999Z", None),
        "timestamp-year-0": ("0000-01-01T00:00:00Z", YEAR_RANGE_NOTE),
        "timestamp-year-10000": ("10000-01-01T00:00:00Z", YEAR_RANGE_NOTE),
        "timestamp-offset-into-year-10000": ("9999-12-31T23:59:59-01:00", YEAR_RANGE_NOTE),
        "timestamp-offset-into-year-0": ("0001-01-01T00:00:00+01:00", YEAR_RANGE_NOTE),
    }
    cases = [resp(name, "GetRoom", GET_ROOM, ok({"arn": ROOM_ARN, "createTime": value, "updateTime": value}),
                  **({"note": note} if note else {}))
             for name, (value, note) in both.items()]
    cases += [
        resp("timestamp-leap-second-fraction", "GetRoom", GET_ROOM,
             ok({"arn": ROOM_ARN, "createTime": T1, "updateTime": "2016-12-31T23:59:60.5Z"}), note=LEAP_NOTE),
        resp("timestamp-leap-second-offset", "GetRoom", GET_ROOM,
             ok({"arn": ROOM_ARN, "createTime": "2017-01-01T00:59:60+01:00", "updateTime": T2}), note=LEAP_NOTE),
        resp("timestamp-leap-second", "CreateChatToken", TOKEN_PARAMS, ok({
            "token": "v1:eyJhbGciOi.token", "tokenExpirationTime": "2016-12-31T23:59:60Z",
            "sessionExpirationTime": "2017-01-01T00:00:00Z"}), note=LEAP_NOTE),
        resp("timestamp-leap-second-in-list", "ListRooms", {},
             ok({"rooms": [room_summary(), room_summary(updateTime="2016-12-31T23:59:60Z")]}), note=LEAP_NOTE),
        resp("timestamp-negative-year", "GetRoom", GET_ROOM, ok({"arn": ROOM_ARN, "createTime": "-0001-01-01T00:00:00Z"}),
             deviation={"why": "dateutil drops the sign and reads year 1 (0001-01-01T00:00:00Z); ivschat rejects a "
                               "year outside 1-9999 rather than return another instant.",
                        "then": PARSE_FAILURE["then"]}),
    ]
    epochs = {
        "timestamp-epoch-milliseconds": ("1700000000.123", None),
        "timestamp-epoch-7-digits": ("1700000000.1234567", EPOCH_ROUNDING_NOTE),
        "timestamp-epoch-rounds-into-next-second": ("1700000000.9999995", EPOCH_ROUNDING_NOTE),
        "timestamp-epoch-negative-fraction": ("-1.5", None),
        "timestamp-epoch-year-1": ("-62135596800", None),
        "timestamp-epoch-last-second-of-9999": ("253402300799.999", EPOCH_ROUNDING_NOTE),
        "timestamp-epoch-year-0": ("-62135596801", YEAR_RANGE_NOTE),
        "timestamp-epoch-year-10000": ("253402300800", YEAR_RANGE_NOTE),
        "timestamp-epoch-beyond-int64": ("100000000000000000000", YEAR_RANGE_NOTE),
        "timestamp-epoch-1e300": ("1e300", YEAR_RANGE_NOTE),
        "timestamp-epoch-1e400": ("1e400", YEAR_RANGE_NOTE + " Python's json reads 1e400 as infinity."),
        "timestamp-epoch-numeric-string": ('"1700000000.123"', "botocore tries float() on a string before dateutil."),
    }
    cases += [resp(name, "GetRoom", GET_ROOM, json_ok('{"arn": "%s", "createTime": %s}' % (ROOM_ARN, text)),
                   note=" ".join(n for n in (NUMBER_NOTE, note) if n))
              for name, (text, note) in epochs.items()]
    return cases


def unreadable_output_cases() -> list[dict[str, Json]]:
    """Bodies serde_json cannot hold as a whole, where the odd part is a member nobody reads."""
    arn = json.dumps(ROOM_ARN)
    return [
        resp("unknown-member-1e400", "GetRoom", GET_ROOM, json_ok('{"arn": %s, "score": 1e400}' % arn)),
        resp("unknown-member-nested-500", "GetRoom", GET_ROOM, json_ok('{"arn": %s, "deep": %s}' % (arn, nested(500)))),
        resp("unknown-member-nested-10000", "GetRoom", GET_ROOM, json_ok('{"arn": %s, "deep": %s}' % (arn, nested(10000))),
             deviation={"why": "Python's json raises RecursionError about 1,000 levels down; ivschat skips an unknown "
                               "member without recursing and returns the output botocore gives without it.",
                        "as_if": json_ok('{"arn": %s}' % arn)}),
    ]


def full_output_cases() -> list[dict[str, Json]]:
    return [
        resp("full", "CreateChatToken", TOKEN_PARAMS, ok({
            "token": "v1:abcdefghijklmnopqrstuvwxyz0123456789", "tokenExpirationTime": T1,
            "sessionExpirationTime": T2})),
        resp("full-s3", "CreateLoggingConfiguration", CREATE_LOG, ok(logging_configuration(S3_DEST))),
        resp("full-cloudwatch", "CreateLoggingConfiguration", CREATE_LOG, ok(logging_configuration(CWL_DEST))),
        resp("full-firehose", "CreateLoggingConfiguration", CREATE_LOG, ok(logging_configuration(FIREHOSE_DEST))),
        resp("full", "CreateRoom", {}, ok(room())),
        resp("full", "DeleteMessage", DELETE_MESSAGE_PARAMS, ok({"id": "ABCDEF123456"})),
        resp("full", "DisconnectUser", {"roomIdentifier": ROOM_ARN, "userId": "u"}, ok({})),
        resp("full-s3", "GetLoggingConfiguration", GET_LOG, ok(logging_configuration(S3_DEST))),
        resp("full-cloudwatch", "GetLoggingConfiguration", GET_LOG, ok(logging_configuration(CWL_DEST, state="UPDATING"))),
        resp("full-firehose", "GetLoggingConfiguration", GET_LOG, ok(logging_configuration(FIREHOSE_DEST, state="CREATE_FAILED"))),
        resp("full", "GetRoom", GET_ROOM, ok(room())),
        resp("full", "ListLoggingConfigurations", {}, ok({"loggingConfigurations": [
            logging_configuration(S3_DEST),
            logging_configuration(CWL_DEST, arn=LOG_ARN_2, id="GHijkl789012", state="DELETING", tags={}),
            logging_configuration(FIREHOSE_DEST, arn=LOG_ARN_3, id="MNopqr345678", state="DELETE_FAILED"),
        ], "nextToken": "page-2"})),
        resp("full", "ListRooms", {}, ok({"rooms": [
            room_summary(),
            room_summary(arn=ROOM_ARN_2, id="ZYXwvu987654", name="", tags={}, loggingConfigurationIdentifiers=[],
                         messageReviewHandler={"uri": ""}),
        ], "nextToken": "page-2"})),
        resp("full", "ListTagsForResource", LIST_TAGS, ok({"tags": TAGS}), note=PATTERN_NOTE),
        resp("full", "SendEvent", SEND_EVENT_PARAMS, ok({"id": "EVENT1234567"})),
        resp("full", "TagResource", TAG_PARAMS, ok({}), note=PATTERN_NOTE),
        resp("full", "UntagResource", UNTAG_PARAMS, ok({}), note=PATTERN_NOTE),
        resp("full", "UpdateLoggingConfiguration", GET_LOG, ok(logging_configuration(CWL_DEST))),
        resp("full", "UpdateRoom", GET_ROOM, ok(room(name="renamed", maximumMessageLength=1))),
    ]


def sparse_output_cases() -> list[dict[str, Json]]:
    empty_ops = {
        "CreateChatToken": TOKEN_PARAMS, "CreateLoggingConfiguration": CREATE_LOG, "CreateRoom": {},
        "DeleteMessage": DELETE_MESSAGE_PARAMS, "GetLoggingConfiguration": GET_LOG, "GetRoom": GET_ROOM,
        "SendEvent": SEND_EVENT_PARAMS, "UpdateLoggingConfiguration": GET_LOG, "UpdateRoom": GET_ROOM,
    }
    cases = [resp("empty-object", op, params, ok({})) for op, params in empty_ops.items()]
    cases += [
        resp("empty-list", "ListRooms", {}, ok({"rooms": []})),
        resp("empty-list", "ListLoggingConfigurations", {}, ok({"loggingConfigurations": []})),
        resp("missing-required-list", "ListRooms", {}, ok({}),
             note="rooms is required in the output shape; botocore does not validate responses."),
        resp("empty-tags", "ListTagsForResource", LIST_TAGS, ok({"tags": {}}), note=PATTERN_NOTE),
        resp("nulls-are-dropped", "GetRoom", GET_ROOM, ok(room(name=None, tags=None, messageReviewHandler=None,
                                                                loggingConfigurationIdentifiers=None))),
        resp("empty-strings", "GetRoom", GET_ROOM, ok(room(name="", messageReviewHandler={"uri": ""}))),
        resp("empty-review-handler", "GetRoom", GET_ROOM, ok({"messageReviewHandler": {}})),
        resp("only-arn", "GetRoom", GET_ROOM, ok({"arn": ROOM_ARN})),
    ]
    return cases


def quirk_output_cases() -> list[dict[str, Json]]:
    return [
        resp("unknown-state", "GetLoggingConfiguration", GET_LOG, ok(logging_configuration(S3_DEST, state="ARCHIVED"))),
        resp("unknown-fallback-result", "GetRoom", GET_ROOM, ok(room(messageReviewHandler={"uri": LAMBDA_ARN, "fallbackResult": "MAYBE"}))),
        resp("unknown-create-state", "CreateLoggingConfiguration", CREATE_LOG, ok(logging_configuration(S3_DEST, state="PENDING"))),
        resp("unknown-union-member", "GetLoggingConfiguration", GET_LOG, ok(logging_configuration({"kafka": {"topic": "chat"}}))),
        resp("unknown-union-member-in-list", "ListLoggingConfigurations", {}, ok({"loggingConfigurations": [
            logging_configuration({"kafka": {"topic": "chat"}}), logging_configuration(FIREHOSE_DEST)]})),
        resp("union-two-known-members", "GetLoggingConfiguration", GET_LOG,
             ok(logging_configuration({"s3": {"bucketName": "b-1"}, "firehose": {"deliveryStreamName": "f"}})),
             note="A union must have exactly one member; this records what botocore does with two."),
        resp("union-empty-object", "GetLoggingConfiguration", GET_LOG, ok(logging_configuration({}))),
        resp("unknown-extra-fields", "GetRoom", GET_ROOM, ok({**room(), "newTopLevel": {"nested": [1, 2]},
                                                            "messageReviewHandler": {**MESSAGE_REVIEW, "extra": True}})),
        resp("unknown-extra-fields-in-summary", "ListRooms", {}, ok({"rooms": [{**room_summary(), "shiny": 1}],
                                                                   "somethingNew": "x"})),
        resp("unicode-values", "GetRoom", GET_ROOM, ok(room(name="комната-🎉", tags=UNICODE_TAGS))),
        resp("escaped-unicode-body", "GetRoom", GET_ROOM,
             raw(200, '{"name": "\\u043a\\u043e\\u043c\\ud83c\\udf89", "tags": {"\\u0000k": "\\"q\\"\\n"}}',
                 {"content-type": "application/json"})),
        resp("integer-as-string", "GetRoom", GET_ROOM, ok({"maximumMessageLength": "500"}),
             note="botocore's RestJSONParser coerces with int(); typed SDKs (JS/Rust) would reject a string."),
        resp("integer-as-float", "GetRoom", GET_ROOM, ok({"maximumMessageRatePerSecond": 10.0}),
             note="botocore coerces with int()."),
        resp("no-content-type-header", "GetRoom", GET_ROOM, raw(200, json.dumps({"id": "abcdEFGH1234"}))),
        resp("request-id-not-in-output", "SendEvent", SEND_EVENT_PARAMS,
             ok({"id": "EVENT1234567"}, request_id="req-ignored")),
    ]


# A deliberate, documented difference from botocore: `then` holds what ivschat does, the case's
# `botocore` key what botocore did (still recomputed, so a change in botocore shows up as a diff).
PARSE_FAILURE: dict[str, Json] = {
    "why": "botocore parses a 2xx body that is not JSON to an empty output, silently dropping the "
           "response; ivschat reports ResponseParseError instead of returning data it did not get.",
    "then": {"error": {"code": "ResponseParseError", "fields": {}, "message": "", "status": 200}},
}


def empty_body_cases() -> list[dict[str, Json]]:
    return [
        resp("empty-204", "DeleteRoom", GET_ROOM, raw(204, "")),
        resp("empty-200", "DeleteRoom", GET_ROOM, raw(200, "", {"x-amzn-requestid": REQUEST_ID})),
        resp("empty-204", "DeleteLoggingConfiguration", GET_LOG, raw(204, "")),
        resp("empty-200", "DeleteLoggingConfiguration", GET_LOG, raw(200, "", {"x-amzn-requestid": REQUEST_ID})),
        resp("json-body-on-204", "DeleteRoom", GET_ROOM, ok({"ignored": True}, status=204)),
        resp("empty-200", "DisconnectUser", {"roomIdentifier": ROOM_ARN, "userId": "u"}, raw(200, "")),
        resp("empty-200", "TagResource", TAG_PARAMS, raw(200, ""), note=PATTERN_NOTE),
        resp("empty-200", "UntagResource", UNTAG_PARAMS, raw(200, ""), note=PATTERN_NOTE),
        resp("empty-200", "GetRoom", GET_ROOM, raw(200, "")),
        resp("truncated-json-200", "GetRoom", GET_ROOM, raw(200, '{"arn": "' + ROOM_ARN + '", "name": "de',
                                                             {"content-type": "application/json"}),
             deviation=PARSE_FAILURE),
        resp("non-json-200", "GetRoom", GET_ROOM, raw(200, "OK", {"content-type": "text/plain"}), deviation=PARSE_FAILURE),
        resp("html-200", "ListRooms", {}, raw(200, "<html><body>proxy login</body></html>", {"content-type": "text/html"}),
             deviation=PARSE_FAILURE),
        resp("json-array-200", "GetRoom", GET_ROOM, raw(200, "[]", {"content-type": "application/json"})),
        resp("json-null-200", "GetRoom", GET_ROOM, raw(200, "null", {"content-type": "application/json"})),
        resp("json-string-200", "GetRoom", GET_ROOM, raw(200, '"room"', {"content-type": "application/json"})),
        resp("wrong-type-list", "ListRooms", {}, ok({"rooms": {"not": "a list"}})),
    ]


RESPONSES: list[dict[str, Json]] = (
    full_output_cases() + sparse_output_cases() + timestamp_cases() + quirk_output_cases() + empty_body_cases()
    + timestamp_edge_cases() + unreadable_output_cases()
)

# --------------------------------------------------------------------------- errors

ERROR_STATUS = {
    "AccessDeniedException": 403, "ConflictException": 409, "InternalServerException": 500,
    "PendingVerification": 403, "ResourceNotFoundException": 404, "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429, "ValidationException": 400,
}
ERROR_FIELDS: dict[str, dict[str, Json]] = {
    "AccessDeniedException": {},
    "ConflictException": {"resourceId": "abcdEFGH1234", "resourceType": "ROOM"},
    "InternalServerException": {},
    "PendingVerification": {},
    "ResourceNotFoundException": {"resourceId": "abcdEFGH1234", "resourceType": "ROOM"},
    "ServiceQuotaExceededException": {"resourceId": "abcdEFGH1234", "resourceType": "ROOM", "limit": 50},
    "ThrottlingException": {"resourceId": "abcdEFGH1234", "resourceType": "ROOM", "limit": 10},
    "ValidationException": {"reason": "FIELD_VALIDATION_FAILED", "fieldList": [
        {"name": "name", "message": "Member must satisfy regular expression pattern"},
        {"name": "maximumMessageLength", "message": "Member must have value less than or equal to 500"}]},
}
# Operations (with valid params) that list each error in the model; three per error where possible.
ERROR_OPERATIONS: dict[str, list[tuple[str, dict[str, Json]]]] = {
    "AccessDeniedException": [("CreateRoom", {}), ("GetRoom", GET_ROOM), ("ListLoggingConfigurations", {})],
    "ConflictException": [("CreateRoom", {}), ("DeleteLoggingConfiguration", GET_LOG), ("UpdateLoggingConfiguration", GET_LOG)],
    "InternalServerException": [("TagResource", TAG_PARAMS), ("UntagResource", UNTAG_PARAMS), ("ListTagsForResource", LIST_TAGS)],
    "PendingVerification": [("CreateChatToken", TOKEN_PARAMS), ("DeleteRoom", GET_ROOM), ("SendEvent", SEND_EVENT_PARAMS)],
    "ResourceNotFoundException": [("GetRoom", GET_ROOM), ("GetLoggingConfiguration", GET_LOG), ("ListTagsForResource", LIST_TAGS),
                                  ("UntagResource", UNTAG_PARAMS)],
    "ServiceQuotaExceededException": [("CreateRoom", {}), ("CreateLoggingConfiguration", CREATE_LOG)],
    "ThrottlingException": [("SendEvent", SEND_EVENT_PARAMS), ("DeleteMessage", DELETE_MESSAGE_PARAMS),
                            ("DisconnectUser", {"roomIdentifier": ROOM_ARN, "userId": "u"})],
    "ValidationException": [("CreateRoom", {}), ("UpdateRoom", GET_ROOM), ("ListRooms", {}), ("TagResource", TAG_PARAMS)],
}
VALIDATION_HEADER = "ValidationException:http://internal.amazon.com/coral/com.amazonaws.ivschat/"
HASH_NOTE = ("botocore keeps what follows the LAST '#'; the JS and Rust SDKs keep what follows the FIRST '#' "
             "(spec §4.2). Identical for a single '#'.")


def err(case_id: str, operation: str, params: dict[str, Json], response: dict[str, Json], **extra: Json) -> dict[str, Json]:
    return {"id": f"error.{operation}.{case_id}", "operation": operation, "params": params,
            "response": response, **extra}


def error_response(status: int, body: Json, header_code: str | None = None,
                   request_id: str | None = REQUEST_ID) -> dict[str, Json]:
    headers = {"content-type": "application/json"}
    if header_code is not None:
        headers["x-amzn-errortype"] = header_code
    if request_id is not None:
        headers["x-amzn-requestid"] = request_id
    return raw(status, json.dumps(body, ensure_ascii=False), headers)


def modeled_error_cases() -> list[dict[str, Json]]:
    cases = []
    for code, operations in ERROR_OPERATIONS.items():
        body = {"message": f"{code} happened: ошибка 🎉", **ERROR_FIELDS[code]}
        for operation, params in operations:
            cases.append(err(code, operation, params, error_response(ERROR_STATUS[code], body, f"{code}:http://internal.amazon.com/coral/com.amazonaws.ivschat/")))
    return cases


def code_precedence_cases() -> list[dict[str, Json]]:
    body = {"message": "bad input", "reason": "OTHER"}
    return [
        err("code-from-header", "GetRoom", GET_ROOM, error_response(400, body, "ValidationException")),
        err("code-from-header-with-colon", "GetRoom", GET_ROOM, error_response(400, body, VALIDATION_HEADER)),
        err("code-from-body-code", "GetRoom", GET_ROOM, error_response(400, {**body, "code": "ValidationException"})),
        err("code-from-body-Code", "GetRoom", GET_ROOM, error_response(400, {**body, "Code": "ValidationException"})),
        err("code-from-body-type", "GetRoom", GET_ROOM, error_response(400, {**body, "__type": "ValidationException"})),
        err("code-from-body-type-namespaced", "GetRoom", GET_ROOM,
            error_response(404, {"message": "nope", "__type": "com.amazonaws.ivschat#ResourceNotFoundException",
                                 "resourceId": "abcdEFGH1234", "resourceType": "ROOM"}), note=HASH_NOTE),
        err("code-from-body-type-namespace-and-colon", "GetRoom", GET_ROOM,
            error_response(400, {**body, "__type": "com.amazonaws.ivschat#ValidationException:http://x/"}), note=HASH_NOTE),
        err("code-with-two-hashes", "GetRoom", GET_ROOM,
            error_response(400, {**body, "__type": "aws#ivschat#ValidationException"}), note=HASH_NOTE),
        err("header-namespaced", "GetRoom", GET_ROOM,
            error_response(403, {"message": "denied"}, "com.amazonaws.ivschat#AccessDeniedException"), note=HASH_NOTE),
        err("header-wins-over-body", "GetRoom", GET_ROOM,
            error_response(403, {"message": "denied", "__type": "PendingVerification", "code": "ValidationException"},
                           "AccessDeniedException")),
        err("body-code-wins-over-type", "GetRoom", GET_ROOM,
            error_response(403, {"message": "denied", "__type": "PendingVerification", "code": "AccessDeniedException"})),
        err("code-from-status", "GetRoom", GET_ROOM, error_response(404, {"message": "no code anywhere"})),
        err("Message-capitalised", "GetRoom", GET_ROOM, error_response(403, {"Message": "capital M"}, "AccessDeniedException")),
        err("message-wins-over-Message", "GetRoom", GET_ROOM,
            error_response(403, {"message": "lower", "Message": "upper"}, "AccessDeniedException")),
        err("no-message", "GetRoom", GET_ROOM, error_response(403, {}, "AccessDeniedException")),
        err("status-disagrees-with-code", "GetRoom", GET_ROOM,
            error_response(500, {"message": "odd", "resourceId": "abcdEFGH1234", "resourceType": "ROOM"},
                           "ResourceNotFoundException")),
        err("error-not-listed-for-operation", "GetRoom", GET_ROOM,
            error_response(429, {"message": "slow down", **ERROR_FIELDS["ThrottlingException"]}, "ThrottlingException"),
            note="GetRoom does not list ThrottlingException; botocore's error factory is service-wide."),
        err("no-request-id", "GetRoom", GET_ROOM, error_response(403, {"message": "denied"}, "AccessDeniedException", request_id=None)),
        err("amz-request-id-header", "GetRoom", GET_ROOM,
            raw(403, '{"message": "denied"}', {"x-amzn-errortype": "AccessDeniedException", "x-amz-request-id": "alt-id"})),
    ]


def field_variation_cases() -> list[dict[str, Json]]:
    return [
        err("validation-without-field-list", "CreateRoom", {}, error_response(400, {"message": "m", "reason": "OTHER"}, "ValidationException")),
        err("validation-empty-field-list", "CreateRoom", {}, error_response(400, {"message": "m", "reason": "UNKNOWN_OPERATION", "fieldList": []}, "ValidationException")),
        err("validation-unknown-reason", "CreateRoom", {}, error_response(400, {"message": "m", "reason": "BRAND_NEW"}, "ValidationException")),
        err("validation-missing-reason", "CreateRoom", {}, error_response(400, {"message": "m"}, "ValidationException")),
        err("unknown-resource-type", "GetRoom", GET_ROOM,
            error_response(404, {"message": "m", "resourceId": "abcdEFGH1234", "resourceType": "CHANNEL"}, "ResourceNotFoundException")),
        err("extra-error-fields", "GetRoom", GET_ROOM,
            error_response(404, {"message": "m", "resourceId": "abcdEFGH1234", "resourceType": "ROOM", "extra": "x"}, "ResourceNotFoundException")),
        err("unicode-message", "CreateChatToken", TOKEN_PARAMS, error_response(403, {"message": "Доступ запрещён 🚫"}, "AccessDeniedException")),
    ]


def unknown_and_raw_error_cases() -> list[dict[str, Json]]:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    return [
        err("unknown-code-400", "GetRoom", GET_ROOM, error_response(400, {"message": "new", "detail": 1}, "SomethingNewException")),
        err("unknown-code-500", "CreateRoom", {}, error_response(500, {"message": "boom"}, "ServiceUnavailable")),
        err("unknown-code-in-type", "ListRooms", {}, error_response(400, {"message": "x", "__type": "com.amazon#BrandNewError"})),
        err("html-502", "GetRoom", GET_ROOM, raw(502, html, {"content-type": "text/html"})),
        err("html-503", "ListRooms", {}, raw(503, "<html><body>Service Unavailable</body></html>", {"content-type": "text/html"})),
        err("html-doctype-502", "GetRoom", GET_ROOM,
            raw(502, "<!DOCTYPE html><html><body>Bad Gateway</body></html>", {"content-type": "text/html"}),
            note="Only bodies starting with '<html>' are generic; botocore treats this one as non-JSON text."),
        err("html-403", "GetRoom", GET_ROOM, raw(403, html, {"content-type": "text/html"}),
            note="Below 500 botocore never uses the generic path, so the HTML becomes the message."),
        err("empty-500", "GetRoom", GET_ROOM, raw(500, "")),
        err("empty-500-with-request-id", "DeleteRoom", GET_ROOM, raw(500, "", {"x-amzn-requestid": REQUEST_ID})),
        err("whitespace-503", "GetRoom", GET_ROOM, raw(503, "  \n")),
        err("empty-400", "GetRoom", GET_ROOM, raw(400, "")),
        err("empty-404-with-header", "GetRoom", GET_ROOM, raw(404, "", {"x-amzn-errortype": "ResourceNotFoundException"})),
        err("truncated-json-400", "GetRoom", GET_ROOM,
            raw(400, '{"message": "bad input", "reason": "FIELD_VAL', {"content-type": "application/json",
                                                                        "x-amzn-errortype": "ValidationException"})),
        err("truncated-json-400-no-header", "GetRoom", GET_ROOM,
            raw(400, '{"__type": "ValidationException", "message": "bad', {"content-type": "application/json"})),
        err("non-json-400", "GetRoom", GET_ROOM, raw(400, "Bad Request", {"content-type": "text/plain"})),
        err("json-array-400", "GetRoom", GET_ROOM, raw(400, "[1, 2]", {"content-type": "application/json"})),
        err("status-401", "GetRoom", GET_ROOM,
            error_response(401, {"message": "The security token included in the request is invalid."}, "UnrecognizedClientException")),
        err("signature-mismatch", "GetRoom", GET_ROOM,
            error_response(403, {"message": "The request signature we calculated does not match the signature you provided."},
                           "InvalidSignatureException")),
    ]


MEMBER_BY_MEMBER = ("ivschat reads modeled error members one by one: a member of the wrong type is lost alone, and "
                    "the error is what botocore gives for the body without it.")


def without(body: dict[str, Json], *members: str) -> dict[str, Json]:
    return {k: v for k, v in body.items() if k not in members}


def lost_member(status: int, body: dict[str, Json], code: str, *members: str, why: str) -> dict[str, Json]:
    """A deviation: botocore fails or keeps an ill-typed value; ivschat drops `members` only."""
    return {"why": f"{why} {MEMBER_BY_MEMBER}", "as_if": error_response(status, without(body, *members), code)}


def member_type_cases() -> list[dict[str, Json]]:
    field_list = ERROR_FIELDS["ValidationException"]["fieldList"]
    room = {"resourceId": "abcdEFGH1234", "resourceType": "ROOM"}
    bodies = {
        "field-list-string": {"message": "m", "reason": "FIELD_VALIDATION_FAILED", "fieldList": "name is too long"},
        "field-list-bad-item": {"message": "m", "reason": "FIELD_VALIDATION_FAILED", "fieldList": [field_list[0], 5]},
        "reason-number": {"message": "m", "reason": 5, "fieldList": field_list},
        "message-null": {"message": None, "reason": "OTHER", "fieldList": field_list},
        "resource-id-number": {"message": "m", **room, "resourceId": 5},
        "limit-string": {"message": "m", **room, "limit": "fifty"},
    }
    validation = "ValidationException"
    quota = "ServiceQuotaExceededException"
    return [
        err("validation-field-list-string", "CreateRoom", {}, error_response(400, bodies["field-list-string"], validation),
            deviation=lost_member(400, bodies["field-list-string"], validation, "fieldList",
                                  why="botocore raises AttributeError (it iterates the string's characters as structures).")),
        err("validation-field-list-bad-item", "CreateRoom", {}, error_response(400, bodies["field-list-bad-item"], validation),
            deviation=lost_member(400, bodies["field-list-bad-item"], validation, "fieldList",
                                  why="botocore raises AttributeError on the item 5.")),
        err("validation-reason-number", "CreateRoom", {}, error_response(400, bodies["reason-number"], validation),
            deviation=lost_member(400, bodies["reason-number"], validation, "reason",
                                  why="botocore passes the number 5 through as the enum string reason.")),
        err("validation-reason-null", "CreateRoom", {},
            error_response(400, {"message": "m", "reason": None, "fieldList": field_list}, validation)),
        err("validation-message-null", "CreateRoom", {}, error_response(400, bodies["message-null"], validation),
            deviation=lost_member(400, bodies["message-null"], validation, "message",
                                  why="botocore's Error.Message is None (the key is present).")),
        err("resource-id-number", "GetRoom", GET_ROOM, error_response(404, bodies["resource-id-number"], "ResourceNotFoundException"),
            deviation=lost_member(404, bodies["resource-id-number"], "ResourceNotFoundException", "resourceId",
                                  why="botocore passes the number 5 through as the string resourceId.")),
        err("resource-type-null", "GetRoom", GET_ROOM,
            error_response(404, {"message": "m", "resourceId": "abcdEFGH1234", "resourceType": None}, "ResourceNotFoundException")),
        err("quota-limit-string", "CreateRoom", {}, error_response(402, bodies["limit-string"], quota),
            deviation=lost_member(402, bodies["limit-string"], quota, "limit",
                                  why="botocore raises ValueError from int('fifty').")),
        err("quota-limit-numeric-string", "CreateRoom", {}, error_response(402, {"message": "m", **room, "limit": "50"}, quota)),
    ]


def error_json(status: int, text: str, header_code: str | None = None) -> dict[str, Json]:
    """`error_response` for a body json.dumps cannot write (1e400, deep nesting, broken JSON)."""
    headers = {"content-type": "application/json", "x-amzn-requestid": REQUEST_ID}
    if header_code is not None:
        headers["x-amzn-errortype"] = header_code
    return raw(status, text, headers)


def unreadable_error_body_cases() -> list[dict[str, Json]]:
    """Error bodies serde_json cannot hold as a whole: the code must still come from __type, code or the header."""
    deep_array, deep_object = nested(10000), nested(10000, '{"a": ')
    deep_why = ("Python's json raises RecursionError about 1,000 levels down, so botocore fails; ivschat skips the "
                "member it cannot hold and answers as botocore does for the body without it.")
    quota = '"message": "m", "resourceId": "abcdEFGH1234", "resourceType": "ROOM"'
    return [
        err("number-1e400-code", "CreateRoom", {},
            error_json(400, '{"code": "ValidationException", "message": "m", "reason": "OTHER", "score": 1e400}'),
            note="Python's json reads 1e400 as infinity; serde_json cannot hold it."),
        err("number-1e400-header", "GetRoom", GET_ROOM,
            error_json(404, '{"message": "m", "resourceId": "abcdEFGH1234", "resourceType": "ROOM", "size": -1e400}',
                       "ResourceNotFoundException")),
        err("number-1e400-in-limit", "CreateRoom", {},
            error_json(402, '{"__type": "com.amazonaws.ivschat#ServiceQuotaExceededException", %s, "limit": 1e400}' % quota),
            deviation={"why": "botocore raises OverflowError from int(inf). " + MEMBER_BY_MEMBER,
                       "as_if": error_json(402, '{"__type": "com.amazonaws.ivschat#ServiceQuotaExceededException", %s}' % quota)}),
        err("nested-500-type", "CreateRoom", {},
            error_json(400, '{"__type": "ValidationException", "message": "m", "reason": "OTHER", "deep": %s}' % nested(500)),
            note="Deeper than serde_json's 128 levels, within Python's."),
        err("nested-10000-type", "CreateRoom", {},
            error_json(400, '{"__type": "ValidationException", "message": "m", "reason": "OTHER", "deep": %s}' % deep_array),
            deviation={"why": deep_why, "as_if": error_json(400, '{"__type": "ValidationException", "message": "m", "reason": "OTHER"}')}),
        err("nested-10000-code", "CreateRoom", {},
            error_json(409, '{"deep": %s, "code": "ConflictException", "message": "m", "resourceId": "r1"}' % deep_object),
            deviation={"why": deep_why, "as_if": error_json(409, '{"code": "ConflictException", "message": "m", "resourceId": "r1"}')}),
        err("nested-10000-header", "CreateRoom", {},
            error_json(403, '{"message": "denied", "deep": %s}' % deep_array, "AccessDeniedException"),
            deviation={"why": deep_why, "as_if": error_json(403, '{"message": "denied"}', "AccessDeniedException")}),
        err("truncated-json-code", "CreateRoom", {},
            error_json(409, '{"code": "ConflictException", "message": "m", "resourceId": "abc'),
            note="JSON that does not parse is text to botocore: the code comes from the header or the status only."),
        err("trailing-data-after-object", "CreateRoom", {},
            error_json(400, '{"__type": "ValidationException", "message": "m"} {"more": 1}')),
    ]


ERRORS: list[dict[str, Json]] = (
    modeled_error_cases() + code_precedence_cases() + field_variation_cases() + unknown_and_raw_error_cases()
    + member_type_cases() + unreadable_error_body_cases()
)

# --------------------------------------------------------------------------- behaviour

OK_ROOM = ok({"arn": ROOM_ARN, "id": "abcdEFGH1234"})
THROTTLING_CODES = [
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
    "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
]
TRANSIENT_CODES = ["RequestTimeout", "RequestTimeoutException"]
READ_TIMEOUT_MS = 300
STATUS_429_NOTE = ("botocore 1.44 (ThrottlingStatusCodeChecker) retries a 429 unless its error code is one of the "
                   "operation's modeled errors; throttling codes are retried whatever the status.")
LONG_STALL_MS = 900


def beh(case_id: str, responses: list[dict[str, Json]], config: dict[str, Json] | None = None,
        operation: str = "GetRoom", params: dict[str, Json] | None = None, **extra: Json) -> dict[str, Json]:
    return {"id": f"behaviour.{case_id}", "operation": operation,
            "params": GET_ROOM if params is None else params, "config": config or {},
            "responses": responses, **extra}


def modeled_error(code: str, status: int | None = None) -> dict[str, Json]:
    body = {"message": f"{code} test", **ERROR_FIELDS.get(code, {})}
    return error_response(status or ERROR_STATUS[code], body, code)


def stall(ms: int, response: dict[str, Json]) -> dict[str, Json]:
    return {"action": "stall", "ms": ms, **response}


def retry_cases() -> list[dict[str, Json]]:
    cases = [beh(f"retry.{status}-then-200", [raw(status, ""), OK_ROOM]) for status in (500, 502, 503, 504)]
    cases += [
        beh("retry.503-json-then-200", [error_response(503, {"message": "busy"}, "ServiceUnavailableException"), OK_ROOM]),
        beh("retry.503-twice-then-200", [raw(503, ""), raw(503, ""), OK_ROOM]),
        beh("retry.503-exhausted", [raw(503, "")] * 3),
        beh("retry.post-create-room-503-then-200", [raw(503, ""), ok({"arn": ROOM_ARN})], operation="CreateRoom",
            params={"name": "demo"}, note="botocore retries non-idempotent POSTs too."),
        beh("retry.internal-server-exception-then-200", [modeled_error("InternalServerException"), ok({"tags": {}})],
            operation="ListTagsForResource", params=LIST_TAGS),
        beh("retry.internal-server-exception-exhausted", [modeled_error("InternalServerException")] * 3,
            operation="TagResource", params=TAG_PARAMS),
        beh("retry.unknown-code-500-then-200", [error_response(500, {"message": "x"}, "BrandNewFault"), OK_ROOM]),
        beh("retry.501-not-retried", [raw(501, ""), OK_ROOM]),
        beh("retry.throttling-429-exhausted", [modeled_error("ThrottlingException")] * 3,
            operation="SendEvent", params=SEND_EVENT_PARAMS),
        beh("retry.throttling-429-twice-then-200", [modeled_error("ThrottlingException")] * 2 + [ok({"id": "EVENT1234567"})],
            operation="SendEvent", params=SEND_EVENT_PARAMS),
        beh("retry.429-empty-body", [raw(429, ""), OK_ROOM], note=STATUS_429_NOTE),
        beh("retry.429-unknown-code", [error_response(429, {"message": "x"}, "BrandNewLimit"), OK_ROOM], note=STATUS_429_NOTE),
        beh("retry.429-code-not-modeled-for-operation", [modeled_error("AccessDeniedException", 429), ok({})],
            operation="TagResource", params=TAG_PARAMS,
            note=STATUS_429_NOTE + " TagResource does not list AccessDeniedException."),
        beh("no-retry.429-modeled-non-throttling-code", [modeled_error("AccessDeniedException", 429), OK_ROOM],
            note=STATUS_429_NOTE + " GetRoom lists AccessDeniedException, so it is not retried."),
        beh("retry.html-502-exhausted", [raw(502, "<html><body>Bad Gateway</body></html>", {"content-type": "text/html"})] * 3),
        beh("retry.empty-500-exhausted", [raw(500, "")] * 3),
    ]
    return cases


def throttling_code_cases() -> list[dict[str, Json]]:
    cases = []
    for code in THROTTLING_CODES + TRANSIENT_CODES:
        cases.append(beh(f"retry.code-in-body.{code}",
                         [error_response(400, {"__type": code, "message": "slow"}), OK_ROOM]))
    for code in ("ThrottlingException", "SlowDown", "RequestTimeoutException"):
        cases.append(beh(f"retry.code-in-header.{code}",
                         [error_response(400, {"message": "slow"}, f"{code}:http://internal/"), OK_ROOM]))
    return cases


def no_retry_cases() -> list[dict[str, Json]]:
    cases = [beh(f"no-retry.{code}", [modeled_error(code), OK_ROOM])
             for code in ("ValidationException", "ServiceQuotaExceededException", "AccessDeniedException",
                          "PendingVerification", "ResourceNotFoundException", "ConflictException")]
    cases += [
        beh("no-retry.400-empty", [raw(400, ""), OK_ROOM]),
        beh("no-retry.401", [error_response(401, {"message": "x"}, "UnrecognizedClientException"), OK_ROOM]),
        beh("no-retry.expired-token", [error_response(403, {"message": "x"}, "ExpiredTokenException"), OK_ROOM]),
    ]
    return cases


def transport_cases() -> list[dict[str, Json]]:
    timeout = {"readTimeoutMs": READ_TIMEOUT_MS}
    return [
        beh("transport.reset-then-200", [{"action": "reset"}, OK_ROOM]),
        beh("transport.reset-twice-then-200", [{"action": "reset"}, {"action": "reset"}, OK_ROOM]),
        beh("transport.reset-exhausted", [{"action": "reset"}] * 3),
        beh("transport.stall-then-200", [stall(LONG_STALL_MS, OK_ROOM), OK_ROOM], timeout),
        beh("transport.stall-exhausted", [stall(LONG_STALL_MS, OK_ROOM)] * 3, timeout),
        beh("transport.short-stall-ok", [stall(50, OK_ROOM)], timeout),
        beh("transport.stall-exhausted-max-attempts-1", [stall(LONG_STALL_MS, OK_ROOM)], {**timeout, "maxAttempts": 1}),
    ]


def redirect_cases() -> list[dict[str, Json]]:
    location = {"location": "http://127.0.0.1:9/GetRoom", "content-type": "application/json"}
    cases = [beh(f"redirect.{status}", [raw(status, "", location), OK_ROOM],
                 note="botocore never follows redirects for ivschat; the 3xx is an error.")
             for status in (301, 302, 307, 308)]
    cases.append(beh("redirect.301-with-json-body", [raw(301, '{"message": "moved"}', location), OK_ROOM]))
    return cases


def max_attempt_cases() -> list[dict[str, Json]]:
    return [
        beh("max-attempts.1-503", [raw(503, ""), OK_ROOM], {"maxAttempts": 1}),
        beh("max-attempts.1-throttling", [modeled_error("ThrottlingException"), OK_ROOM], {"maxAttempts": 1},
            operation="SendEvent", params=SEND_EVENT_PARAMS),
        beh("max-attempts.5-503-x4-then-200", [raw(503, "")] * 4 + [OK_ROOM], {"maxAttempts": 5}),
        beh("max-attempts.5-exhausted", [raw(503, "")] * 5, {"maxAttempts": 5}),
        beh("max-attempts.2-reset-exhausted", [{"action": "reset"}] * 2, {"maxAttempts": 2}),
    ]


BEHAVIOURS: list[dict[str, Json]] = (
    retry_cases() + throttling_code_cases() + no_retry_cases() + transport_cases() + redirect_cases()
    + max_attempt_cases()
)

# --------------------------------------------------------------------------- pagination


def pag(case_id: str, operation: str, params: dict[str, Json], pages: list[dict[str, Json]], **extra: Json) -> dict[str, Json]:
    return {"id": f"pagination.{operation}.{case_id}", "operation": operation, "params": params,
            "pageResponses": pages, **extra}


def rooms_page(names: list[str], token: str | None) -> dict[str, Json]:
    body: dict[str, Json] = {"rooms": [room_summary(name=n, id=f"{n:0<12}"[:12]) for n in names]}
    if token is not None:
        body["nextToken"] = token
    return ok(body)


def logs_page(ids: list[str], token: str | None) -> dict[str, Json]:
    body: dict[str, Json] = {"loggingConfigurations": [logging_configuration(S3_DEST, id=i, name=i) for i in ids]}
    if token is not None:
        body["nextToken"] = token
    return ok(body)


PAGINATIONS: list[dict[str, Json]] = [
    pag("single-page", "ListRooms", {}, [rooms_page(["r1", "r2"], None)]),
    pag("three-pages", "ListRooms", {"maxResults": 2}, [
        rooms_page(["r1", "r2"], "t1"), rooms_page(["r3", "r4"], "t2"), rooms_page(["r5"], None)]),
    pag("empty-token-ends", "ListRooms", {"maxResults": 1}, [rooms_page(["r1"], "t1"), rooms_page(["r2"], "")]),
    pag("repeated-token-ends", "ListRooms", {}, [rooms_page(["r1"], "same"), rooms_page(["r2"], "same")],
        note="Stop when a response repeats the token just sent (Rust stop_on_duplicate_token, JS stopOnSameToken)."),
    pag("empty-page-in-middle", "ListRooms", {"name": "demo"}, [
        rooms_page(["r1"], "t1"), rooms_page([], "t2"), rooms_page(["r2"], None)]),
    pag("no-items", "ListRooms", {}, [rooms_page([], None)]),
    pag("filters-carried", "ListRooms", {"maxResults": 1, "messageReviewHandlerUri": LAMBDA_ARN,
                                         "loggingConfigurationIdentifier": LOG_ARN},
        [rooms_page(["r1"], "t/1+="), rooms_page(["r2"], None)]),
    pag("single-page", "ListLoggingConfigurations", {}, [logs_page(["LC0000000001"], None)]),
    pag("two-pages", "ListLoggingConfigurations", {"maxResults": 1}, [
        logs_page(["LC0000000001"], "n1"), logs_page(["LC0000000002"], None)]),
    pag("empty-token-ends", "ListLoggingConfigurations", {}, [
        logs_page(["LC0000000001", "LC0000000002"], "n1"), logs_page(["LC0000000003"], "")]),
    pag("repeated-token-ends", "ListLoggingConfigurations", {"maxResults": 5}, [
        logs_page(["LC0000000001"], "n1"), logs_page(["LC0000000002"], "n1")],
        note="Stop when a response repeats the token just sent."),
    pag("start-token", "ListLoggingConfigurations", {"nextToken": "resume-here"}, [
        logs_page(["LC0000000009"], None)]),
]
