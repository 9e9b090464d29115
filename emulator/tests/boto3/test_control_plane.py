"""Unmodified boto3 against ivschat-local: every operation and every modeled error."""

import datetime
import re
import urllib.parse

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from conftest import Server

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:review"


def code(e):
    return e.value.response["Error"]["Code"]


def test_room_crud(client):
    room = client.create_room(name="demo", maximumMessageLength=200, tags={"env": "dev"},
                              messageReviewHandler={"uri": LAMBDA})
    assert re.fullmatch(r"arn:aws:ivschat:us-east-1:000000000000:room/[A-Za-z0-9]{12}", room["arn"])
    assert room["maximumMessageRatePerSecond"] == 10 and room["maximumMessageLength"] == 200
    assert room["messageReviewHandler"] == {"uri": LAMBDA, "fallbackResult": "ALLOW"}
    assert isinstance(room["createTime"], datetime.datetime) and room["createTime"].tzinfo is not None
    assert room["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert room["ResponseMetadata"]["RequestId"]
    got = client.get_room(identifier=room["arn"])
    assert got["name"] == "demo" and got["tags"] == {"env": "dev"}
    up = client.update_room(identifier=room["arn"], name="new", maximumMessageRatePerSecond=50,
                            messageReviewHandler={"uri": LAMBDA, "fallbackResult": "DENY"})
    assert up["name"] == "new" and up["maximumMessageRatePerSecond"] == 50
    assert up["messageReviewHandler"]["fallbackResult"] == "DENY"
    assert up["updateTime"] >= up["createTime"]
    rooms = client.list_rooms()["rooms"]
    assert [r["arn"] for r in rooms] == [room["arn"]]
    assert client.list_rooms(messageReviewHandlerUri=LAMBDA)["rooms"][0]["id"] == room["id"]
    assert client.list_rooms(name="nope")["rooms"] == []
    resp = client.delete_room(identifier=room["arn"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException) as e:
        client.get_room(identifier=room["arn"])
    assert e.value.response["resourceId"] == room["id"]
    assert e.value.response["resourceType"] == "ROOM"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_rooms_pagination(client):
    arns = [client.create_room(name=f"r{i}")["arn"] for i in range(7)]
    seen, kwargs = [], {"maxResults": 3}
    while True:
        page = client.list_rooms(**kwargs)
        seen += [r["arn"] for r in page["rooms"]]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    assert sorted(seen) == sorted(arns) and len(seen) == 7
    times = [r["updateTime"] for r in client.list_rooms()["rooms"]]
    assert times == sorted(times, reverse=True)
    with pytest.raises(client.exceptions.ValidationException):
        client.list_rooms(nextToken="garbage")


def test_logging_configurations(client):
    lc = client.create_logging_configuration(
        name="lc", destinationConfiguration={"s3": {"bucketName": "my-bucket"}}, tags={"t": "1"})
    assert lc["state"] == "ACTIVE" and lc["destinationConfiguration"] == {"s3": {"bucketName": "my-bucket"}}
    assert client.get_logging_configuration(identifier=lc["arn"])["name"] == "lc"
    up = client.update_logging_configuration(
        identifier=lc["arn"], destinationConfiguration={"cloudWatchLogs": {"logGroupName": "/ivs/chat"}})
    assert up["destinationConfiguration"] == {"cloudWatchLogs": {"logGroupName": "/ivs/chat"}}
    assert up["state"] == "ACTIVE"
    listed = client.list_logging_configurations(maxResults=10)["loggingConfigurations"]
    assert [x["arn"] for x in listed] == [lc["arn"]]
    room = client.create_room(loggingConfigurationIdentifiers=[lc["arn"]])
    assert client.list_rooms(loggingConfigurationIdentifier=lc["arn"])["rooms"][0]["arn"] == room["arn"]
    with pytest.raises(client.exceptions.ConflictException) as e:
        client.delete_logging_configuration(identifier=lc["arn"])
    assert e.value.response["resourceType"] == "ROOM" and e.value.response["resourceId"]
    client.update_room(identifier=room["arn"], loggingConfigurationIdentifiers=[])
    assert client.delete_logging_configuration(identifier=lc["arn"])["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_logging_configuration(identifier=lc["arn"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_room(loggingConfigurationIdentifiers=[lc["arn"]])


def test_tags(client):
    room = client.create_room()["arn"]
    lc = client.create_logging_configuration(
        destinationConfiguration={"firehose": {"deliveryStreamName": "s"}})["arn"]
    for arn in (room, lc):
        client.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2", "c d": "é"})
        client.untag_resource(resourceArn=arn, tagKeys=["a", "c d"])
        assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
        client.untag_resource(resourceArn=arn, tagKeys=[])
        with pytest.raises(client.exceptions.ValidationException):
            client.tag_resource(resourceArn=arn, tags={"aws:reserved": "x"})
        with pytest.raises(client.exceptions.ValidationException):
            client.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    missing = room[:-12] + "AAAAAAAAAAAA"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as e:
        client.list_tags_for_resource(resourceArn=missing)
    assert e.value.response["resourceId"] == "AAAAAAAAAAAA"


def test_chat_token_and_events(client):
    room = client.create_room()["arn"]
    before = datetime.datetime.now(datetime.timezone.utc)
    tok = client.create_chat_token(roomIdentifier=room, userId="user-1",
                                   capabilities=["SEND_MESSAGE", "DELETE_MESSAGE"],
                                   sessionDurationInMinutes=30, attributes={"name": "x"})
    assert re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", tok["token"])
    assert tok["sessionExpirationTime"] - before < datetime.timedelta(minutes=31)
    assert tok["sessionExpirationTime"] - before > datetime.timedelta(minutes=29)
    assert tok["tokenExpirationTime"] <= tok["sessionExpirationTime"]
    assert re.fullmatch(r"[A-Za-z0-9]{12}", client.send_event(roomIdentifier=room, eventName="app:x",
                                                            attributes={"k": "v"})["id"])
    assert re.fullmatch(r"[A-Za-z0-9]{12}", client.delete_message(roomIdentifier=room, id="ABCDEFGHIJKL",
                                                                reason="spam")["id"])
    out = client.disconnect_user(roomIdentifier=room, userId="user-1", reason="bye")
    assert set(out) == {"ResponseMetadata"}
    gone = room[:-12] + "AAAAAAAAAAAA"
    for call in (lambda: client.create_chat_token(roomIdentifier=gone, userId="u"),
                 lambda: client.send_event(roomIdentifier=gone, eventName="e"),
                 lambda: client.delete_message(roomIdentifier=gone, id="ABCDEFGHIJKL"),
                 lambda: client.disconnect_user(roomIdentifier=gone, userId="u"),
                 lambda: client.update_room(identifier=gone),
                 lambda: client.delete_room(identifier=gone)):
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            call()


def test_validation_exception_fields(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.create_room(name="x" * 129, maximumMessageLength=501)
    r = e.value.response
    assert r["reason"] == "FIELD_VALIDATION_FAILED"
    assert {f["name"] for f in r["fieldList"]} == {"name", "maximumMessageLength"}
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.create_logging_configuration(destinationConfiguration={"s3": {"bucketName": "ABC"}})
    assert e.value.response["fieldList"][0]["name"] == "destinationConfiguration.s3.bucketName"
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.create_chat_token(roomIdentifier="arn:aws:ivschat:us-east-1:000000000000:room/abc",
                                 userId="u", capabilities=["FLY"])
    assert e.value.response["fieldList"][0]["name"] == "capabilities[0]"
    with pytest.raises(client.exceptions.ValidationException):
        client.list_rooms(maxResults=51)
    # botocore itself enforces min and required
    with pytest.raises(ParamValidationError):
        client.create_room(maximumMessageLength=0)


def test_service_quota_exceeded():
    s = Server("--max-rooms", "1", "--max-logging-configurations", "1")
    try:
        c = s.client()
        c.create_room()
        with pytest.raises(c.exceptions.ServiceQuotaExceededException) as e:
            c.create_room()
        assert e.value.response["limit"] == 1 and e.value.response["resourceType"] == "ROOM"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402
        c.create_logging_configuration(destinationConfiguration={"s3": {"bucketName": "bbb"}})
        with pytest.raises(c.exceptions.ServiceQuotaExceededException):
            c.create_logging_configuration(destinationConfiguration={"s3": {"bucketName": "bbb"}})
    finally:
        s.stop()


def test_auth_errors(server, client):
    with pytest.raises(ClientError) as e:
        server.client(secret="wrong").list_rooms()
    assert code(e) == "InvalidSignatureException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as e:
        server.client(key="AKIDUNKNOWN").list_rooms()
    assert code(e) == "UnrecognizedClientException"
    assert e.value.response["Error"]["Message"] == "The security token included in the request is invalid."
    with pytest.raises(ClientError) as e:
        server.client(region="eu-west-1").list_rooms()
    assert code(e) == "InvalidSignatureException"
    # a session token is accepted for identities configured without one
    server.client(aws_session_token="anything").list_rooms()


def test_accounts_isolated(server, client):
    room = client.create_room()["arn"]
    other = server.client(key="other", secret="othersecret")
    assert other.list_rooms()["rooms"] == []
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.get_room(identifier=room)
    mine = other.create_room()["arn"]
    assert ":111111111111:room/" in mine
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_for_resource(resourceArn=mine)


def test_injected_faults_map_to_modeled_errors(server, client):
    room = client.create_room()["arn"]
    server.admin("POST", "/_emulator/faults", {"operation": "SendEvent", "count": 1, "status": 429,
                                               "errorCode": "ThrottlingException", "message": "slow"})
    with pytest.raises(client.exceptions.ThrottlingException) as e:
        client.send_event(roomIdentifier=room, eventName="e")
    assert e.value.response["limit"] == 0
    for status, err in ((403, "AccessDeniedException"), (403, "PendingVerification"),
                        (500, "InternalServerException")):
        server.admin("POST", "/_emulator/faults", {"operation": "*", "count": 1, "status": status, "errorCode": err})
        with pytest.raises(getattr(client.exceptions, err)):
            client.list_tags_for_resource(resourceArn=room)
    assert client.list_tags_for_resource(resourceArn=room)["tags"] == {}


def test_request_log(server, client):
    server.admin("DELETE", "/_emulator/requests")
    client.list_rooms()
    entries = server.admin("GET", "/_emulator/requests")["requests"]
    assert [(x["operation"], x["status"], x["account"]) for x in entries] == [("ListRooms", 200, "000000000000")]


def test_script_records_boto3_requests(server, client):
    server.admin("POST", "/_emulator/script", {"responses": [
        {"status": 200, "headers": {"x-amzn-RequestId": "r-1"}, "body": "{}"}]})
    try:
        arn = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"
        client.untag_resource(resourceArn=arn, tagKeys=["a b", "c/d"])
        reqs = server.admin("GET", "/_emulator/script/requests")["requests"]
        assert len(reqs) == 1
        r = reqs[0]
        assert r["method"] == "DELETE"
        assert r["path"] == "/tags/" + urllib.parse.quote(arn, safe="")
        assert r["query"] == [["tagKeys", "a b"], ["tagKeys", "c/d"]]
        assert r["signature"] == {"valid": True, "signedHeaders": "host;x-amz-date"}
        assert r["headers"]["user-agent"].startswith("Boto3/")
    finally:
        server.admin("DELETE", "/_emulator/script")


def test_required_session_token_and_durable_restart(tmp_path):
    s = Server("--data-dir", str(tmp_path), "--access-key-id", "AKT", "--secret-access-key", "sk",
               "--account-id", "222222222222", "--session-token", "tok")
    try:
        ok = s.client(key="AKT", secret="sk", aws_session_token="tok")
        room = ok.create_room(name="kept", tags={"a": "1"})
        with pytest.raises(ClientError) as e:
            s.client(key="AKT", secret="sk").list_rooms()
        assert code(e) == "UnrecognizedClientException"
        with pytest.raises(ClientError) as e:
            s.client(key="AKT", secret="sk", aws_session_token="other").list_rooms()
        assert code(e) == "UnrecognizedClientException"
    finally:
        s.proc.kill()
        s.proc.wait()
    s = Server("--data-dir", str(tmp_path), "--access-key-id", "AKT", "--secret-access-key", "sk",
               "--account-id", "222222222222", "--session-token", "tok")
    try:
        got = s.client(key="AKT", secret="sk", aws_session_token="tok").get_room(identifier=room["arn"])
        assert got["name"] == "kept" and got["tags"] == {"a": "1"}
        assert got["createTime"] == room["createTime"]
    finally:
        s.stop()
