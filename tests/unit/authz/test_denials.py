"""Encoded authorization messages: AWS's document from a real decision, sealed so that only
the same account, untouched, opens it; always short enough to pass back to STS."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping

import pytest

from gatehold.authz import denials
from gatehold.context import Principal, PrincipalKind
from gatehold.errors import AwsError, PolicyDenial
from gatehold.policy import PolicyKind, PolicyRef, PolicySet, Request, evaluate, parse_policy
from gatehold.store.secretbox import SecretBox

ACCOUNT = "123456789012"
USER = Principal(
    kind=PrincipalKind.USER,
    account_id=ACCOUNT,
    user_id="AIDAEXAMPLE",
    arn=f"arn:aws:iam::{ACCOUNT}:user/dev",
    user_name="dev",
)
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {
                "Sid": "NoDeletes",
                "Effect": "Deny",
                "Action": ["s3:DeleteObject", "s3:DeleteBucket"],
                "Resource": "arn:aws:s3:::prod/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "Typed",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": "*",
                "Condition": {
                    "Bool": {"aws:SecureTransport": False},
                    "NumericLessThan": {"s3:max": [5, 6]},
                },
            },
        ],
    }
)


def _denial(action: str, resource: str, context: Mapping[str, tuple[str, ...]]) -> PolicyDenial:
    identity = PolicySet(
        [PolicyRef(parse_policy(POLICY, kind=PolicyKind.IDENTITY), "user/dev/p", "user")]
    )
    request = Request(
        action=action,
        resource=resource,
        context=context,
        principal_arn=USER.arn,
        principal_account=ACCOUNT,
    )
    decision = evaluate(request, identity=identity)
    assert decision.outcome != "allowed"
    return denials.denial("denied", decision, request, USER, identity, None)


def test_an_explicit_deny_names_its_statement_and_the_context() -> None:
    doc = _denial(
        "s3:DeleteObject",
        "arn:aws:s3:::prod/a",
        {"aws:SecureTransport": ("false",), "aws:username": ("dev",)},
    ).details()
    assert (doc["allowed"], doc["explicitDeny"]) == (False, True)
    [stmt] = doc["matchedStatements"]["items"]  # the Allow that matched too is not listed
    assert stmt["statementId"] == "NoDeletes" and stmt["effect"] == "DENY"
    assert stmt["principals"] == {"items": [{"value": "AIDAEXAMPLE"}]}
    assert stmt["actions"] == {
        "items": [{"value": "s3:DeleteObject"}, {"value": "s3:DeleteBucket"}]
    }
    assert stmt["conditions"] == {
        "items": [{"key": "aws:SecureTransport", "values": {"items": [{"value": "false"}]}}]
    }
    assert doc["context"]["principal"] == {"id": "AIDAEXAMPLE", "name": "dev", "arn": USER.arn}
    assert doc["context"]["conditions"]["items"][0] == {
        "key": "aws:SecureTransport",
        "values": {"items": [{"value": "false"}]},
    }


def test_json_booleans_and_numbers_read_as_policy_text() -> None:
    doc = _denial(
        "s3:PutObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": ("false",), "s3:max": ("1",)}
    ).details()
    [stmt] = doc["matchedStatements"]["items"]
    assert stmt["statementId"] == "Typed"
    assert stmt["conditions"]["items"] == [
        {"key": "aws:SecureTransport", "values": {"items": [{"value": "false"}]}},
        {"key": "s3:max", "values": {"items": [{"value": "5"}, {"value": "6"}]}},
    ]


def test_an_implicit_deny_lists_no_statement() -> None:
    doc = _denial("iam:CreateUser", "*", {}).details()
    assert (doc["explicitDeny"], doc["matchedStatements"]) == (False, {"items": []})


def test_only_the_same_account_opens_an_untouched_message() -> None:
    box = SecretBox(secrets.token_bytes(32))
    doc = _denial("iam:CreateUser", "*", {}).details()
    blob = denials.encode(box, ACCOUNT, doc)
    assert json.loads(denials.decode(box, ACCOUNT, blob)) == doc
    bad = [blob[:-1], blob[:10] + ("x" if blob[10] != "x" else "y") + blob[11:], "", "!!!"]
    for wrong in bad:
        with pytest.raises(denials.InvalidMessage):
            denials.decode(box, ACCOUNT, wrong)
    with pytest.raises(denials.InvalidMessage):
        denials.decode(box, "210987654321", blob)  # another account's caller
    with pytest.raises(denials.InvalidMessage):
        denials.decode(SecretBox(secrets.token_bytes(32)), ACCOUNT, blob)  # another gatehold


def test_a_huge_context_is_dropped_to_stay_decodable() -> None:
    box = SecretBox(secrets.token_bytes(32))
    context = {f"aws:RequestTag/k{i}": (secrets.token_hex(64),) for i in range(200)}
    doc = _denial("iam:CreateUser", "*", context).details()
    blob = denials.encode(box, ACCOUNT, doc)
    assert len(blob) <= denials.MAX_ENCODED_LENGTH
    assert json.loads(denials.decode(box, ACCOUNT, blob))["context"]["conditions"] == {"items": []}


def test_only_policy_denials_get_an_encoded_message() -> None:
    box = SecretBox(secrets.token_bytes(32))
    err = denials.with_encoded_message(box, _denial("iam:CreateUser", "*", {}))
    assert (err.code, err.status) == ("AccessDenied", 403)
    text, blob = err.message.split(" " + denials.ENCODED_MARKER)
    assert text == "denied" and json.loads(denials.decode(box, ACCOUNT, blob))["allowed"] is False
    other = AwsError("ValidationError", "bad", 400)
    assert denials.with_encoded_message(box, other) is other
