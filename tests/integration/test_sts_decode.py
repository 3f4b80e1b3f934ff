"""Encoded authorization failure messages and sts:DecodeAuthorizationMessage, through boto3,
on a server whose operator turned on `encode_authorization_messages`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, session_client, unique
from tests.support.clients import run_aws
from tests.support.servers import RunningServer, start_server

MARKER = " Encoded authorization failure message: "

DEV_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:List*", "iam:Get*"], "Resource": "*"},
        {
            "Sid": "NoNewUsers",
            "Effect": "Deny",
            "Action": "iam:CreateUser",
            "Resource": "*",
            "Condition": {"StringLike": {"aws:username": "*"}},
        },
    ],
}
CAN_DECODE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:DecodeAuthorizationMessage", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("gatehold-data")
    env = {"GATEHOLD_ENCODE_AUTHORIZATION_MESSAGES": "1"}
    with start_server(data_dir, module_database_url, extra_env=env) as running:
        yield running


def new_user(iam: Any, policy: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, str]]:
    user = iam.create_user(UserName=unique("dev"))["User"]
    iam.put_user_policy(
        UserName=user["UserName"], PolicyName="p", PolicyDocument=json.dumps(policy)
    )
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    return user, (key["AccessKeyId"], key["SecretAccessKey"])


def denied(call: Any, **kw: Any) -> tuple[str, str]:
    """(AWS's text, the encoded blob) of a call that must be denied."""
    with pytest.raises(ClientError) as exc:
        call(**kw)
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert MARKER in message, message
    text, blob = message.split(MARKER)
    assert blob and all(c.isalnum() or c in "-_" for c in blob)  # one shell-safe token
    return text, blob


def decoded(sts: Any, blob: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        sts.decode_authorization_message(EncodedMessage=blob)["DecodedMessage"]
    )
    return doc


def test_an_explicit_deny_decodes_into_awss_document(server: RunningServer, iam: Any) -> None:
    dev, keys = new_user(iam, DEV_POLICY)
    target = unique("x")
    text, blob = denied(server.client("iam", keys=keys).create_user, UserName=target)
    acct = server.account_id
    resource = f"arn:aws:iam::{acct}:user/{target}"
    # The AWS text itself is unchanged; the blob follows it, as EC2's does.
    assert text == (
        f"User: {dev['Arn']} is not authorized to perform: iam:CreateUser on "
        f"resource: {resource} with an explicit deny in an identity-based policy"
    )
    assert "NoNewUsers" not in blob and dev["UserName"] not in blob  # opaque

    doc = decoded(server.client("sts"), blob)  # the admin is allowed everything
    assert doc["allowed"] is False and doc["explicitDeny"] is True
    assert doc["failures"] == {"items": []}
    assert doc["matchedStatements"]["items"] == [
        {
            "statementId": "NoNewUsers",
            "effect": "DENY",
            "principals": {"items": [{"value": dev["UserId"]}]},
            "principalGroups": {"items": []},
            "actions": {"items": [{"value": "iam:CreateUser"}]},
            "resources": {"items": [{"value": "*"}]},
            "conditions": {
                "items": [{"key": "aws:username", "values": {"items": [{"value": "*"}]}}]
            },
        }
    ]
    context = doc["context"]
    assert context["principal"] == {"id": dev["UserId"], "name": dev["UserName"], "arn": dev["Arn"]}
    assert (context["action"], context["resource"]) == ("iam:CreateUser", resource)
    keys_seen = {
        c["key"]: [v["value"] for v in c["values"]["items"]] for c in context["conditions"]["items"]
    }
    assert keys_seen["aws:username"] == [dev["UserName"]]
    assert keys_seen["aws:PrincipalArn"] == [dev["Arn"]]
    assert keys_seen["aws:RequestedRegion"] == ["us-east-1"]
    # The refused call changed nothing.
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=target)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_an_implicit_deny_names_no_statement(server: RunningServer, iam: Any) -> None:
    _, keys = new_user(iam, DEV_POLICY)
    text, blob = denied(server.client("iam", keys=keys).delete_role, RoleName="nope")
    assert text.endswith("because no identity-based policy allows the iam:DeleteRole action")
    doc = decoded(server.client("sts"), blob)
    assert (doc["allowed"], doc["explicitDeny"]) == (False, False)
    assert doc["matchedStatements"] == {"items": []}
    assert doc["context"]["action"] == "iam:DeleteRole"
    assert doc["context"]["resource"] == f"arn:aws:iam::{server.account_id}:role/nope"


