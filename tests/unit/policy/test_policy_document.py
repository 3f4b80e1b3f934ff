"""Parsing, validation (AWS's MalformedPolicyDocument texts), positions, keys, sizes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatehold.policy import MalformedPolicy, PolicyKind, Position, context_keys, parse_policy
from gatehold.policy.limits import (
    GROUP_INLINE,
    MANAGED_POLICY,
    ROLE_INLINE,
    USER_INLINE,
    inline_quota_message,
    managed_quota_message,
    policy_size,
    within,
)

V = "2012-10-17"
OK_STMT = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def doc(*stmts: Any, version: str | None = V, **extra: Any) -> str:
    body: dict[str, Any] = {"Statement": list(stmts) if len(stmts) != 1 else stmts[0]}
    if version is not None:
        body = {"Version": version, **body}
    return json.dumps({**body, **extra})


def reason(text: str, kind: PolicyKind = PolicyKind.IDENTITY) -> str:
    with pytest.raises(MalformedPolicy) as err:
        parse_policy(text, kind=kind)
    return err.value.reason


# --- accepted documents -----------------------------------------------------------


def test_statement_may_be_an_object_or_a_list() -> None:
    assert len(parse_policy(doc(OK_STMT)).statements) == 1
    assert len(parse_policy(doc(OK_STMT, {**OK_STMT, "Effect": "Deny"})).statements) == 2


def test_version_is_optional_and_2008_is_accepted_without_variables() -> None:
    # Version page: with no Version the policy is read as 2008-10-17, variables are literal.
    assert parse_policy(doc(OK_STMT, version=None)).variables_enabled is False
    assert parse_policy(doc(OK_STMT, version="2008-10-17")).variables_enabled is False
    assert parse_policy(doc(OK_STMT)).variables_enabled is True


def test_id_sid_and_condition_forms_are_accepted() -> None:
    policy = parse_policy(
        doc(
            {**OK_STMT, "Sid": "ReadReports", "Condition": {"NumericLessThan": {"k:n": 5},
                                                           "Bool": {"k:b": True}}},
            Id="policy-1",
        )
    )  # fmt: skip
    assert policy.id == "policy-1"
    assert policy.statements[0].sid == "ReadReports"
    assert [c.values for c in policy.statements[0].conditions] == [("5",), ("true",)]


def test_empty_condition_blocks_are_allowed() -> None:
    # moto's AWS-checked table accepts {"Condition": {}} and {"DateGreaterThan": {}}.
    parse_policy(doc({**OK_STMT, "Condition": {}}))
    parse_policy(doc({**OK_STMT, "Condition": {"DateGreaterThan": {}}}))


def test_resource_policy_with_principal_and_trust_policy_without_resource() -> None:
    parse_policy(doc({**OK_STMT, "Principal": "*"}), kind=PolicyKind.RESOURCE)
    trust = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
             "Action": "sts:AssumeRole"}  # fmt: skip
    assert parse_policy(doc(trust), kind=PolicyKind.TRUST).statements[0].resources is None


# --- AWS's error texts ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "This is not a json document",
        "{",
        "[]",
        doc(OK_STMT, version="2013-10-17"),
        json.dumps({"Version": V}),
        json.dumps({"Version": V, "Statement": []}),
        json.dumps({"Version": V, "Statement": ["afd"]}),
        doc(OK_STMT, **{"Extra field": "value"}),
        doc({**OK_STMT, "Extra field": "value"}),
        doc(OK_STMT, Id=["x"]),
        doc({**OK_STMT, "Effect": "invalid"}),
        doc({"Action": "s3:GetObject", "Resource": "*"}),
        doc({**OK_STMT, "NotAction": "s3:PutObject"}),
        doc({**OK_STMT, "NotResource": "*"}),
        doc({**OK_STMT, "Resource": {"a": "b"}}),
        doc({**OK_STMT, "Action": [["s3:GetObject"]]}),
        doc({**OK_STMT, "Sid": {}}),
        doc({**OK_STMT, "Condition": []}),
        doc({**OK_STMT, "Condition": {"a": "b"}}),
        doc({**OK_STMT, "Condition": {"x": {"a": "1"}}}),
        doc({**OK_STMT, "Condition": {"DateGreaterThan": {"a": {}}}}),
        doc({**OK_STMT, "Condition": {"ForAnyValue::StringEqualsIfExists": {"a": "b"}}}),
        doc({**OK_STMT, "Condition": {"NullIfExists": {"a": "true"}}}),
    ],
)
def test_syntax_errors(text: str) -> None:
    # "Syntax errors in policy." (moto test_iam_policies.py table, checked against AWS).
    assert reason(text) == "Syntax errors in policy."


@pytest.mark.parametrize(
    "stmt",
    [
        {**OK_STMT, "Effect": "allow"},
        {**OK_STMT, "Effect": "denY"},
        {**OK_STMT, "Condition": {"DateGreaterThan": {"aws:CurrentTime": "sdfdsf"}}},
        {**OK_STMT, "Condition": {"DateLessThan": {"a": "9223372036854775808"}}},
        {**OK_STMT, "Resource": "arn:aws:s3::example_bucket"},
        {**OK_STMT, "Resource": "arn:aws::::example_bucket"},
    ],
)
def test_legacy_parsing_failures(stmt: dict[str, Any]) -> None:
    assert reason(doc(stmt)) == "The policy failed legacy parsing"


def test_missing_actions_and_resources() -> None:
    assert reason(doc({"Effect": "Allow", "Resource": "*"})) == (
        "Policy statement must contain actions."
    )
    assert reason(doc({**OK_STMT, "Action": []})) == "Policy statement must contain actions."
    assert reason(doc({"Effect": "Allow", "Action": "s3:GetObject"})) == (
        "Policy statement must contain resources."
    )
    assert reason(doc({**OK_STMT, "Resource": []})) == "Policy statement must contain resources."


def test_action_format_messages() -> None:
    assert reason(doc({**OK_STMT, "Action": "invalid"})) == (
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    )
    assert reason(doc({**OK_STMT, "Action": "s3:List:Bucket"})) == (
        "Actions/Condition can contain only one colon."
    )
    assert reason(doc({**OK_STMT, "Action": "a a:ListBucket"})) == "Vendor a a is not valid"


def test_resource_format_messages() -> None:
    assert reason(doc({**OK_STMT, "Resource": "invalid resource"})) == (
        'Resource invalid resource must be in ARN format or "*".'
    )
    assert reason(doc({**OK_STMT, "Resource": ""})) == 'Resource  must be in ARN format or "*".'
    assert reason(doc({**OK_STMT, "Resource": "arn:aws"})) == (
        "Resource vendor must be fully qualified and cannot contain regexes."
    )
    assert reason(doc({**OK_STMT, "Resource": "a:bsdfdsafsad"})) == (
        'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".'
    )
    assert reason(doc({**OK_STMT, "Resource": "arn:aws:iam:us-east-1::user/x"})) == (
        "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information."
    )
    assert reason(doc({**OK_STMT, "Resource": "arn:aws:s3:us-east-1::bucket"})) == (
        "Resource arn:aws:s3:us-east-1::bucket can not contain region information."
    )
    assert reason(doc({**OK_STMT, "Resource": "arn:aws:iam:::example_bucket"})).startswith(
        'IAM resource path must either be "*" or start with user/, federated-user/, role/'
    )


def test_sid_rules() -> None:
    twice = [{**OK_STMT, "Sid": "A"}, {**OK_STMT, "Sid": "A"}]
    assert reason(doc(*twice)) == "Statement IDs (SID) in a single policy must be unique."
    assert reason(doc({**OK_STMT, "Sid": "has-dash"})).startswith(
        "Statement IDs (SID) must be alpha-numeric."
    )
    # Resource-based policies (bucket policies ...) take any Sid text.
    parse_policy(doc({**OK_STMT, "Sid": "has-dash", "Principal": "*"}), kind=PolicyKind.RESOURCE)


@pytest.mark.parametrize(
    "kind", [PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP]
)
def test_principal_is_prohibited_outside_resource_and_trust_policies(kind: PolicyKind) -> None:
    for element in ("Principal", "NotPrincipal"):
        text = doc({**OK_STMT, element: {"AWS": "arn:aws:iam::111122223333:root"}})
        assert reason(text, kind) == "Policy document should not specify a principal."


def test_trust_policy_rules() -> None:
    base = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    assert reason(doc(base), PolicyKind.TRUST) == "Missing required field Principal"
    assert reason(doc({**base, "Principal": "*", "Resource": "*"}), PolicyKind.TRUST) == (
        "Has prohibited field Resource"
    )
    assert reason(doc({**base, "NotPrincipal": {"AWS": "x"}}), PolicyKind.TRUST) == (
        "Has prohibited field NotPrincipal"
    )
    assert reason(doc({**base, "Principal": "*", "Action": "s3:GetObject"}), PolicyKind.TRUST)
    assert reason(doc(OK_STMT), PolicyKind.RESOURCE) == "Missing required field Principal"


def test_iam_policies_accept_only_latin1_characters() -> None:
    # Quotas page: tab, LF, CR and U+0020..U+00FF only; Latin-1 letters are fine.
    latin1 = doc({**OK_STMT, "Resource": "arn:aws:s3:::caf\u00e9"}).replace("\\u00e9", "\u00e9")
    parse_policy(latin1)
    text = doc({**OK_STMT, "Resource": "arn:aws:s3:::b/\u2603"}).replace("\\u2603", "\u2603")
    assert reason(text) == "Syntax errors in policy."
    parse_policy(text.replace("}", ', "Principal": "*"}', 1), kind=PolicyKind.RESOURCE)


# --- positions --------------------------------------------------------------------


def test_positions_are_one_based_and_inclusive_of_the_braces() -> None:
    # AWS CLI simulate-custom-policy example: Column 38..167 on one line for
    # '{"Version":"2012-10-17","Statement":[{...}]}' (the statement's braces).
    text = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*",'
        '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}]}'
    )
    stmt = parse_policy(text).statements[0]
    assert stmt.start == Position(1, 38)
    assert stmt.end == Position(1, 167)


def test_positions_on_several_lines() -> None:
    text = json.dumps({"Version": V, "Statement": [OK_STMT, {**OK_STMT, "Sid": "B"}]}, indent=4)
    first, second = parse_policy(text).statements
    lines = text.splitlines()
    assert lines[first.start.line - 1][first.start.column - 1] == "{"
    assert lines[first.end.line - 1][first.end.column - 1] == "}"
    assert (first.start.line, first.start.column) == (4, 9)
    assert second.start.line > first.end.line


# --- context keys and sizes -------------------------------------------------------


def test_context_keys_lists_condition_and_variable_keys_once() -> None:
    policy = parse_policy(
        doc(
            {**OK_STMT, "Resource": "arn:aws:s3:::b/${aws:username}/*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:userid}"},
                           "Bool": {"AWS:SecureTransport": "true"}}},
            {**OK_STMT, "Condition": {"BoolIfExists": {"aws:securetransport": "false"}}},
        )
    )  # fmt: skip
    assert context_keys(policy) == {
        "aws:username",
        "aws:PrincipalTag/team",
        "aws:userid",
        "AWS:SecureTransport",
    }


def test_variables_are_not_keys_under_2008() -> None:
    policy = parse_policy(doc({**OK_STMT, "Resource": "arn:aws:s3:::b/${aws:username}"},
                              version="2008-10-17"))  # fmt: skip
    assert context_keys(policy) == set()


def test_size_counts_non_white_space_characters() -> None:
    assert policy_size('{ "a" :\n\t"b c" }') == 10
    assert (MANAGED_POLICY, USER_INLINE, GROUP_INLINE, ROLE_INLINE) == (6144, 2048, 5120, 10240)
    padded = "{" + " " * 10000 + "}"
    assert within(padded, USER_INLINE)
    assert not within("x" * 2049, USER_INLINE)
    assert managed_quota_message() == "Cannot exceed quota for PolicySize: 6144"
    assert inline_quota_message("user", "alice", 2048) == (
        "Maximum policy size of 2048 bytes exceeded for user alice"
    )
