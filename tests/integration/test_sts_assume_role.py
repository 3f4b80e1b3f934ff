"""AssumeRole through boto3 and the AWS CLI: trust policies, durations, session policies,
tags, source identity, role chaining, and the "revoke active sessions" deny."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import enable_mfa, error_of, session_client, unique
from tests.support.clients import run_aws
from tests.support.servers import RunningServer

ADMIN_LIKE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:List*", "iam:Get*"], "Resource": "*"}],
}


def trust(
    principal: Any, condition: dict[str, Any] | None = None, actions: Any = "sts:AssumeRole"
) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions}
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def new_role(
    iam: Any, trust_doc: str, policy: dict[str, Any] | None = ADMIN_LIKE, **kw: Any
) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=unique("role"), AssumeRolePolicyDocument=trust_doc, **kw
    )["Role"]
    if policy:
        iam.put_role_policy(
            RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps(policy)
        )
    return role


def new_user(iam: Any, policy: dict[str, Any] | None = None) -> tuple[str, str, tuple[str, str]]:
    name = unique("u")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, arn, (key["AccessKeyId"], key["SecretAccessKey"])


def can_assume(resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Resource": resource,
            }
        ],
    }


def test_assume_role_answers_and_acts_as_the_role(server: RunningServer, iam: Any) -> None:
    _, user_arn, keys = new_user(iam)
    role = new_role(iam, trust(user_arn))  # names the user: no identity policy needed
    sts = server.client("sts", keys=keys)
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="alice", DurationSeconds=900)
    acct = server.account_id
    session_arn = f"arn:aws:sts::{acct}:assumed-role/{role['RoleName']}/alice"
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:alice",
        "Arn": session_arn,
    }
    assert "PackedPolicySize" not in answer
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert creds["Expiration"] - datetime.now(UTC) <= timedelta(seconds=901)
    ident = session_client(server, "sts", creds).get_caller_identity()
    assert ident["Arn"] == session_arn and ident["UserId"] == f"{role['RoleId']}:alice"
    role_iam = session_client(server, "iam", creds)
    role_iam.list_users()  # the role's policy
    with pytest.raises(ClientError) as exc:
        role_iam.create_user(UserName=unique("x"))
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {session_arn} is not authorized to perform: iam:CreateUser")
    # A role session is not a user: calls that act on "the caller" never reach root.
    powerful = new_role(
        iam,
        trust(user_arn),
        policy={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
        },
    )
    strong = session_client(
        server, "iam", sts.assume_role(RoleArn=powerful["Arn"], RoleSessionName="s1")["Credentials"]
    )
    for call in (strong.create_access_key, strong.list_access_keys, strong.get_user):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
            400,
        )
    assert iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 0
    last = iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]
    assert last["Region"] == "us-east-1" and "LastUsedDate" in last


def test_who_may_assume(server: RunningServer, iam: Any) -> None:
    acct = server.account_id
    _, plain_arn, plain = new_user(iam)
    _, _, allowed = new_user(iam, can_assume())
    account_trust = new_role(iam, trust(f"arn:aws:iam::{acct}:root"))
    # Trust naming the account: only a caller whose own policy allows may assume.
    server.client("sts", keys=allowed).assume_role(
        RoleArn=account_trust["Arn"], RoleSessionName="s1"
    )
    with pytest.raises(ClientError) as exc:
        server.client("sts", keys=plain).assume_role(
            RoleArn=account_trust["Arn"], RoleSessionName="s1"
        )
    assert error_of(exc) == (
        "AccessDenied",
        (
            f"User: {plain_arn} is not authorized to perform: sts:AssumeRole on resource: "
            f"{account_trust['Arn']}"
        ),
        403,
    )
    # Trust naming someone else: the caller's identity policy alone is not enough.
    other = new_role(iam, trust(plain_arn))
    with pytest.raises(ClientError) as exc:
        server.client("sts", keys=allowed).assume_role(RoleArn=other["Arn"], RoleSessionName="s1")
    assert error_of(exc)[0] == "AccessDenied"
    # A Deny in the caller's own policy wins over a trust policy naming it.
    iam.put_user_policy(
        UserName=plain_arn.rsplit("/", 1)[-1],
        PolicyName="no",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        ),
    )
    with pytest.raises(ClientError) as exc:
        server.client("sts", keys=plain).assume_role(RoleArn=other["Arn"], RoleSessionName="s1")
    assert error_of(exc)[0] == "AccessDenied"
    # A role that does not exist answers the same denial (nothing learnt).
    missing = f"arn:aws:iam::{acct}:role/{unique('nope')}"
    with pytest.raises(ClientError) as exc:
        server.client("sts", keys=plain).assume_role(RoleArn=missing, RoleSessionName="s1")
    assert error_of(exc)[0] == "AccessDenied" and missing in error_of(exc)[1]


def test_external_id_and_duration_limits(server: RunningServer, iam: Any) -> None:
    _, user_arn, keys = new_user(iam)
    role = new_role(
        iam, trust(user_arn, {"StringEquals": {"sts:ExternalId": "xyz"}}), MaxSessionDuration=7200
    )
    sts = server.client("sts", keys=keys)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert error_of(exc)[0] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="nope")
    assert error_of(exc)[0] == "AccessDenied"
    creds = sts.assume_role(
        RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="xyz", DurationSeconds=7200
    )["Credentials"]
    with pytest.raises(ClientError) as exc:
        sts.assume_role(
            RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="xyz", DurationSeconds=7201
        )
    assert error_of(exc) == (
        "ValidationError",
        ("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        400,
    )
    # Role chaining: at most one hour.
    chain_target = new_role(iam, trust(role["Arn"]))
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName="chain", PolicyDocument=json.dumps(can_assume())
    )
    chained = session_client(server, "sts", creds)
    with pytest.raises(ClientError) as exc:
        chained.assume_role(RoleArn=chain_target["Arn"], RoleSessionName="c1", DurationSeconds=3601)
    assert error_of(exc) == (
        "ValidationError",
        (
            "The requested DurationSeconds exceeds the 1 hour "
            "session limit for roles assumed by role chaining."
        ),
        400,
    )
    chained.assume_role(RoleArn=chain_target["Arn"], RoleSessionName="c1", DurationSeconds=3600)


def test_root_may_not_assume_roles(server: RunningServer, iam: Any) -> None:
    from tests.support.seed import add_root_key

    role = new_role(iam, trust(f"arn:aws:iam::{server.account_id}:root"))
    with pytest.raises(ClientError) as exc:
        server.client("sts", keys=add_root_key(server)).assume_role(
            RoleArn=role["Arn"], RoleSessionName="s1"
        )
    assert error_of(exc) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


def test_session_policy_intersects_the_role(server: RunningServer, iam: Any) -> None:
    _, user_arn, keys = new_user(iam)
    role = new_role(iam, trust(user_arn))
    narrow = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:CreateUser"], "Resource": "*"}
        ],
    }
    answer = server.client("sts", keys=keys).assume_role(
        RoleArn=role["Arn"], RoleSessionName="s1", Policy=json.dumps(narrow)
    )
    assert 0 < answer["PackedPolicySize"] <= 100
    role_iam = session_client(server, "iam", answer["Credentials"])
    role_iam.list_users()
    call: Callable[[], object]
    for call in (
        lambda: role_iam.list_groups(),
        lambda: role_iam.create_user(UserName=unique("x")),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "AccessDenied"
    # A managed policy as the session policy does the same.
    managed = iam.create_policy(PolicyName=unique("narrow"), PolicyDocument=json.dumps(narrow))[
        "Policy"
    ]["Arn"]
    by_arn = session_client(
        server,
        "iam",
        server.client("sts", keys=keys).assume_role(
            RoleArn=role["Arn"], RoleSessionName="s1", PolicyArns=[{"arn": managed}]
        )["Credentials"],
    )
    by_arn.list_users()
    with pytest.raises(ClientError) as exc:
        by_arn.list_groups()
    assert error_of(exc)[0] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        server.client("sts", keys=keys).assume_role(
            RoleArn=role["Arn"], RoleSessionName="s1", Policy='{"Version": "2012-10-17"'
        )
    assert error_of(exc)[0] == "MalformedPolicyDocument"


def test_tags_and_source_identity_stick_through_chaining(server: RunningServer, iam: Any) -> None:
    _, _, keys = new_user(iam, can_assume())
    acct = server.account_id
    actions = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    first = new_role(iam, trust(f"arn:aws:iam::{acct}:root", actions=actions), policy=can_assume())
    second = new_role(iam, trust(first["Arn"], actions=actions), policy=can_assume())
    # The third role trusts only sessions tagged team=blue with source identity alice.
    third = new_role(
        iam,
        trust(
            second["Arn"],
            {"StringEquals": {"aws:PrincipalTag/team": "blue", "sts:SourceIdentity": "alice"}},
            actions=actions,
        ),
    )

    def chain(**kw: Any) -> Any:
        answer = server.client("sts", keys=keys).assume_role(
            RoleArn=first["Arn"], RoleSessionName="s1", SourceIdentity="alice", **kw
        )
        assert answer["SourceIdentity"] == "alice"
        hop = session_client(server, "sts", answer["Credentials"]).assume_role(
            RoleArn=second["Arn"], RoleSessionName="s2"
        )
        assert hop["SourceIdentity"] == "alice"  # sticks without being passed again
        return session_client(server, "sts", hop["Credentials"]).assume_role(
            RoleArn=third["Arn"], RoleSessionName="s3"
        )

    tags = [{"Key": "team", "Value": "blue"}, {"Key": "x", "Value": "1"}]
    assert chain(Tags=tags, TransitiveTagKeys=["team"])["SourceIdentity"] == "alice"
    # The same tag, not transitive: it does not reach the second hop's session.
    with pytest.raises(ClientError) as exc:
        chain(Tags=tags)
    assert error_of(exc)[0] == "AccessDenied"
    with pytest.raises(ClientError) as exc:  # transitive keys must be among the tags
        server.client("sts", keys=keys).assume_role(
            RoleArn=first["Arn"], RoleSessionName="s1", Tags=tags, TransitiveTagKeys=["other"]
        )
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_mfa_condition_in_the_trust_policy(server: RunningServer, iam: Any) -> None:
    name, user_arn, keys = new_user(iam)
    role = new_role(iam, trust(user_arn, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    serial, app = enable_mfa(iam, name)
    sts = server.client("sts", keys=keys)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert error_of(exc)[0] == "AccessDenied"
    sts.assume_role(
        RoleArn=role["Arn"],
        RoleSessionName="s1",
        SerialNumber=serial,
        TokenCode=app.at(time.time() + 30),
    )


def test_revoking_active_sessions_with_token_issue_time(server: RunningServer, iam: Any) -> None:
    _, user_arn, keys = new_user(iam)
    role = new_role(iam, trust(user_arn))
    creds = server.client("sts", keys=keys).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")[
        "Credentials"
    ]
    role_iam = session_client(server, "iam", creds)
    role_iam.list_users()
    time.sleep(1.1)
    cutoff = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # AWS's "Revoke active sessions" policy, as the console writes it.
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": ["*"],
                        "Resource": ["*"],
                        "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
                    }
                ],
            }
        ),
    )
    with pytest.raises(ClientError) as exc:
        role_iam.list_users()
    assert error_of(exc)[0] == "AccessDenied"
    assert "with an explicit deny" in error_of(exc)[1]
    time.sleep(1.1)
    fresh = server.client("sts", keys=keys).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")[
        "Credentials"
    ]
    session_client(server, "iam", fresh).list_users()


def test_aws_cli_role_profile_and_assume_role(
    server: RunningServer, iam: Any, tmp_path: Path
) -> None:
    _, user_arn, keys = new_user(iam)
    role = new_role(iam, trust(user_arn))
    (tmp_path / "credentials").write_text(
        f"[base]\naws_access_key_id = {keys[0]}\naws_secret_access_key = {keys[1]}\n"
    )
    (tmp_path / "config").write_text(
        f"[profile base]\nregion = us-east-1\nendpoint_url = {server.endpoint}\n\n"
        f"[profile assumed]\nregion = us-east-1\nendpoint_url = {server.endpoint}\n"
        f"role_arn = {role['Arn']}\nsource_profile = base\nrole_session_name = cli\n"
    )
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    out = run_aws(["--profile", "assumed", "sts", "get-caller-identity", "--output", "json"], env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == (
        f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/cli"
    )
    out = run_aws(
        [
            "--profile",
            "base",
            "sts",
            "assume-role",
            "--role-arn",
            role["Arn"],
            "--role-session-name",
            "direct",
            "--output",
            "json",
        ],
        env,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/direct")
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_aws_cli_role_profile_with_mfa_prompt(
    server: RunningServer, iam: Any, tmp_path: Path
) -> None:
    import os
    import subprocess

    from tests.support.clients import aws_cli

    name, user_arn, keys = new_user(iam)
    role = new_role(iam, trust(user_arn, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    serial, app = enable_mfa(iam, name)
    (tmp_path / "credentials").write_text(
        f"[base]\naws_access_key_id = {keys[0]}\naws_secret_access_key = {keys[1]}\n"
    )
    (tmp_path / "config").write_text(
        f"[profile mfa]\nregion = us-east-1\nendpoint_url = {server.endpoint}\n"
        f"role_arn = {role['Arn']}\nsource_profile = base\nrole_session_name = cli\n"
        f"mfa_serial = {serial}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_CONFIG_FILE": str(tmp_path / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        }
    )
    # The CLI asks "Enter MFA code for ...:"; without a terminal it reads stdin.
    out = subprocess.run(
        [aws_cli(), "--profile", "mfa", "sts", "get-caller-identity", "--output", "json"],
        input=app.at(time.time() + 30) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        start_new_session=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"].endswith(f":assumed-role/{role['RoleName']}/cli")
