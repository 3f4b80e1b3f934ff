"""cloudtrail LookupEvents against a real `gatehold serve`: the real AWS CLI and boto3,
AWS's semantics (one lookup attribute, time range, MaxResults, NextToken, newest
first) and AWS's errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.audit_events import lookup
from tests.support.aws import error_of, unique
from tests.support.clients import run_aws
from tests.support.console import PASSWORD, make_user
from tests.support.console_http import Browser, sign_in
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer


def _cli_env(server: RunningServer) -> dict[str, str]:
    key, secret = server.admin_keys
    return {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _aws(server: RunningServer, *args: str) -> dict[str, Any]:
    out = run_aws(["--endpoint-url", server.endpoint, "--output", "json", *args], _cli_env(server))
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.fixture(scope="module")
def denied_caller(server: RunningServer) -> tuple[str, tuple[str, str]]:
    """A user with no permissions who made seven refused calls: seven records,
    written at once (a refused write is recorded in its own transaction)."""
    name = unique("caller")
    keys = add_user_with_key(server, name)
    iam = server.client("iam", keys)
    for i in range(7):
        with pytest.raises(ClientError):
            iam.create_user(UserName=f"{name}-{i}")
    return name, keys


def test_cli_finds_console_logins(server: RunningServer) -> None:
    name = make_user(server)
    page = sign_in(Browser(f"http://127.0.0.1:{server.port}"), server.account_id, name, PASSWORD)
    assert page.path == "/console"
    out = _aws(
        server,
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=ConsoleLogin",
    )
    events = out["Events"]
    assert events and all(e["EventName"] == "ConsoleLogin" for e in events)
    mine = [e for e in events if e.get("Username") == name]
    assert len(mine) == 1
    event = mine[0]
    assert event["EventSource"] == "signin.amazonaws.com"
    assert event["ReadOnly"] == "false"
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventID"] == event["EventId"]
    assert record["responseElements"] == {"ConsoleLogin": "Success"}
    # Newest first.
    times = [float(e["EventTime"]) for e in events]  # the CLI prints the wire's epoch seconds
    assert times == sorted(times, reverse=True)


def test_cli_pages_through_every_event(
    server: RunningServer, denied_caller: tuple[str, tuple[str, str]]
) -> None:
    name, _ = denied_caller
    out = _aws(
        server,
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        f"AttributeKey=Username,AttributeValue={name}",
        "--page-size",
        "3",
    )
    assert len(out["Events"]) == 7
    assert len({e["EventId"] for e in out["Events"]}) == 7


def test_pages_with_next_token_newest_first(
    server: RunningServer, denied_caller: tuple[str, tuple[str, str]]
) -> None:
    name, keys = denied_caller
    ct = server.client("cloudtrail")
    attrs = [{"AttributeKey": "Username", "AttributeValue": name}]
    first = ct.lookup_events(LookupAttributes=attrs, MaxResults=3)
    second = ct.lookup_events(LookupAttributes=attrs, MaxResults=3, NextToken=first["NextToken"])
    third = ct.lookup_events(LookupAttributes=attrs, MaxResults=3, NextToken=second["NextToken"])
    assert [len(p["Events"]) for p in (first, second, third)] == [3, 3, 1]
    assert "NextToken" not in third
    events = first["Events"] + second["Events"] + third["Events"]
    attempted = [json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"] for e in events]
    assert attempted == [f"{name}-{i}" for i in reversed(range(7))]
    e = events[0]
    assert e["EventName"] == "CreateUser" and e["EventSource"] == "iam.amazonaws.com"
    assert e["AccessKeyId"] == keys[0] and e["Username"] == name
    assert e["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": f"{name}-6"}]


def test_each_lookup_attribute(
    server: RunningServer, denied_caller: tuple[str, tuple[str, str]]
) -> None:
    name, keys = denied_caller
    newest = lookup(server, "Username", name)[0]
    assert [e["EventId"] for e in lookup(server, "EventId", newest["EventId"])] == [
        newest["EventId"]
    ]
    assert len(lookup(server, "AccessKeyId", keys[0])) == 7
    assert [e["EventId"] for e in lookup(server, "ResourceName", f"{name}-6")] == [
        newest["EventId"]
    ]
    assert newest["EventId"] in {
        e["EventId"] for e in lookup(server, "ResourceType", "AWS::IAM::User")
    }
    assert newest["EventId"] in {e["EventId"] for e in lookup(server, "EventName", "CreateUser")}
    writes = lookup(server, "ReadOnly", "false")
    assert writes and all(e["ReadOnly"] == "false" for e in writes)
    sts = lookup(server, "EventSource", "iam.amazonaws.com")
    assert sts and all(e["EventSource"] == "iam.amazonaws.com" for e in sts)
    assert lookup(server, "Username", unique("no-such-user")) == []


def test_time_range(server: RunningServer, denied_caller: tuple[str, tuple[str, str]]) -> None:
    name, _ = denied_caller
    now = datetime.now(UTC)
    assert len(lookup(server, "Username", name, StartTime=now - timedelta(hours=1))) == 7
    assert lookup(server, "Username", name, EndTime=now - timedelta(hours=1)) == []
    assert (
        lookup(
            server,
            "Username",
            name,
            StartTime=now + timedelta(minutes=5),
            EndTime=now + timedelta(hours=1),
        )
        == []
    )


def _error(
    server: RunningServer, keys: tuple[str, str] | None = None, **params: Any
) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as exc:
        server.client("cloudtrail", keys).lookup_events(**params)
    return error_of(exc)


def test_errors(server: RunningServer, denied_caller: tuple[str, tuple[str, str]]) -> None:
    name, _ = denied_caller
    attr = {"AttributeKey": "Username", "AttributeValue": name}
    code, _, status = _error(
        server, LookupAttributes=[attr, {"AttributeKey": "EventName", "AttributeValue": "X"}]
    )
    assert (code, status) == ("InvalidLookupAttributesException", 400)
    now = datetime.now(UTC)
    code, _, status = _error(server, StartTime=now, EndTime=now - timedelta(hours=1))
    assert (code, status) == ("InvalidTimeRangeException", 400)
    code, message, status = _error(server, MaxResults=51)
    assert (code, status) == ("ValidationException", 400)
    assert "maxResults" in message
    code, message, _ = _error(
        server, LookupAttributes=[{"AttributeKey": "Region", "AttributeValue": "x"}]
    )
    assert code == "ValidationException" and "enum value set" in message
    # A NextToken is only good with the parameters it was made for, and unaltered.
    token = server.client("cloudtrail").lookup_events(LookupAttributes=[attr], MaxResults=2)[
        "NextToken"
    ]
    other = {"AttributeKey": "EventName", "AttributeValue": "CreateUser"}
    code, _, status = _error(server, LookupAttributes=[other], NextToken=token)
    assert (code, status) == ("InvalidNextTokenException", 400)
    altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (
        _error(server, LookupAttributes=[attr], NextToken=altered)[0] == "InvalidNextTokenException"
    )
    assert (
        _error(server, LookupAttributes=[attr], NextToken="garbage")[0]
        == "InvalidNextTokenException"
    )


def test_lookup_needs_permission(
    server: RunningServer, denied_caller: tuple[str, tuple[str, str]]
) -> None:
    _, keys = denied_caller
    code, message, status = _error(server, keys)
    # A JSON-protocol service's refusal (CloudTrail API Reference, Common Errors).
    assert (code, status) == ("AccessDeniedException", 400)
    assert "not authorized to perform: cloudtrail:LookupEvents because" in message