def test_only_a_caller_allowed_the_action_decodes(server: RunningServer, iam: Any) -> None:
    dev, keys = new_user(iam, DEV_POLICY)
    _, blob = denied(server.client("iam", keys=keys).create_user, UserName=unique("x"))
    # The denied user may not read the details of its own denial.
    text, _ = denied(
        server.client("sts", keys=keys).decode_authorization_message, EncodedMessage=blob
    )
    assert text == (
        f"User: {dev['Arn']} is not authorized to perform: "
        "sts:DecodeAuthorizationMessage on resource: * because no identity-based "
        "policy allows the sts:DecodeAuthorizationMessage action"
    )
    # A user granted sts:DecodeAuthorizationMessage may.
    _, reader_keys = new_user(iam, CAN_DECODE)
    assert (
        decoded(server.client("sts", keys=reader_keys), blob)["context"]["principal"]["arn"]
        == dev["Arn"]
    )


def test_a_tampered_or_foreign_message_is_invalid(server: RunningServer, iam: Any) -> None:
    _, keys = new_user(iam, DEV_POLICY)
    _, blob = denied(server.client("iam", keys=keys).create_user, UserName=unique("x"))
    sts = server.client("sts")
    middle = len(blob) // 2
    flipped = blob[:middle] + ("A" if blob[middle] != "A" else "B") + blob[middle + 1 :]
    for bad in (flipped, blob[:-4], blob + "AAAA", "not-a-message", "QUJD\nREVG"):
        with pytest.raises(ClientError) as exc:
            sts.decode_authorization_message(EncodedMessage=bad)
        assert error_of(exc) == (
            "InvalidAuthorizationMessageException",
            "The message is invalid.",
            400,
        ), bad
    assert decoded(sts, blob)["explicitDeny"] is True  # the untouched blob still decodes


def test_an_assume_role_denial_and_a_role_session_decoding(server: RunningServer, iam: Any) -> None:
    dev, keys = new_user(iam, DEV_POLICY)
    admin_arn = server.client("sts").get_caller_identity()["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=unique("reader"), AssumeRolePolicyDocument=json.dumps(trust))
    role = role["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps(CAN_DECODE)
    )
    text, blob = denied(
        server.client("sts", keys=keys).assume_role, RoleArn=role["Arn"], RoleSessionName="s1"
    )
    # AssumeRole's own AWS text, which names no reason.
    assert text == (
        f"User: {dev['Arn']} is not authorized to perform: sts:AssumeRole "
        f"on resource: {role['Arn']}"
    )
    creds = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="ops")
    doc = decoded(session_client(server, "sts", creds["Credentials"]), blob)
    assert doc["explicitDeny"] is False
    assert (doc["context"]["action"], doc["context"]["resource"]) == ("sts:AssumeRole", role["Arn"])
    assert doc["context"]["principal"]["arn"] == dev["Arn"]


def test_the_aws_cli_shows_and_decodes_the_message(server: RunningServer, iam: Any) -> None:
    dev, keys = new_user(iam, DEV_POLICY)
    admin = server.admin_keys
    env = {
        "AWS_ACCESS_KEY_ID": keys[0],
        "AWS_SECRET_ACCESS_KEY": keys[1],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
    }
    out = run_aws(
        ["--endpoint-url", server.endpoint, "iam", "create-user", "--user-name", unique("x")], env
    )
    assert out.returncode != 0 and "(AccessDenied)" in out.stderr
    blob = out.stderr.split(MARKER)[1].split()[0]  # what a user copies from the terminal
    env = {**env, "AWS_ACCESS_KEY_ID": admin[0], "AWS_SECRET_ACCESS_KEY": admin[1]}
    out = run_aws(
        [
            "--endpoint-url",
            server.endpoint,
            "sts",
            "decode-authorization-message",
            "--encoded-message",
            blob,
            "--output",
            "json",
        ],
        env,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(json.loads(out.stdout)["DecodedMessage"])
    assert doc["explicitDeny"] is True and doc["context"]["principal"]["arn"] == dev["Arn"]
