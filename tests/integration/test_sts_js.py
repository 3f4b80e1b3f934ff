"""AssumeRole through the AWS SDK for JavaScript v3 (issue 5, real clients): an
independent STS client parses our AssumeRole answer and signs with the session token."""

from __future__ import annotations

import json
import uuid

from tests.support.aws import role_trusting_admin
from tests.support.clients import run_node
from tests.support.servers import RunningServer


def test_js_sdk_assume_role_then_get_caller_identity(server: RunningServer) -> None:
    role = role_trusting_admin(server)
    key, secret = server.admin_keys
    out = run_node("assume_role.mjs", server.endpoint, key, secret, role["Arn"], "js-session")
    assert "error" not in out, out
    expected = f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/js-session"
    assert out["assumed"]["Arn"] == expected
    assert out["assumed"]["AssumedRoleId"] == f"{role['RoleId']}:js-session"
    assert out["assumed"]["AccessKeyId"].startswith("ASIA")
    assert out["assumed"]["Expiration"]
    assert out["identity"] == {
        "Account": server.account_id,
        "Arn": expected,
        "UserId": f"{role['RoleId']}:js-session",
    }


def test_js_sdk_assume_role_refused_without_trust(server: RunningServer) -> None:
    iam = server.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(
        RoleName=f"js-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    key, secret = server.admin_keys
    out = run_node("assume_role.mjs", server.endpoint, key, secret, role["Arn"], "js-session")
    admin_arn = server.client("sts").get_caller_identity()["Arn"]
    assert out["error"]["name"] == "AccessDenied"
    assert out["error"]["status"] == 403
    assert out["error"]["message"] == (
        f"User: {admin_arn} is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}"
    )
