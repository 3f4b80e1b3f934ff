"""Action, NotAction, Resource, NotResource and Principal matching; variables in resources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatehold.policy import PolicyKind, PolicyRef, Request, evaluate, parse_policy
from gatehold.policy.matching import role_arn_of

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


def outcome(stmts: list[dict[str, Any]], action: str, resource: str = "*", **req: Any) -> str:
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": stmts}))
    ctx = {k: (v,) for k, v in req.pop("context", {}).items()}
    request = Request(action, resource, ctx, **req)
    return evaluate(request, identity=[PolicyRef(policy, "p", "user")]).outcome


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# --- actions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:GetObject", "s3:GetObjectAcl", False),  # no prefix matching
        ("IAM:listaccesskeys", "iam:ListAccessKeys", True),  # case-insensitive
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*Object", "s3:PutObject", True),
        ("iam:*AccessKey*", "iam:ListAccessKeys", True),
        ("s3:GetObjec?", "s3:GetObject", True),
        ("s3:GetObjec?", "s3:GetObjectAcl", False),
        ("s3:*", "sqs:SendMessage", False),
        ("*", "sqs:SendMessage", True),
        ("*:SendMessage", "sqs:SendMessage", True),
        ("s*:SendMessage", "sqs:SendMessage", True),
    ],
)
def test_action_patterns(pattern: str, action: str, expected: bool) -> None:
    assert (outcome([allow(pattern)], action) == "allowed") is expected


def test_action_lists_are_ored() -> None:
    assert outcome([allow(["s3:PutObject", "s3:GetObject"])], "s3:GetObject") == "allowed"


def test_not_action_with_allow_gives_no_allow_for_the_listed_actions() -> None:
    stmt = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert outcome([stmt], "s3:GetObject") == "allowed"
    assert outcome([stmt], "iam:CreateUser") == "implicitDeny"  # implicit, not explicit
    assert outcome([{**stmt, "NotAction": "S3:DELETE*"}], "s3:DeleteObject") == "implicitDeny"


def test_not_action_with_deny_denies_everything_else() -> None:
    deny = {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}
    assert outcome([allow(), deny], "iam:CreateUser") == "allowed"
    assert outcome([allow(), deny], "s3:GetObject") == "explicitDeny"


def test_not_action_is_still_scoped_by_resource() -> None:
    stmt = {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "arn:aws:s3:::bucket/*"}
    assert outcome([stmt], "s3:GetObject", "arn:aws:s3:::other/x") == "implicitDeny"
    assert outcome([stmt], "s3:GetObject", "arn:aws:s3:::bucket/x") == "allowed"


# --- resources --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.txt", True),  # * crosses "/"
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket/report?.txt", "arn:aws:s3:::bucket/report1.txt", True),
        ("arn:aws:s3:::bucket/report?.txt", "arn:aws:s3:::bucket/report12.txt", False),
        ("arn:aws:s3:::BUCKET/*", "arn:aws:s3:::bucket/x", False),  # case-sensitive
        ("arn:aws:dynamodb:*:123456789012:table/Books",
         "arn:aws:dynamodb:us-east-1:210987654321:table/Books", False),
        ("arn:aws:sqs:us-east-1:123456789012:queue-*",
         "arn:aws:sqs:us-east-1:123456789012:queue-orders", True),
        ("arn:aws:logs:*", "arn:aws:logs:us-east-1:123456789012:log-group:a:*", True),
        ("*", "anything", True),
    ],
)  # fmt: skip
def test_resource_patterns(pattern: str, resource: str, expected: bool) -> None:
    assert (outcome([allow("*", pattern)], "s3:GetObject", resource) == "allowed") is expected


def test_not_resource() -> None:
    stmt = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert outcome([stmt], "s3:GetObject", "arn:aws:s3:::secret/x") == "implicitDeny"
    assert outcome([stmt], "s3:ListBucket", "arn:aws:s3:::secret") == "allowed"
    deny = {"Effect": "Deny", "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::safe", "arn:aws:s3:::safe/*"]}  # fmt: skip
    assert outcome([allow(), deny], "s3:GetObject", "arn:aws:s3:::safe/x") == "allowed"
    assert outcome([allow(), deny], "s3:GetObject", "arn:aws:s3:::other/x") == "explicitDeny"


def test_variables_in_resources() -> None:
    home = allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*")
    ctx = {"aws:username": "alice"}
    assert outcome([home], "s3:GetObject", "arn:aws:s3:::bucket/home/alice/x", context=ctx) == (
        "allowed"
    )
    assert outcome([home], "s3:GetObject", "arn:aws:s3:::bucket/home/bob/x", context=ctx) == (
        "implicitDeny"
    )
    # Absent key: the entry cannot match.
    assert outcome([home], "s3:GetObject", "arn:aws:s3:::bucket/home/alice/x") == "implicitDeny"


def test_variable_values_are_literal_in_resources() -> None:
    home = allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}")
    evil = {"aws:username": "*"}
    assert outcome([home], "s3:GetObject", "arn:aws:s3:::bucket/home/bob", context=evil) == (
        "implicitDeny"
    )


def test_resource_variable_default() -> None:
    team = allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team, 'company-wide'}/*")
    assert outcome([team], "s3:GetObject", "arn:aws:s3:::b/company-wide/x") == "allowed"
    assert (
        outcome(
            [team],
            "s3:GetObject",
            "arn:aws:s3:::b/company-wide/x",
            context={"aws:PrincipalTag/team": "blue"},
        )
        == "implicitDeny"
    )


def test_not_resource_with_only_unresolved_variables_does_not_apply() -> None:
    deny = {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::home/${aws:username}/*"}
    assert outcome([allow(), deny], "s3:GetObject", "arn:aws:s3:::other") == "allowed"
    assert (
        outcome(
            [allow(), deny], "s3:GetObject", "arn:aws:s3:::other", context={"aws:username": "alice"}
        )
        == "explicitDeny"
    )


def test_resource_variables_are_literal_under_2008() -> None:
    stmt = allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}")
    policy = parse_policy(json.dumps({"Version": "2008-10-17", "Statement": [stmt]}))
    request = Request("s3:GetObject", "arn:aws:s3:::b/${aws:username}", {"aws:username": ("a",)})
    assert evaluate(request, identity=[PolicyRef(policy, "p", "user")]).allowed


# --- principals -------------------------------------------------------------------


def _resource_outcome(principal: Any, caller: str, *, not_principal: bool = False) -> str:
    key = "NotPrincipal" if not_principal else "Principal"
    stmts = [{"Effect": "Deny" if not_principal else "Allow", key: principal,
              "Action": "s3:GetObject", "Resource": "*"}]  # fmt: skip
    if not_principal:
        stmts.append({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": stmts}),
                          kind=PolicyKind.RESOURCE)  # fmt: skip
    account = caller.split(":")[4] if caller.startswith("arn:") else None
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", {}, caller, account, ACCOUNT)
    return evaluate(request, resource=PolicyRef(policy, "bucket", "resource")).outcome


@pytest.mark.parametrize(
    ("principal", "caller", "expected"),
    [
        ("*", ALICE, "allowed"),
        ({"AWS": "*"}, ALICE, "allowed"),
        ({"AWS": ALICE}, ALICE, "allowed"),
        ({"AWS": [f"arn:aws:iam::{ACCOUNT}:user/bob", ALICE]}, ALICE, "allowed"),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, ALICE, "implicitDeny"),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/*"}, ALICE, "implicitDeny"),  # no partial wildcards
        # Naming the account delegates to the account's own IAM policies (none here).
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ALICE, "implicitDeny"),
        ({"AWS": ACCOUNT}, ALICE, "implicitDeny"),
        ({"Service": "ec2.amazonaws.com"}, "ec2.amazonaws.com", "allowed"),
    ],
)
def test_principal_matching(principal: Any, caller: str, expected: str) -> None:
    assert _resource_outcome(principal, caller) == expected


def test_not_principal_deny_spares_only_the_listed_chain() -> None:
    listed = {"AWS": [ALICE, f"arn:aws:iam::{ACCOUNT}:root"]}
    assert _resource_outcome(listed, ALICE, not_principal=True) == "allowed"
    assert _resource_outcome(listed, f"arn:aws:iam::{ACCOUNT}:user/bob", not_principal=True) == (
        "explicitDeny"
    )
    # NotPrincipal page: list the account too, or the account check may deny first.
    assert _resource_outcome({"AWS": ALICE}, ALICE, not_principal=True) == "explicitDeny"


def test_role_arn_of_a_session() -> None:
    session = Request("s3:GetObject", "*", {}, f"arn:aws:sts::{ACCOUNT}:assumed-role/Dev/s1")
    assert role_arn_of(session) == f"arn:aws:iam::{ACCOUNT}:role/Dev"
    with_path = Request("s3:GetObject", "*", {}, session.principal_arn,
                        role_arn=f"arn:aws:iam::{ACCOUNT}:role/team/Dev")  # fmt: skip
    assert role_arn_of(with_path) == f"arn:aws:iam::{ACCOUNT}:role/team/Dev"
    assert role_arn_of(Request("s3:GetObject", "*", {}, ALICE)) is None
