"""CloudTrail records of API calls and console sign-ins, read back through the real
cloudtrail LookupEvents API of a real `gatehold serve`.

Fields are checked against the AWS CloudTrail User Guide's documented shapes
("CloudTrail record contents", "userIdentity element", "AWS Management Console
sign-in events"); secrets are searched for in the whole record text."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.support.audit_events import lookup, records, wait_for
from tests.support.aws import error_of, role_trusting_admin, session_client, unique
from tests.support.console import (
    PASSWORD,
    add_mfa,
    allow_change_password,
    fresh_code,
    make_user,
    unlock,
)
from tests.support.console_http import Browser, sign_in
from tests.support.oidc_issuer import running_issuer
from tests.support.seed import add_user_with_key
from tests.support.servers import ROOT_PASSWORD, RunningServer, run_init, serve

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# eventID: a UUID in its text form (gatehold's are time-ordered, version 7: records.new_event_id)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _common(record: dict[str, Any], server: RunningServer) -> None:
    """What every record carries (CloudTrail record contents)."""
    assert record["eventVersion"] >= "1.09"
    assert TIME.match(record["eventTime"])
    assert UUID.match(record["eventID"])
    assert record["managementEvent"] is True
    assert record["eventCategory"] == "Management"
    assert record["recipientAccountId"] == server.account_id
    assert record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "127.0.0.1"


def _one(found: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    hits = [r for r in found if all(r.get(k) == v for k, v in fields.items())]
    assert len(hits) == 1, (fields, found)
    return hits[0]


@pytest.fixture(scope="module")
def browser_for(server: RunningServer) -> Any:
    return lambda: Browser(f"http://127.0.0.1:{server.port}")


# ---- API calls ---------------------------------------------------------------------


def test_a_change_is_recorded_with_it(server: RunningServer) -> None:
    name = unique("audited")
    answer = server.client("iam").create_user(UserName=name, Path="/team/")
    # No waiting: the record was committed in the same transaction as the user.
    r = _one(records(server, "ResourceName", name), eventName="CreateUser")
    _common(r, server)
    key_id = server.admin_keys[0]
    assert r["userIdentity"] == {
        "type": "IAMUser",
        "principalId": r["userIdentity"]["principalId"],
        "arn": f"arn:aws:iam::{server.account_id}:user/admin",
        "accountId": server.account_id,
        "accessKeyId": key_id,
        "userName": "admin",
    }
    assert r["userIdentity"]["principalId"].startswith("AIDA")
    assert r["eventSource"] == "iam.amazonaws.com"
    assert r["eventType"] == "AwsApiCall"
    assert r["readOnly"] is False
    assert r["requestParameters"] == {"userName": name, "path": "/team/"}
    user = r["responseElements"]["user"]
    assert user["userName"] == name and user["arn"].endswith(f":user/team/{name}")
    assert re.match(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$", user["createDate"])
    assert r["requestID"] == answer["ResponseMetadata"]["RequestId"]
    assert "Boto3/" in r["userAgent"]
    assert "errorCode" not in r and "tlsDetails" not in r  # plain HTTP here


def test_a_call_over_tls_has_tls_details(server: RunningServer) -> None:
    """Behind a TLS-terminating proxy on 127.0.0.1 (X-Forwarded-Proto: https), the
    request counts as TLS; the host the client asked for is the record's
    clientProvidedHostHeader (the TLS version and cipher stay with the proxy)."""
    iam = server.client("iam")

    def forwarded(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-Proto"] = "https"

    iam.meta.events.register("before-sign.iam.CreateUser", forwarded)
    name = unique("tls")
    iam.create_user(UserName=name)
    r = _one(records(server, "ResourceName", name), eventName="CreateUser")
    assert r["tlsDetails"] == {"clientProvidedHostHeader": f"127.0.0.1:{server.port}"}


def test_a_read_is_recorded_by_the_batcher(server: RunningServer) -> None:
    name = unique("read")
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.get_user(UserName=name)
    (r,) = wait_for(server, "ResourceName", name, lambda r: r["eventName"] == "GetUser")
    _common(r, server)
    assert r["readOnly"] is True
    assert r["requestParameters"] == {"userName": name}
    assert r["responseElements"] is None  # CloudTrail logs no response of a read


def test_secrets_never_reach_the_log(server: RunningServer) -> None:
    iam = server.client("iam")
    name = unique("secrets")
    password = "Sup3r-Secret-Passw0rd!" + unique("x")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=False)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("phone"))["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    app = pyotp.TOTP(seed)
    now = time.time()
    code1, code2 = app.at(now - 30), app.at(now)
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=code1,
        AuthenticationCode2=code2,
    )
    role = role_trusting_admin(server)
    creds = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName=name)[
        "Credentials"
    ]
    both = lookup(server, "ResourceName", name) + lookup(server, "Username", "admin")
    found = list({e["EventId"]: e for e in both}.values())
    text = "\n".join(e["CloudTrailEvent"] for e in found)
    for secret in (
        password,
        key["SecretAccessKey"],
        seed,
        f'"{code1}"',
        f'"{code2}"',
        creds["SecretAccessKey"],
        creds["SessionToken"],
    ):
        assert secret not in text
    recs = [json.loads(e["CloudTrailEvent"]) for e in found]
    profile = _one(recs, eventName="CreateLoginProfile")
    assert profile["requestParameters"] == {"userName": name, "passwordResetRequired": False}
    created = _one(recs, eventName="CreateAccessKey")["responseElements"]["accessKey"]
    assert created["accessKeyId"] == key["AccessKeyId"] and "secretAccessKey" not in created
    enabled = _one(recs, eventName="EnableMFADevice")["requestParameters"]
    assert enabled == {"userName": name, "serialNumber": device["SerialNumber"]}
    assumed = _one(recs, eventName="AssumeRole")
    assert assumed["eventSource"] == "sts.amazonaws.com"
    assert assumed["requestParameters"] == {"roleArn": role["Arn"], "roleSessionName": name}
    assert assumed["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    assert assumed["resources"] == [
        {"ARN": role["Arn"], "accountId": server.account_id, "type": "AWS::IAM::Role"}
    ]


def test_a_denied_call_is_recorded_with_the_message_the_client_got(
    server: RunningServer,
) -> None:
    caller = unique("nobody")
    keys = add_user_with_key(server, caller)
    target = unique("target")
    with pytest.raises(ClientError) as exc:
        server.client("iam", keys).create_user(UserName=target)
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    (r,) = records(server, "Username", caller)
    _common(r, server)
    assert r["eventName"] == "CreateUser"
    assert r["errorCode"] == "AccessDenied"
    assert r["errorMessage"] == message
    assert r["responseElements"] is None
    assert r["userIdentity"]["userName"] == caller
    assert r["userIdentity"]["accessKeyId"] == keys[0]
    # And nothing was created.
    with pytest.raises(ClientError):
        server.client("iam").get_user(UserName=target)


def test_a_failed_write_leaves_no_success_record_and_no_change(server: RunningServer) -> None:
    iam = server.client("iam")
    name = unique("twice")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name)
    assert error_of(exc)[0] == "EntityAlreadyExists"
    missing = f"arn:aws:iam::{server.account_id}:policy/{unique('missing')}"
    with pytest.raises(ClientError):
        iam.attach_user_policy(UserName=name, PolicyArn=missing)
    recs = records(server, "ResourceName", name)
    creates = [r for r in recs if r["eventName"] == "CreateUser"]
    assert sorted(r.get("errorCode", "") for r in creates) == ["", "EntityAlreadyExists"]
    attach = _one(recs, eventName="AttachUserPolicy")
    assert attach["errorCode"] == "NoSuchEntity" and attach["responseElements"] is None
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []


def test_a_role_session_is_an_assumed_role_identity(server: RunningServer) -> None:
    role = role_trusting_admin(server)
    session = unique("sess")
    creds = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName=session)[
        "Credentials"
    ]
    with pytest.raises(ClientError):
        session_client(server, "iam", creds).create_user(UserName=unique("x"))
    (r,) = records(server, "Username", session)
    identity = r["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["principalId"] == f"{role['RoleId']}:{session}"
    assert identity["arn"] == (
        f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/{session}"
    )
    assert identity["accessKeyId"] == creds["AccessKeyId"]
    ctx = identity["sessionContext"]
    assert ctx["sessionIssuer"] == {
        "type": "Role",
        "principalId": role["RoleId"],
        "arn": role["Arn"],
        "accountId": server.account_id,
        "userName": role["RoleName"],
    }
    assert ctx["attributes"]["mfaAuthenticated"] == "false"
    assert TIME.match(ctx["attributes"]["creationDate"])


def test_web_identity_federation_is_a_web_identity_user(server: RunningServer) -> None:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    iam = server.client("iam")
    anonymous = boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    with running_issuer() as issuer:
        provider = iam.create_open_id_connect_provider(
            Url=issuer.iam_url, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
        )["OpenIDConnectProviderArn"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {f"{issuer.provider_url}:sub": "repo:acme/app"}},
                }
            ],
        }
        role = iam.create_role(RoleName=unique("web"), AssumeRolePolicyDocument=json.dumps(trust))
        role_arn = role["Role"]["Arn"]
        token = issuer.token(sub="repo:acme/app")
        answer = anonymous.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="ci-1", WebIdentityToken=token
        )
        refused_token = issuer.token(sub="repo:evil/app")
        with pytest.raises(ClientError) as exc:
            anonymous.assume_role_with_web_identity(
                RoleArn=role_arn, RoleSessionName="ci-2", WebIdentityToken=refused_token
            )
    assert error_of(exc)[0] == "AccessDenied"
    recs = [
        r
        for r in records(server, "ResourceName", role_arn)
        if r["eventName"] == "AssumeRoleWithWebIdentity"
    ]
    ok = _one(recs, requestID=answer["ResponseMetadata"]["RequestId"])
    _common(ok, server)
    assert ok["userIdentity"]["type"] == "WebIdentityUser"
    assert ok["userIdentity"]["userName"] == "repo:acme/app"
    assert ok["userIdentity"]["identityProvider"] == issuer.provider_url
    assert ok["userIdentity"]["principalId"].endswith(":sts.amazonaws.com:repo:acme/app")
    assert ok["requestParameters"] == {"roleArn": role_arn, "roleSessionName": "ci-1"}
    denied = _one(recs, errorCode="AccessDenied")
    assert denied["userIdentity"]["userName"] == "repo:evil/app"
    text = json.dumps(recs)
    assert token not in text and refused_token not in text
    assert answer["Credentials"]["SecretAccessKey"] not in text


# ---- console sign-in -----------------------------------------------------------------


def _signin_records(server: RunningServer, name: str) -> list[dict[str, Any]]:
    return [
        r for r in records(server, "Username", name) if r["eventSource"] == "signin.amazonaws.com"
    ]


def test_console_login_success_without_mfa(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    assert sign_in(browser_for(), server.account_id, name, PASSWORD).path == "/console"
    (r,) = _signin_records(server, name)
    _common(r, server)
    assert r["eventName"] == "ConsoleLogin"
    assert r["eventType"] == "AwsConsoleSignIn"
    assert r["responseElements"] == {"ConsoleLogin": "Success"}
    assert r["requestParameters"] is None
    assert r["additionalEventData"]["MFAUsed"] == "No"
    assert r["additionalEventData"]["MobileVersion"] == "No"
    # Where the sign-in landed, as an absolute URL (AWS: https://console.aws.amazon.com/console/home?...)
    port = server.endpoint.rsplit(":", 1)[1]
    assert r["additionalEventData"]["LoginTo"] == f"http://localhost:{port}/console/home"
    assert r["userIdentity"]["arn"] == f"arn:aws:iam::{server.account_id}:user/{name}"
    assert r["userIdentity"]["type"] == "IAMUser" and r["userIdentity"]["accessKeyId"] == ""
    assert "errorMessage" not in r


def test_console_login_failure_and_unknown_user(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    wrong = "Wr0ng-" + unique("guess")
    sign_in(browser_for(), server.account_id, name, wrong)
    (r,) = _signin_records(server, name)
    assert r["responseElements"] == {"ConsoleLogin": "Failure"}
    assert r["errorMessage"] == "Failed authentication"
    assert "arn" not in r["userIdentity"] and r["userIdentity"]["accessKeyId"] == ""
    assert wrong not in json.dumps(r)
    nobody = unique("nobody")
    sign_in(browser_for(), server.account_id, nobody, wrong)
    hidden = [
        r
        for r in records(server, "EventName", "ConsoleLogin")
        if r["userIdentity"]["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    ]
    assert hidden and hidden[0]["errorMessage"] == "No username found in supplied account"
    assert not any(nobody in json.dumps(r) for r in hidden)
    unlock(server, name)


def test_console_login_with_mfa(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    serial, otp = add_mfa(server, name)
    b = browser_for()
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/signin/mfa"
    assert b.submit("/signin/mfa", mfa_code="000000").path == "/signin/mfa"
    code = fresh_code(otp)
    assert b.submit("/signin/mfa", mfa_code=code).path == "/console"
    recs = _signin_records(server, name)
    failed = _one(recs, eventName="CheckMfa", responseElements={"CheckMfa": "Failure"})
    assert failed["additionalEventData"] == {"MfaType": "Virtual MFA"}
    _one(recs, eventName="CheckMfa", responseElements={"CheckMfa": "Success"})
    login = _one(recs, eventName="ConsoleLogin")
    assert login["responseElements"] == {"ConsoleLogin": "Success"}
    assert login["additionalEventData"]["MFAUsed"] == "Yes"
    assert login["additionalEventData"]["MFAIdentifier"] == serial
    assert code not in json.dumps(recs)
    unlock(server, name)


def test_root_console_login(server: RunningServer, browser_for: Any) -> None:
    b = browser_for()
    b.get("/signin?type=root")
    page = b.submit("/signin", root_email="root@example.com", password=ROOT_PASSWORD)
    assert page.path == "/console"
    r = records(server, "Username", "root")[0]
    assert r["eventName"] == "ConsoleLogin"
    assert r["userIdentity"] == {
        "type": "Root",
        "principalId": server.account_id,
        "arn": f"arn:aws:iam::{server.account_id}:root",
        "accountId": server.account_id,
        "accessKeyId": "",
    }
    assert ROOT_PASSWORD not in json.dumps(r)


def test_lockout_and_unlock_are_recorded(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    for _ in range(5):
        sign_in(browser_for(), server.account_id, name, "Wr0ng-password!")
    recs = _signin_records(server, name)
    assert len([r for r in recs if r["eventName"] == "ConsoleLogin"]) == 5
    locked = _one(recs, eventName="ConsoleLoginLockout")
    assert locked["eventType"] == "AwsServiceEvent"
    assert locked["serviceEventDetails"]["ConsoleLoginLockout"] == "Locked"
    assert locked["additionalEventData"] == {"FailedAttempts": 5}
    unlock(server, name)
    unlocked = _one(_signin_records(server, name), eventName="ConsoleLoginUnlock")
    assert unlocked["eventType"] == "AwsServiceEvent"
    assert unlocked["additionalEventData"]["UnlockedBy"] == "gatehold users unlock (operator)"


def test_password_change_at_sign_in(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server, reset=True)
    allow_change_password(server, name)
    b = browser_for()
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/signin/new-password"
    new = "N3w-" + unique("Passw0rd!")
    page = b.submit(
        "/signin/new-password", old_password=PASSWORD, new_password=new, retype_password=new
    )
    assert page.path == "/console"
    recs = records(server, "Username", name)
    _one(recs, eventName="ConsoleLogin", responseElements={"ConsoleLogin": "Success"})
    change = _one(recs, eventName="ChangePassword")
    assert change["eventSource"] == "iam.amazonaws.com"
    assert change["userAgent"] == "AWS Internal"
    assert change["sessionCredentialFromConsole"] == "true"
    assert change["requestParameters"] is None and "errorCode" not in change
    assert PASSWORD not in json.dumps(recs) and new not in json.dumps(recs)


def test_console_made_calls_are_recorded_as_the_console_logs_them(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    b = browser_for()
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/console"
    assert b.get("/console/credentials").status == 200  # lists the user's MFA devices
    (r,) = wait_for(server, "Username", name, lambda r: r["eventName"] == "ListMFADevices")
    _common(r, server)
    assert r["eventSource"] == "iam.amazonaws.com" and r["eventType"] == "AwsApiCall"
    assert r["userAgent"] == "AWS Internal"
    assert r["sessionCredentialFromConsole"] == "true"
    assert r["userIdentity"]["userName"] == name
    assert r["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"


# ---- a clean shutdown loses no record -------------------------------------------------


def test_reads_survive_a_clean_shutdown(tmp_path: Path, second_database_url: str | None) -> None:
    init = run_init(tmp_path, second_database_url)
    with serve(tmp_path, second_database_url) as (endpoint, port, log_path):
        running = RunningServer(endpoint, port, tmp_path, second_database_url, init, log_path)
        name = unique("last-words")
        iam = running.client("iam")
        iam.create_user(UserName=name)
        for _ in range(3):
            iam.get_user(UserName=name)
        # serve() stops the server (SIGTERM) at once, well inside the batcher's second.
    with serve(tmp_path, second_database_url) as (endpoint, port, log_path):
        running = RunningServer(endpoint, port, tmp_path, second_database_url, init, log_path)
        gets = [r for r in records(running, "ResourceName", name) if r["eventName"] == "GetUser"]
        assert len(gets) == 3
