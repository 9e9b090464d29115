"""boto3's habits (issue 17): its constructor keywords and config=, ivschat.testing on import, unknown
keywords, Literal enums for mypy, and errors that say how to fix them in Python."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import boto3
import botocore.config
import botocore.exceptions
import pytest

import ivschat
from conftest import Admin
from ivschat.testing import LocalServer

ARN = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"
STALL = {"action": "stall", "ms": 3000, "status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}
FAIL = {"status": 500, "headers": {"x-amzn-errortype": "InternalServerException"}, "body": '{"message": "boom"}'}


def boto3_kwargs(server: LocalServer) -> Dict[str, Any]:
    return {"region_name": "us-east-1", "endpoint_url": server.endpoint_url, "aws_access_key_id": "test",
            "aws_secret_access_key": "test", "aws_session_token": None}


def test_boto3_constructor_keywords_work_unchanged(server: LocalServer) -> None:
    kwargs = boto3_kwargs(server)
    ours = ivschat.Client(**kwargs)
    theirs = boto3.client("ivschat", **kwargs)
    arn = ours.create_room(name="habits").arn
    assert ours.region == "us-east-1"
    assert theirs.get_room(identifier=arn)["arn"] == ours.get_room(identifier=arn or "").arn


def test_config_takes_retries_and_timeouts(server: LocalServer, scripted: Admin) -> None:
    kwargs = boto3_kwargs(server)
    scripted.script([STALL])
    once = ivschat.Client(**kwargs, config=botocore.config.Config(retries={"total_max_attempts": 1}, read_timeout=0.3))
    with pytest.raises(ivschat.RequestTimeoutError):
        once.get_room(identifier=ARN)
    assert len(scripted.recorded()) == 1

    # botocore's max_attempts counts retries: 1 retry, 2 requests, as boto3 makes.
    scripted.script([FAIL, FAIL, FAIL])
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    with pytest.raises(ivschat.InternalServerException):
        ivschat.Client(**kwargs, initial_backoff=0.001, config=config).get_room(identifier=ARN)
    assert len(scripted.recorded()) == 2
    scripted.script([FAIL, FAIL, FAIL])
    with pytest.raises(botocore.exceptions.ClientError):
        boto3.client("ivschat", **kwargs, config=config).get_room(identifier=ARN)
    assert len(scripted.recorded()) == 2

    assert ivschat.Client(**{**kwargs, "region_name": None}, config={"region_name": "eu-west-1"}).region == "eu-west-1"
    assert ivschat.Client(**kwargs, config={"region_name": "eu-west-1"}).region == "us-east-1"  # the keyword wins
    with pytest.raises(ivschat.ConfigurationError, match="proxies"):
        ivschat.Client(**kwargs, config=botocore.config.Config(proxies={"https": "http://proxy:3128"}))


def test_unknown_keyword_names_the_operation_and_the_valid_ones(client: ivschat.Client, server: LocalServer) -> None:
    with pytest.raises(ivschat.ParamValidationError) as ours:
        client.get_room(identifier=ARN, identifer=ARN)  # type: ignore[arg-type]
    with pytest.raises(botocore.exceptions.ParamValidationError) as theirs:
        boto3.client("ivschat", **boto3_kwargs(server)).get_room(identifier=ARN, identifer=ARN)
    assert 'Unknown parameter in input: "identifer", must be one of: identifier' in str(theirs.value)
    assert str(ours.value).endswith("GetRoom: unknown parameter 'identifer', must be one of: identifier")
    assert ours.value.member == "identifer" and isinstance(ours.value, ValueError)
    with pytest.raises(ivschat.ParamValidationError, match="ListRooms: unknown parameter 'page_size', must be one of: "
                                                           "name, next_token, max_results"):
        list(client.paginate_list_rooms(page_size=3))  # type: ignore[arg-type]


def test_mypy_rejects_bad_enum_values_and_unknown_keywords(tmp_path: Path) -> None:
    snippet = tmp_path / "bad.py"
    snippet.write_text(
        "import ivschat\n"
        "c = ivschat.Client(region_name='us-east-1')\n"
        "c.create_chat_token(room_identifier='r', user_id='u', capabilities=['SEND_MESSAGES'])\n"
        "c.create_chat_token(room_identifier='r', user_id='u', capabilities=['SEND_MESSAGE'])\n"
        "c.get_room(identifier='r', identifer='r')\n"
        "c.create_room(message_review_handler=ivschat.MessageReviewHandler(fallback_result='deny'))\n")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(snippet)],
                         capture_output=True, text=True).stdout
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert [e.split(":")[1] for e in errors] == ["3", "5", "6"], out
    assert "SEND_MESSAGES" in errors[0] and "identifer" in errors[1] and "deny" in errors[2], out


def run_fresh(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter with no AWS settings (HOME without ~/.aws)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**clean, "HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true", **env})


def test_import_ivschat_makes_testing_available() -> None:
    done = run_fresh("import ivschat, sys\nassert 'ivschat.testing' not in sys.modules\n"
                     "with ivschat.testing.LocalServer() as s: print(s.endpoint_url)")
    assert done.returncode == 0 and done.stdout.startswith("http://127.0.0.1:"), done.stderr


def test_missing_region_says_how_to_set_it_in_python() -> None:
    done = run_fresh("import ivschat\ntry:\n    ivschat.Client(aws_access_key_id='a', aws_secret_access_key='b')\n"
                     "except ivschat.ConfigurationError as e:\n    print(e)")
    assert "region_name=" in done.stdout and "AWS_REGION" in done.stdout and "builder" not in done.stdout, done


def test_missing_credentials_say_no_credentials_found() -> None:
    done = run_fresh("import ivschat\nc = ivschat.Client(region_name='us-east-1', max_attempts=1)\ntry:\n"
                     "    c.list_rooms()\nexcept ivschat.CredentialsError as e:\n    print(e)")
    assert "no credentials found" in done.stdout and "environment variables" in done.stdout, done
