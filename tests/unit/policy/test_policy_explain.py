"""AWS's AccessDenied wording (troubleshoot_access-denied.html) and the human explanation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatehold.policy import (
    PolicyKind,
    PolicyRef,
    Request,
    access_denied_message,
    denial_reason,
    evaluate,
    explain,
    parse_policy,
)

ALICE = "arn:aws:iam::123456789012:user/alice"
USERS = "arn:aws:iam::123456789012:user/bob"
REQUEST = Request("iam:CreateUser", USERS, {}, ALICE, "123456789012", "123456789012")


def ref(
    effect: str, action: str, kind: PolicyKind = PolicyKind.IDENTITY, name: str = "p"
) -> PolicyRef:
    stmt = {"Effect": effect, "Action": action, "Resource": "*"}
    text = json.dumps({"Version": "2012-10-17", "Statement": [stmt]})
    return PolicyRef(parse_policy(text, kind=kind), name, kind.value)


ALLOW = ref("Allow", "iam:*")
LIMITING = (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP,
            PolicyKind.RCP)  # fmt: skip
NARROW = {k: ref("Allow", "s3:*", k) for k in LIMITING}
DENY = {k: ref("Deny", "iam:CreateUser", k) for k in LIMITING}


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({}, "because no identity-based policy allows the iam:CreateUser action"),
        ({"identity": [ALLOW, DENY[PolicyKind.IDENTITY]]},
         "with an explicit deny in an identity-based policy"),
        ({"identity": [ALLOW], "boundary": [NARROW[PolicyKind.BOUNDARY]]},
         "because no permissions boundary allows the iam:CreateUser action"),
        ({"identity": [ALLOW], "boundary": [ALLOW, DENY[PolicyKind.BOUNDARY]]},
         "with an explicit deny in a permissions boundary"),
        ({"identity": [ALLOW], "session": [NARROW[PolicyKind.SESSION]]},
         "because no session policy allows the iam:CreateUser action"),
        ({"identity": [ALLOW], "session": [ALLOW, DENY[PolicyKind.SESSION]]},
         "with an explicit deny in a session policy"),
        ({"identity": [ALLOW], "scps": [[NARROW[PolicyKind.SCP]]]},
         "because no service control policy allows the iam:CreateUser action"),
        ({"identity": [ALLOW], "scps": [[DENY[PolicyKind.SCP]]]},
         "with an explicit deny in a service control policy"),
        ({"identity": [ALLOW], "rcps": [[DENY[PolicyKind.RCP]]]},
         "with an explicit deny in a resource control policy"),
    ],
)  # fmt: skip
def test_denial_reasons_use_aws_wording(inputs: dict[str, Any], expected: str) -> None:
    decision = evaluate(REQUEST, **inputs)
    assert denial_reason(decision) == expected
    assert decision.reason() == expected


def test_resource_based_reasons() -> None:
    carol = Request("iam:CreateUser", USERS, {}, "arn:aws:iam::210987654321:user/carol",
                    "210987654321", "123456789012")  # fmt: skip
    assert denial_reason(evaluate(carol, identity=[ALLOW])) == (
        "because no resource-based policy allows the iam:CreateUser action"
    )
    stmt = {"Effect": "Deny", "Principal": "*", "Action": "iam:*", "Resource": "*"}
    text = json.dumps({"Version": "2012-10-17", "Statement": [stmt]})
    res = PolicyRef(parse_policy(text, kind=PolicyKind.RESOURCE), "r", "resource")
    assert denial_reason(evaluate(REQUEST, identity=[ALLOW], resource=res)) == (
        "with an explicit deny in a resource-based policy"
    )


def test_full_access_denied_message() -> None:
    decision = evaluate(REQUEST)
    assert access_denied_message(decision, ALICE) == (
        f"User: {ALICE} is not authorized to perform: iam:CreateUser on resource: {USERS} "
        "because no identity-based policy allows the iam:CreateUser action"
    )


def test_policy_arn_is_named_on_request() -> None:
    arn = "arn:aws:iam::123456789012:policy/ExampleDenyPolicy"
    deny = ref("Deny", "iam:*", name=arn)
    decision = evaluate(REQUEST, identity=[ALLOW, deny])
    assert denial_reason(decision, with_policy_arn=True) == (
        f"with an explicit deny in an identity-based policy: {arn}"
    )
    assert denial_reason(decision) == "with an explicit deny in an identity-based policy"


def test_allowed_has_no_reason_and_explain_says_why() -> None:
    decision = evaluate(REQUEST, identity=[ALLOW], boundary=[ALLOW])
    assert denial_reason(decision) == ""
    text = explain(decision)
    assert text.startswith(f"allowed: iam:CreateUser on {USERS}")
    assert "allowed by an identity-based policy" in text
    assert "Allow statement 0 in identity-based identity p, lines 1:41-1:95" in text
    assert "permissions boundary: allows" in text


def test_explain_a_denial() -> None:
    text = explain(evaluate(REQUEST, identity=[ALLOW, DENY[PolicyKind.IDENTITY]]))
    assert text.splitlines()[:2] == [
        f"explicitDeny: iam:CreateUser on {USERS}",
        "  with an explicit deny in an identity-based policy",
    ]
