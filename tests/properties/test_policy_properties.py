"""Properties of the policy engine, and a differential test against the naive evaluator.

Policies and requests are drawn from small vocabularies so that matches happen
often: a few services, actions, ARNs, condition keys and values, with
wildcards, NotAction/NotResource, variables, IfExists and set operators.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehold.policy import PolicyKind, PolicyRef, Request, evaluate, parse_policy
from gatehold.policy.reference import reference_evaluate

ACCOUNT = "111122223333"
OTHER = "444455556666"
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:CreateUser", "ec2:RunInstances"]
RESOURCES = [
    "arn:aws:s3:::bucket-a/report.txt",
    "arn:aws:s3:::bucket-a/home/alice/notes",
    "arn:aws:s3:::bucket-b",
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1",
]
ACTION_PATTERNS = [
    *ACTIONS,
    "*", "s3:*", "s3:Get*", "S3:GETOBJECT", "s3:?utObject", "iam:*User", "ec2:*", "*:RunInstances",
]  # fmt: skip
RESOURCE_PATTERNS = [
    *RESOURCES,
    "*",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:s3:::bucket-?",
    "arn:aws:s3:::bucket-a/home/${aws:username}/*",
    "arn:aws:s3:::bucket-a/home/${aws:PrincipalTag/team, 'alice'}/*",
    "arn:aws:iam::*:user/${aws:username}",
    "arn:aws:ec2:*:*:instance/*",
]

KEYS: dict[str, list[str]] = {
    "aws:username": ["alice", "Alice", "bob", "al*"],
    "aws:PrincipalTag/team": ["blue", "red", "alice"],
    "aws:TagKeys": ["env", "owner", "secret"],
    "aws:SourceIp": ["203.0.113.7", "198.51.100.1", "2001:db8::1"],
    "aws:MultiFactorAuthAge": ["10", "3600", "99999"],
    "aws:CurrentTime": ["2025-06-01T12:00:00Z", "2019-01-01T00:00:00Z", "1748779200"],
    "aws:SecureTransport": ["true", "false"],
}
OPERATORS: dict[str, list[str]] = {
    "aws:username": ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
                     "StringEqualsIgnoreCase"],
    "aws:PrincipalTag/team": ["StringEquals", "StringNotEquals", "StringLike"],
    "aws:TagKeys": ["ForAllValues:StringEquals", "ForAnyValue:StringEquals",
                    "ForAllValues:StringNotEquals", "ForAnyValue:StringLike"],
    "aws:SourceIp": ["IpAddress", "NotIpAddress"],
    "aws:MultiFactorAuthAge": ["NumericLessThan", "NumericGreaterThanEquals", "NumericNotEquals"],
    "aws:CurrentTime": ["DateLessThan", "DateGreaterThan", "DateEquals"],
    "aws:SecureTransport": ["Bool"],
}  # fmt: skip
POLICY_VALUES: dict[str, list[str]] = {
    "aws:username": ["alice", "bob", "a*", "${aws:PrincipalTag/team}", "al${*}"],
    "aws:PrincipalTag/team": ["blue", "r?d", "${aws:username}"],
    "aws:TagKeys": ["env", "owner", "o*"],
    "aws:SourceIp": ["203.0.113.0/24", "198.51.100.1/32", "2001:DB8::/32", "0.0.0.0/0"],
    "aws:MultiFactorAuthAge": ["3600", "100"],
    "aws:CurrentTime": ["2025-01-01T00:00:00Z", "1893456000", "2025-06-01T14:00:00+02:00"],
    "aws:SecureTransport": ["true", "false"],
}
PRINCIPALS = [
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/session-1",
    f"arn:aws:iam::{OTHER}:user/carol",
]


# Every (key, operator) pair, flat, so that drawing is close to uniform (Hypothesis
# favours the first items of a choice and small integers, which would otherwise
# make Null on the first key dominate).
PAIRS = [(key, op) for key, ops in OPERATORS.items() for op in ops] + [
    (key, "Null") for key in ("aws:username", "aws:TagKeys", "aws:SourceIp")
]


@st.composite
def conditions(draw: st.DrawFn, min_keys: int = 0, max_keys: int = 2) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    pairs = st.lists(st.sampled_from(PAIRS), min_size=min_keys, max_size=max_keys)
    for key, operator in draw(pairs):
        if operator == "Null":
            values: Any = draw(st.sampled_from(["true", "false"]))
        else:
            values = draw(st.lists(st.sampled_from(POLICY_VALUES[key]), min_size=1, max_size=2))
            if not operator.startswith("For") and draw(st.booleans()):
                operator += "IfExists"
        block.setdefault(operator, {})[key] = values
    return block


@st.composite
def statements(draw: st.DrawFn, *, principal: bool = False) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    action_key = "NotAction" if draw(st.integers(0, 5)) == 0 else "Action"
    stmt[action_key] = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    resource_key = "NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"
    stmt[resource_key] = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    if action_key == "Action" and draw(st.booleans()):
        # Often make the statement about the request's action and resource, so that
        # conditions and principals, not just the element matching, decide.
        stmt["Action"] = ["s3:GetObject"]
        stmt[resource_key] = ["arn:aws:s3:::bucket-a/report.txt"]
    if principal:
        stmt["Principal"] = draw(
            st.sampled_from(
                [
                    "*",
                    {"AWS": PRINCIPALS[0]},
                    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Deployer"},
                    {"AWS": PRINCIPALS[1]},
                    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    {"AWS": [OTHER, PRINCIPALS[2]]},
                ]
            )
        )
    if draw(st.booleans()):
        cond = draw(conditions())
        if cond:
            stmt["Condition"] = cond
    return stmt


def _policy(stmts: list[dict[str, Any]], kind: PolicyKind, version: str = "2012-10-17") -> Any:
    return parse_policy(json.dumps({"Version": version, "Statement": stmts}), kind=kind)


@st.composite
def policy_refs(
    draw: st.DrawFn, kind: PolicyKind = PolicyKind.IDENTITY, min_size: int = 0, max_size: int = 3
) -> list[PolicyRef]:
    out = []
    for i in range(draw(st.integers(min_size, max_size))):
        stmts = draw(st.lists(statements(), min_size=1, max_size=3))
        version = draw(st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]))
        out.append(PolicyRef(_policy(stmts, kind, version), f"{kind.value}.{i}", kind.value))
    return out


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context = {
        key: tuple(draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)))
        for key, values in KEYS.items()
        if draw(st.booleans())
    }
    principal = draw(st.sampled_from(PRINCIPALS))
    focused = draw(st.booleans())  # the action/resource that biased statements name
    return Request(
        action="s3:GetObject" if focused else draw(st.sampled_from(ACTIONS)),
        resource=RESOURCES[0] if focused else draw(st.sampled_from(RESOURCES)),
        context=context,
        principal_arn=principal,
        principal_account=principal.split(":")[4],
        resource_account=draw(st.sampled_from([ACCOUNT, ACCOUNT, OTHER])),
        is_root=draw(st.integers(0, 19)) == 0,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    scenario: dict[str, Any] = {"identity": draw(policy_refs())}
    if draw(st.booleans()):
        scenario["boundary"] = draw(policy_refs(PolicyKind.BOUNDARY, 1, 1))
    if draw(st.integers(0, 3)) == 0:
        scenario["session"] = draw(policy_refs(PolicyKind.SESSION, 1, 1))
    if draw(st.integers(0, 3)) == 0:
        scenario["scps"] = [draw(policy_refs(PolicyKind.SCP, 1, 2)) for _ in range(2)]
    if draw(st.booleans()):
        stmts = draw(st.lists(statements(principal=True), min_size=1, max_size=3))
        scenario["resource"] = PolicyRef(_policy(stmts, PolicyKind.RESOURCE), "res", "resource")
    return scenario


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The differential test is the one that finds bugs: give it more examples.
DIFFERENTIAL = settings(SETTINGS, max_examples=600)


@DIFFERENTIAL
@given(req=requests(), scenario=scenarios())
def test_engine_agrees_with_the_naive_reference(req: Request, scenario: dict[str, Any]) -> None:
    assert evaluate(req, **scenario).outcome == reference_evaluate(req, **scenario)


def _deny_all(action: str) -> PolicyRef:
    stmt = {"Effect": "Deny", "Action": action, "Resource": "*"}
    return PolicyRef(_policy([stmt], PolicyKind.IDENTITY), "deny", "user")


@SETTINGS
@given(req=requests(), scenario=scenarios(), where=st.sampled_from(["identity", "boundary", "scp"]))
def test_an_applicable_explicit_deny_always_wins(
    req: Request, scenario: dict[str, Any], where: str
) -> None:
    deny = _deny_all(req.action)
    if where == "identity":
        scenario["identity"] = [*scenario["identity"], deny]
    elif where == "boundary":
        scenario["boundary"] = [*scenario.get("boundary", []), deny]
    else:
        scenario["scps"] = [*scenario.get("scps", []), [deny]]
    assert evaluate(req, **scenario).outcome == "explicitDeny"


@SETTINGS
@given(req=requests(), scenario=scenarios())
def test_without_any_allow_the_answer_is_never_allowed(
    req: Request, scenario: dict[str, Any]
) -> None:
    def only_denies(refs: list[PolicyRef]) -> list[PolicyRef]:
        return [
            PolicyRef(_policy([dict(s.raw) for s in r.policy.statements if not s.allow]
                              or [{"Effect": "Deny", "Action": "sqs:Nothing", "Resource": "*"}],
                              r.policy.kind), r.source_id, r.source_type)
            for r in refs
        ]  # fmt: skip

    scenario["identity"] = only_denies(scenario["identity"])
    scenario.pop("resource", None)
    assert evaluate(req.__class__(**{**_fields(req), "is_root": False}), **scenario).outcome != (
        "allowed"
    )


def _fields(req: Request) -> dict[str, Any]:
    return {
        "action": req.action,
        "resource": req.resource,
        "context": req.context,
        "principal_arn": req.principal_arn,
        "principal_account": req.principal_account,
        "resource_account": req.resource_account,
        "is_root": req.is_root,
    }


@SETTINGS
@given(req=requests(), scenario=scenarios(), extra=policy_refs(PolicyKind.BOUNDARY, 1, 1))
def test_a_boundary_can_only_narrow(
    req: Request, scenario: dict[str, Any], extra: list[PolicyRef]
) -> None:
    # Without a resource policy (NotPrincipal treats boundary holders specially).
    scenario.pop("resource", None)
    scenario.pop("boundary", None)
    without = evaluate(req, **scenario).outcome
    with_boundary = evaluate(req, boundary=extra, **scenario).outcome
    if with_boundary == "allowed":
        assert without == "allowed"
    if without == "explicitDeny":
        assert with_boundary == "explicitDeny"


@SETTINGS
@given(req=requests(), scenario=scenarios(), extra=policy_refs(PolicyKind.SCP, 1, 2))
def test_an_scp_level_can_only_narrow(
    req: Request, scenario: dict[str, Any], extra: list[PolicyRef]
) -> None:
    without = evaluate(req, **scenario).outcome
    scps = [*scenario.pop("scps", []), extra]
    with_scp = evaluate(req, scps=scps, **scenario).outcome
    if with_scp == "allowed":
        assert without == "allowed"
    if without == "explicitDeny":
        assert with_scp == "explicitDeny"


@SETTINGS
@given(
    req=requests(),
    scenario=scenarios(),
    effect=st.sampled_from(["Allow", "Deny"]),
    resource=st.sampled_from(["*", *RESOURCE_PATTERNS]),
    where=st.sampled_from(["identity", "boundary", "session"]),
)
def test_an_unrelated_statement_changes_nothing(
    req: Request, scenario: dict[str, Any], effect: str, resource: str, where: str
) -> None:
    before = evaluate(req, **scenario).outcome
    unrelated = {"Effect": effect, "Action": ["sqs:SendMessage", "sqs:*"], "Resource": resource}
    refs = scenario.get(where)
    if not refs:
        return  # adding a boundary or session policy is not "an unrelated statement"
    first = refs[0]
    stmts = [dict(s.raw) for s in first.policy.statements] + [unrelated]
    changed = PolicyRef(_policy(stmts, first.policy.kind), first.source_id, first.source_type)
    scenario[where] = [changed, *refs[1:]]
    assert evaluate(req, **scenario).outcome == before


@SETTINGS
@given(req=requests(), scenario=scenarios())
def test_action_names_ignore_case(req: Request, scenario: dict[str, Any]) -> None:
    shouted = Request(**{**_fields(req), "action": req.action.upper()})
    assert evaluate(shouted, **scenario).outcome == evaluate(req, **scenario).outcome


# --- focused differentials: one statement at a time, so each part decides ---------------


@settings(DIFFERENTIAL, max_examples=1500)
@given(req=requests(), cond=conditions(1, 1), effect=st.sampled_from(["Allow", "Deny"]))
def test_conditions_agree_with_the_reference(
    req: Request, cond: dict[str, Any], effect: str
) -> None:
    stmt: dict[str, Any] = {"Effect": effect, "Action": "*", "Resource": "*", "Condition": cond}
    allow_all: dict[str, Any] = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    stmts = [stmt] if effect == "Allow" else [allow_all, stmt]
    identity = [PolicyRef(_policy(stmts, PolicyKind.IDENTITY), "p", "user")]
    req = Request(**{**_fields(req), "is_root": False})
    assert evaluate(req, identity=identity).outcome == reference_evaluate(req, identity=identity)


GRANTEES: list[Any] = [
    "*",
    {"AWS": PRINCIPALS[0]},
    {"AWS": PRINCIPALS[1]},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Deployer"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    {"AWS": ACCOUNT},
    {"AWS": OTHER},
    {"AWS": PRINCIPALS[2]},
]


@DIFFERENTIAL
@given(
    req=requests(),
    grantee=st.sampled_from(GRANTEES),
    not_principal=st.integers(0, 4),
    identity_allows=st.booleans(),
    boundary=st.sampled_from([None, "s3:*", "sqs:*"]),
    session=st.sampled_from([None, "s3:*", "sqs:*"]),
)
def test_principal_logic_agrees_with_the_reference(
    req: Request,
    grantee: Any,
    not_principal: int,
    identity_allows: bool,
    boundary: str | None,
    session: str | None,
) -> None:
    def ref(action: str, kind: PolicyKind) -> list[PolicyRef]:
        stmt = {"Effect": "Allow", "Action": action, "Resource": "*"}
        return [PolicyRef(_policy([stmt], kind), kind.value, kind.value)]

    grant: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": grantee,
        "Action": "*",
        "Resource": "*",
    }
    if not_principal == 0 and grantee != "*":
        grant = {"Effect": "Deny", "NotPrincipal": grantee, "Action": "*", "Resource": "*"}
    resource = PolicyRef(_policy([grant], PolicyKind.RESOURCE), "res", "resource")
    scenario: dict[str, Any] = {
        "identity": ref("*", PolicyKind.IDENTITY) if identity_allows else [],
        "boundary": ref(boundary, PolicyKind.BOUNDARY) if boundary else None,
        "session": ref(session, PolicyKind.SESSION) if session else None,
        "resource": resource,
    }
    assert evaluate(req, **scenario).outcome == reference_evaluate(req, **scenario)
