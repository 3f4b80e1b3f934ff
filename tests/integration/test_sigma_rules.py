"""Issue 7 item 6: the public SigmaHQ CloudTrail rules fire on gatehold's records
exactly when they should.

A real `gatehold serve` gets real traffic: console sign-ins over HTTP (failed
passwords, an unknown user name, a success without MFA, one with MFA after a
wrong code, root locked out by failures, unlocked by the operator and then signed
in) and API calls with boto3 by root's access key, by an IAM user's key, by that
user's GetSessionToken session, by an assumed role, and a CloudTrail trail made,
started and turned off. The records are read the way a SIEM's collector reads
them, through cloudtrail LookupEvents (the CloudTrailEvent JSON of every event,
all pages), and each rule in
the conformance data's sigma folder (verbatim SigmaHQ) is evaluated with pySigma and
pysigma-backend-sqlite (tests/support/sigma.py).

The expected eventIDs are found from what the test did (whose sign-in, which
access key, which step) and never from the fields the rule inspects, so a record
whose shape differs from CloudTrail's makes the sets differ.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.audit_events import Record, lookup
from tests.support.aws import role_trusting_admin, session_client, unique
from tests.support.console import PASSWORD, add_mfa, fresh_code, make_user
from tests.support.console_http import Browser, sign_in
from tests.support.seed import add_root_key, add_user_with_key
from tests.support.servers import ROOT_PASSWORD, RunningServer, gatehold_command, store_args
from tests.support.sigma import matching_event_ids

pytestmark = pytest.mark.conformance

SIGNIN = "signin.amazonaws.com"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
WRONG = "Wr0ng-Passw0rd!"
ROOT_EMAIL = "root@example.com"  # what tests/support/servers.run_init gives `gatehold init`
LOCKOUT_AFTER = 5  # config.Settings.lockout_threshold's default


@dataclass
class Trail:
    """Everything the module did, and every record gatehold kept of it."""

    records: list[Record] = field(default_factory=list)
    ids: dict[str, set[str]] = field(default_factory=dict)
    by_id: dict[str, Record] = field(default_factory=dict)


def _ids(events: list[dict[str, Any]]) -> set[str]:
    return {e["EventId"] for e in events}


def _signin_events(server: RunningServer, user_name: str) -> list[dict[str, Any]]:
    return [e for e in lookup(server, "Username", user_name) if e["EventSource"] == SIGNIN]


def _by_key(
    server: RunningServer, key_id: str, count: int, timeout: float = 15
) -> list[dict[str, Any]]:
    """The events of one access key, once all `count` are stored: reads reach the log
    through the recorder's batcher, about a second after they were answered."""
    deadline = time.monotonic() + timeout
    while True:
        found = lookup(server, "AccessKeyId", key_id)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, [(e["EventName"], e["EventTime"]) for e in found]
            return found
        time.sleep(0.2)


