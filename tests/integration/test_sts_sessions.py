"""GetSessionToken (with MFA), GetFederationToken, GetAccessKeyInfo, and what temporary
credentials are refused for: tampered, expired, or not matching their key id."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gatehold import ids
from gatehold.auth import session_tokens
from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.store.secretbox import SecretBox, load_or_create_key
from tests.support.aws import enable_mfa, error_of, session_client, unique
from tests.support.seed import add_root_key
from tests.support.servers import RunningServer

MFA_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "iam:ListUsers",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Effect": "Allow",
            "Action": "iam:ListGroups",
            "Resource": "*",
            "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}},
        },
    ],
}


def new_user(iam: Any, policy: dict[str, Any] | None = None) -> tuple[str, tuple[str, str]]:
    name = unique("u")
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, (key["AccessKeyId"], key["SecretAccessKey"])


def test_mfa_session_passes_an_mfa_condition_the_plain_keys_fail(
    server: RunningServer, iam: Any
) -> None:
    name, keys = new_user(iam, MFA_POLICY)
    serial, app = enable_mfa(iam, name)
    sts = server.client("sts", keys=keys)
    code = app.at(time.time() + 30)  # the next step: enabling used this one
    answer = sts.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=900)
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    remaining = creds["Expiration"] - datetime.now(UTC)
    assert timedelta(seconds=880) < remaining <= timedelta(seconds=901)

    users = session_client(server, "iam", creds).list_users()["Users"]
    assert name in {u["UserName"] for u in users}
    session_client(server, "iam", creds).list_groups()  # aws:MultiFactorAuthAge < 300
    ident = session_client(server, "sts", creds).get_caller_identity()
    assert ident["Arn"].endswith(f":user/{name}")

    with pytest.raises(ClientError) as exc:
        server.client("iam", keys=keys).list_users()
    code_, message, status = error_of(exc)
    assert (code_, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::{server.account_id}:user/{name} is not authorized to perform: "
        "iam:ListUsers on resource: * "
        "because no identity-based policy allows the iam:ListUsers action"
    )

    # Plain keys have no MFA age at all: denied by the condition.
    with pytest.raises(ClientError) as exc:
        server.client("iam", keys=keys).list_groups()
    assert error_of(exc)[0] == "AccessDenied"
    # A GetSessionToken session without MFA may not call IAM at all (AWS's rule for
    # GetSessionToken credentials), whatever the policies say.
    plain = sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError) as exc:
        session_client(server, "iam", plain).list_users()
    assert error_of(exc)[0] == "InvalidClientTokenId"

    # The same code again is refused (single use), and nothing is issued.
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode=code)
    assert error_of(exc) == (
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        403,
    )


def test_wrong_code_and_foreign_device_are_refused(server: RunningServer, iam: Any) -> None:
    name, keys = new_user(iam)
    serial, app = enable_mfa(iam, name)
    sts = server.client("sts", keys=keys)
    wrong = "000000" if app.now() != "000000" else "111111"
    for kw in (
        {"SerialNumber": serial, "TokenCode": wrong},
        {"SerialNumber": serial + "x", "TokenCode": app.now()},
    ):
        with pytest.raises(ClientError) as exc:
            sts.get_session_token(**kw)
        assert error_of(exc)[0] == "AccessDenied"
    _, other_keys = new_user(iam)
    with pytest.raises(ClientError) as exc:  # someone else's device
        server.client("sts", keys=other_keys).get_session_token(
            SerialNumber=serial, TokenCode=app.at(time.time() + 30)
        )
    assert error_of(exc)[0] == "AccessDenied"


def test_guessing_codes_blocks_the_device_for_a_while(server: RunningServer, iam: Any) -> None:
    # Stolen access keys must not get past MFA by guessing: after five wrong codes
    # in a row the device refuses even the right one (for 15 minutes).
    name, keys = new_user(iam)
    serial, app = enable_mfa(iam, name)
    sts = server.client("sts", keys=keys)
    right = app.at(time.time() + 30)
    wrong = [
        c
        for c in ("000000", "111111", "222222", "333333", "444444", "555555", "666666")
        if c not in {app.at(time.time() + d) for d in (-30, 0, 30, 60)}
    ][:5]
    for code in wrong:
        with pytest.raises(ClientError) as exc:
            sts.get_session_token(SerialNumber=serial, TokenCode=code)
        assert error_of(exc)[0] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode=right)
    assert error_of(exc)[0] == "AccessDenied"


def test_session_credentials_cannot_get_more_sessions(server: RunningServer, iam: Any) -> None:
    _, keys = new_user(
        iam,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}],
        },
    )
    creds = server.client("sts", keys=keys).get_session_token()["Credentials"]
    sts = session_client(server, "sts", creds)
    with pytest.raises(ClientError) as exc:
        sts.get_session_token()
    assert error_of(exc) == (
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
        403,
    )
    with pytest.raises(ClientError) as exc:
        sts.get_federation_token(Name="fed")
    assert error_of(exc) == (
        "AccessDenied",
        "Cannot call GetFederationToken with session credentials",
        403,
    )


def test_root_sessions_last_at_most_an_hour(server: RunningServer) -> None:
    sts = server.client("sts", keys=add_root_key(server))
    creds = sts.get_session_token(DurationSeconds=129600)["Credentials"]
    assert creds["Expiration"] - datetime.now(UTC) <= timedelta(seconds=3601)
    ident = session_client(server, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{server.account_id}:root"


def test_tampered_mismatched_and_expired_tokens(server: RunningServer, iam: Any) -> None:
    _, keys = new_user(iam)
    creds = server.client("sts", keys=keys).get_session_token()["Credentials"]
    token = creds["SessionToken"]
    tampered = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    invalid = (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    for bad in (
        {**creds, "SessionToken": tampered},
        {**creds, "AccessKeyId": ids.new_access_key_id(server.account_id, "ASIA")},
    ):
        with pytest.raises(ClientError) as exc:
            session_client(server, "sts", bad).get_caller_identity()
        assert error_of(exc) == invalid
    import boto3  # an ASIA key without its token

    no_token = boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
    )
    with pytest.raises(ClientError) as exc:
        no_token.get_caller_identity()
    assert error_of(exc) == invalid

    # An expired token, sealed with the server's own key as the server would have.
    box = SecretBox(load_or_create_key(server.data_dir, create=False))
    past = datetime.now(UTC) - timedelta(hours=2)
    key_id = ids.new_access_key_id(server.account_id, "ASIA")
    principal = Principal(
        PrincipalKind.ROOT,
        server.account_id,
        f"arn:aws:iam::{server.account_id}:root",
        server.account_id,
        access_key_id=key_id,
        session=SessionFacts(issued_at=past, expires_at=past + timedelta(hours=1)),
    )
    old = session_tokens.seal(box, session_tokens.Session(key_id, "s" * 40, principal))
    with pytest.raises(ClientError) as exc:
        session_client(
            server, "sts", {"AccessKeyId": key_id, "SecretAccessKey": "s" * 40, "SessionToken": old}
        ).get_caller_identity()
    assert error_of(exc) == (
        "ExpiredToken",
        "The security token included in the request is expired",
        403,
    )


def test_access_key_info_reads_the_account_from_the_key(server: RunningServer, iam: Any) -> None:
    sts = server.client("sts")
    assert sts.get_access_key_info(AccessKeyId=server.admin_keys[0])["Account"] == server.account_id
    other = ids.new_access_key_id("123456789012", "ASIA")
    assert sts.get_access_key_info(AccessKeyId=other)["Account"] == "123456789012"
    _, keys = new_user(iam)
    with pytest.raises(ClientError) as exc:
        server.client("sts", keys=keys).get_access_key_info(AccessKeyId=other)
    assert error_of(exc)[0] == "AccessDenied"


def test_federation_token_answers_and_is_limited_as_aws_limits_it(
    server: RunningServer, iam: Any
) -> None:
    allow_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:List*", "sts:*"], "Resource": "*"}],
    }
    _, keys = new_user(iam, allow_all)
    sts = server.client("sts", keys=keys)
    session_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:ListUsers", "sts:*"], "Resource": "*"}],
    }
    answer = sts.get_federation_token(
        Name="carol", Policy=json.dumps(session_policy), DurationSeconds=900
    )
    acct = server.account_id
    assert answer["FederatedUser"] == {
        "FederatedUserId": f"{acct}:carol",
        "Arn": f"arn:aws:sts::{acct}:federated-user/carol",
    }
    assert 0 < answer["PackedPolicySize"] <= 100
    ident = session_client(server, "sts", answer["Credentials"]).get_caller_identity()
    assert ident == {
        **ident,
        "Arn": f"arn:aws:sts::{acct}:federated-user/carol",
        "UserId": f"{acct}:carol",
    }
    # AWS: federation credentials call no IAM operation and no STS operation but
    # GetCallerIdentity, whatever both policies allow.
    with pytest.raises(ClientError) as exc:
        session_client(server, "iam", answer["Credentials"]).list_users()
    assert error_of(exc)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as exc:
        session_client(server, "sts", answer["Credentials"]).get_session_token()
    assert error_of(exc)[:2] == (
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
    )