def _by_user(
    server: RunningServer, user_name: str, event_name: str, count: int, timeout: float = 15
) -> list[dict[str, Any]]:
    """A user's events of one name, once `count` are stored (reads are batched)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in lookup(server, "Username", user_name) if e["EventName"] == event_name]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, found
            return found
        time.sleep(0.2)


def _root_sign_in(b: Browser, password: str) -> str:
    b.get("/signin?type=root")
    return b.submit("/signin", root_email=ROOT_EMAIL, password=password).path


def _unlock_root(server: RunningServer) -> None:
    subprocess.run(
        [*gatehold_command(), "users", "unlock", *store_args(server.data_dir, server.database_url),
         "--account-id", server.account_id, "--root"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip


def _all_records(server: RunningServer) -> list[Record]:
    """Every record in the account: LookupEvents with no attribute, every page."""
    ct = server.client("cloudtrail")
    return [
        json.loads(e["CloudTrailEvent"])
        for page in ct.get_paginator("lookup_events").paginate()
        for e in page["Events"]
    ]


@pytest.fixture(scope="module")
def trail(server: RunningServer) -> Trail:
    t = Trail()
    base = f"http://127.0.0.1:{server.port}"
    acct = server.account_id

    # ---- console sign-ins (recorded in the step's own transaction) ----
    failing = make_user(server)
    for _ in range(2):
        assert sign_in(Browser(base), acct, failing, WRONG).path == "/signin"
    t.ids["user wrong passwords"] = _ids(_signin_events(server, failing))
    sign_in(Browser(base), acct, unique("nobody"), WRONG)
    t.ids["unknown user name"] = _ids(lookup(server, "Username", "HIDDEN_DUE_TO_SECURITY_REASONS"))

    no_mfa = make_user(server)
    assert sign_in(Browser(base), acct, no_mfa, PASSWORD).path == "/console"
    t.ids["user without MFA"] = _ids(_signin_events(server, no_mfa))

    with_mfa = make_user(server)
    _, otp = add_mfa(server, with_mfa)
    b = Browser(base)
    assert sign_in(b, acct, with_mfa, PASSWORD).path == "/signin/mfa"
    assert b.submit("/signin/mfa", mfa_code="000000").path == "/signin/mfa"
    assert b.submit("/signin/mfa", mfa_code=fresh_code(otp)).path == "/console"
    mfa_events = _signin_events(server, with_mfa)
    t.ids["user with MFA: ConsoleLogin"] = _ids(
        [e for e in mfa_events if e["EventName"] == "ConsoleLogin"]
    )
    t.ids["user with MFA: CheckMfa"] = _ids([e for e in mfa_events if e["EventName"] == "CheckMfa"])

    for _ in range(LOCKOUT_AFTER):
        assert _root_sign_in(Browser(base), WRONG) == "/signin"
    _unlock_root(server)
    before = _signin_events(server, "root")
    t.ids["root wrong passwords"] = _ids([e for e in before if e["EventName"] == "ConsoleLogin"])
    t.ids["root lockout and unlock"] = _ids(
        [e for e in before if e["EventName"] in ("ConsoleLoginLockout", "ConsoleLoginUnlock")]
    )
    root = Browser(base)
    assert _root_sign_in(root, ROOT_PASSWORD) == "/console"
    t.ids["root sign-in"] = _ids(_signin_events(server, "root")) - _ids(before)
    # A call root makes from the console (the Event history page runs LookupEvents).
    assert root.get("/console/events").status == 200
    t.ids["root console call"] = _ids(_by_user(server, "root", "LookupEvents", 1))

    # ---- API calls, by access key ----
    root_keys = add_root_key(server)
    target = unique("target")
    server.client("sts", root_keys).get_caller_identity()
    server.client("iam", root_keys).create_user(UserName=target)
    server.client("sts", root_keys).get_session_token()
    t.ids["root API calls"] = _ids(_by_key(server, root_keys[0], 3))

    admin_name = unique("operator")
    op_keys = add_user_with_key(server, admin_name, (ADMIN_POLICY,))
    iam = server.client("iam", op_keys)
    server.client("sts", op_keys).get_caller_identity()
    session = server.client("sts", op_keys).get_session_token()["Credentials"]
    created = iam.create_access_key(UserName=target)["AccessKey"]
    iam.list_access_keys(UserName=target)
    iam.delete_access_key(UserName=target, AccessKeyId=created["AccessKeyId"])
    iam.create_login_profile(UserName=target, Password=PASSWORD + "-1")
    iam.get_login_profile(UserName=target)
    iam.update_login_profile(UserName=no_mfa, Password=PASSWORD + "-2")
    user_events = _by_key(server, op_keys[0], 8)
    t.ids["user's GetSessionToken"] = _ids(
        [e for e in user_events if e["EventName"] == "GetSessionToken"]
    )
    t.ids["user's CreateAccessKey"] = _ids(
        [e for e in user_events if e["EventName"] == "CreateAccessKey"]
    )
    t.ids["user's UpdateLoginProfile"] = _ids(
        [e for e in user_events if e["EventName"] == "UpdateLoginProfile"]
    )
    t.ids["user's other calls"] = _ids(user_events) - set().union(
        t.ids["user's GetSessionToken"],
        t.ids["user's CreateAccessKey"],
        t.ids["user's UpdateLoginProfile"],
    )
    session_client(server, "sts", session).get_caller_identity()
    t.ids["user's session"] = _ids(_by_key(server, session["AccessKeyId"], 1))

    role = role_trusting_admin(server)
    creds = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="sigma")[
        "Credentials"
    ]
    session_client(server, "sts", creds).get_caller_identity()
    with pytest.raises(Exception, match="AccessDenied"):
        session_client(server, "iam", creds).list_users()
    t.ids["assumed role's calls"] = _ids(_by_key(server, creds["AccessKeyId"], 2))

    t.records = _all_records(server)
    t.by_id = {r["eventID"]: r for r in t.records}
    for name, ids in t.ids.items():
        assert ids, f"no events for {name!r}"
        assert ids <= t.by_id.keys(), f"{name!r} missing from the full LookupEvents listing"
    return t


def _fires(rule: str, t: Trail, expected: set[str]) -> None:
    found = matching_event_ids(rule, t.records)

    def show(ids: set[str]) -> list[str]:
        return [json.dumps(t.by_id.get(i, i), sort_keys=True) for i in sorted(ids)]

    assert found == expected, (
        f"{rule}\n fired but should not on:\n  "
        + "\n  ".join(show(found - expected))
        + "\n did not fire on:\n  "
        + "\n  ".join(show(expected - found))
    )


# ---- the sign-in rules -------------------------------------------------------------


def test_failed_authentication_fires_on_wrong_passwords_only(trail: Trail) -> None:
    expected = trail.ids["user wrong passwords"] | trail.ids["root wrong passwords"]
    assert len(expected) == 2 + LOCKOUT_AFTER
    _fires("aws_cloudtrail_console_login_failed_authentication.yml", trail, expected)
    # An unknown user name is a failure too, but CloudTrail's errorMessage for it is
    # "No username found in supplied account" (IAM UG, "Example sign-in failure event
    # caused by incorrect user name"): this rule does not see it on AWS either.
    (unknown,) = trail.ids["unknown user name"]
    assert trail.by_id[unknown]["responseElements"] == {"ConsoleLogin": "Failure"}


def test_success_without_mfa_fires_on_mfa_less_sign_ins_only(trail: Trail) -> None:
    # Root has no MFA device in this account: its sign-in is one without MFA, too.
    expected = trail.ids["user without MFA"] | trail.ids["root sign-in"]
    assert len(expected) == 2
    _fires("aws_cloudtrail_console_login_success_without_mfa.yml", trail, expected)
    (with_mfa,) = trail.ids["user with MFA: ConsoleLogin"]
    assert trail.by_id[with_mfa]["responseElements"] == {"ConsoleLogin": "Success"}


def test_root_account_usage_fires_on_roots_sign_ins_and_calls_only(trail: Trail) -> None:
    expected = (
        trail.ids["root wrong passwords"]
        | trail.ids["root sign-in"]
        | trail.ids["root console call"]
        | trail.ids["root API calls"]
    )
    assert len(expected) == LOCKOUT_AFTER + 1 + 1 + 3
    _fires("aws_root_account_usage.yml", trail, expected)
    (console_call,) = trail.ids["root console call"]
    assert trail.by_id[console_call]["sessionCredentialFromConsole"] == "true"
    # Root's lockout and unlock are service events about root, which the rule leaves out.
    quiet = trail.ids["root lockout and unlock"]
    assert {trail.by_id[i]["eventName"] for i in quiet} == {
        "ConsoleLoginLockout",
        "ConsoleLoginUnlock",
    }
    assert {trail.by_id[i]["userIdentity"]["type"] for i in quiet} == {"Root"}


# ---- IAM / STS context rules ------------------------------------------------------


def test_getsessiontoken_misuse_fires_on_an_iam_users_request_only(trail: Trail) -> None:
    # Root's GetSessionToken (in "root API calls") is not an IAMUser's: quiet.
    expected = trail.ids["user's GetSessionToken"]
    assert len(expected) == 1
    _fires("aws_sts_getsessiontoken_misuse.yml", trail, expected)


def test_backdoor_keys_fires_on_create_access_key_only(trail: Trail) -> None:
    expected = trail.ids["user's CreateAccessKey"]
    _fires("aws_iam_backdoor_users_keys.yml", trail, expected)
    # The fields the rule's author reads, as CloudTrail writes them: the new key's
    # owner in responseElements.accessKey.userName, and never its secret.
    (event,) = expected
    record = trail.by_id[event]
    assert (
        record["responseElements"]["accessKey"]["userName"]
        == record["requestParameters"]["userName"]
    )
    assert "secretAccessKey" not in json.dumps(record)


def test_update_login_profile_fires_on_another_users_password_change_only(trail: Trail) -> None:
    # Quiet on CreateLoginProfile and GetLoginProfile (in "user's other calls").
    expected = trail.ids["user's UpdateLoginProfile"]
    _fires("aws_update_login_profile.yml", trail, expected)
    (event,) = expected
    record = trail.by_id[event]
    assert set(record["requestParameters"]) == {"userName"}  # no password
    assert PASSWORD not in json.dumps(record)


def test_assumerole_misuse_fires_on_role_sessions_only(trail: Trail) -> None:
    # A GetSessionToken session is the IAM user's (no sessionIssuer): quiet.
    expected = trail.ids["assumed role's calls"]
    _fires("aws_sts_assumerole_misuse.yml", trail, expected)
    assert trail.ids["user's session"].isdisjoint(
        matching_event_ids("aws_sts_assumerole_misuse.yml", trail.records)
    )


@pytest.fixture(scope="module")
def with_trail(server: RunningServer, trail: Trail) -> Trail:
    """`trail`, plus a CloudTrail trail made, started, read and then turned off three
    ways, by its own key of an operator's; every record read again."""
    t = Trail(ids=dict(trail.ids))
    trail_keys = add_user_with_key(server, unique("trails"), (ADMIN_POLICY,))
    # The folder a trail's S3BucketName names is the operator's to make.
    bucket = server.data_dir / "trails" / unique("logs").lower()
    bucket.mkdir(parents=True)
    ct = server.client("cloudtrail", trail_keys)
    name = unique("trail")
    ct.create_trail(Name=name, S3BucketName=bucket.name)
    ct.start_logging(Name=name)
    ct.get_trail_status(Name=name)
    ct.describe_trails(trailNameList=[name])
    ct.update_trail(Name=name, S3KeyPrefix="moved")
    ct.stop_logging(Name=name)
    ct.delete_trail(Name=name)
    trail_events = _by_key(server, trail_keys[0], 7)
    t.ids["trail turned off"] = _ids(
        [e for e in trail_events if e["EventName"] in ("UpdateTrail", "StopLogging", "DeleteTrail")]
    )
    t.ids["trail made and read"] = _ids(trail_events) - t.ids["trail turned off"]
    t.records = _all_records(server)
    t.by_id = {r["eventID"]: r for r in t.records}
    return t


def test_disable_logging_fires_on_stopping_changing_or_deleting_a_trail_only(
    with_trail: Trail,
) -> None:
    # Quiet on CreateTrail, StartLogging, GetTrailStatus, DescribeTrails and on
    # everything in `trail` (no other cloudtrail.amazonaws.com event but lookups).
    expected = with_trail.ids["trail turned off"]
    assert len(expected) == 3 and len(with_trail.ids["trail made and read"]) == 4
    _fires("aws_cloudtrail_disable_logging.yml", with_trail, expected)


# ---- record shape beyond the rules' fields ---------------------------------------------


def test_console_sign_in_records_the_browsers_user_agent(trail: Trail) -> None:
    # CloudTrail UG, "AWS Management Console sign-in events": the examples' userAgent is
    # the browser's ("Mozilla/5.0 ..."); Sigma's aws_console_getsignintoken filters on it.
    # tests/support/console_http.Browser is urllib: "Python-urllib/3.x".
    for name in ("user without MFA", "user with MFA: CheckMfa", "root wrong passwords"):
        for event in trail.ids[name]:
            assert trail.by_id[event]["userAgent"].startswith("Python-urllib/"), name
