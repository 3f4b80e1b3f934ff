"""Evaluation across policy types (evaluation-logic pages, permissions-boundaries page)."""

from __future__ import annotations

import json
from typing import Any

from gatehold.policy import (
    PolicyKind,
    PolicyRef,
    PolicySet,
    Position,
    Request,
    evaluate,
    parse_policy,
)
from gatehold.policy.index import as_policy_set

ACCOUNT = "123456789012"
OTHER = "210987654321"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Dev/work"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Dev"
OBJECT = "arn:aws:s3:::bucket/report.txt"


def ref(
    *stmts: dict[str, Any], kind: PolicyKind = PolicyKind.IDENTITY, name: str = "p"
) -> PolicyRef:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(stmts)})
    return PolicyRef(parse_policy(text, kind=kind), name, kind.value)


def stmt(effect: str = "Allow", action: str = "s3:GetObject", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": "*", **extra}


def resource_policy(principal: Any, effect: str = "Allow") -> PolicyRef:
    return ref(stmt(effect, Principal=principal), kind=PolicyKind.RESOURCE, name="bucket")


def req(caller: str = ALICE, owner: str = ACCOUNT, **extra: Any) -> Request:
    return Request("s3:GetObject", OBJECT, {}, caller, caller.split(":")[4], owner, **extra)


ALLOW = ref(stmt())
DENY = ref(stmt("Deny"))
ALLOW_OTHER = ref(stmt(action="sqs:SendMessage"))


# --- basics ---------------------------------------------------------------------------


def test_default_is_implicit_deny() -> None:
    decision = evaluate(req())
    assert decision.outcome == "implicitDeny"
    assert decision.deciding_policy_type == "identity-based"
    assert decision.matched == ()


def test_allow_and_explicit_deny() -> None:
    assert evaluate(req(), identity=[ALLOW]).outcome == "allowed"
    assert evaluate(req(), identity=[ALLOW, DENY]).outcome == "explicitDeny"
    assert evaluate(req(), identity=[DENY]).outcome == "explicitDeny"
    assert evaluate(req(), identity=[ref(stmt(), stmt("Deny", "s3:PutObject"))]).allowed


def test_any_one_applicable_allow_suffices() -> None:
    conditional = ref(stmt(Condition={"Bool": {"aws:SecureTransport": "true"}}))
    assert evaluate(req(), identity=[conditional, ALLOW]).allowed


# --- explicit deny in every policy type ---------------------------------------------


def test_explicit_deny_wins_in_every_policy_type() -> None:
    cases: dict[str, dict[str, Any]] = {
        "identity-based": {"identity": [ALLOW, DENY]},
        "permissions boundary": {"identity": [ALLOW], "boundary": [ref(stmt(), stmt("Deny"))]},
        "session": {"identity": [ALLOW], "session": [ref(stmt(), stmt("Deny"))]},
        "scp": {"identity": [ALLOW], "scps": [[ref(stmt(), stmt("Deny"))]]},
        "rcp": {"identity": [ALLOW], "rcps": [[ref(stmt(), stmt("Deny"))]]},
        "resource-based": {"identity": [ALLOW], "resource": resource_policy("*", "Deny")},
    }
    for kind, inputs in cases.items():
        decision = evaluate(req(), **inputs)
        assert decision.outcome == "explicitDeny", kind
        assert decision.deciding_policy_type == kind, kind
        assert decision.matched and all(m.effect == "Deny" for m in decision.matched)


def test_explicit_deny_beats_a_direct_resource_grant() -> None:
    decision = evaluate(req(), identity=[DENY], resource=resource_policy({"AWS": ALICE}))
    assert decision.outcome == "explicitDeny"


# --- boundaries and session policies --------------------------------------------------


def test_boundary_limits_and_never_grants() -> None:
    wide = ref(stmt(action="s3:*"), kind=PolicyKind.BOUNDARY)
    assert evaluate(req(), identity=[ALLOW], boundary=[wide]).allowed
    decision = evaluate(req(), identity=[ALLOW_OTHER], boundary=[wide])
    assert (decision.outcome, decision.deciding_policy_type) == ("implicitDeny", "identity-based")
    narrow = ref(stmt(action="sqs:*"), kind=PolicyKind.BOUNDARY)
    decision = evaluate(req(), identity=[ALLOW], boundary=[narrow])
    assert (decision.outcome, decision.deciding_policy_type) == (
        "implicitDeny",
        "permissions boundary",
    )
    assert decision.allowed_by_boundary is False


def test_boundary_with_only_deny_grants_nothing() -> None:
    only_deny = ref(stmt("Deny", "ec2:*"), kind=PolicyKind.BOUNDARY)
    assert evaluate(req(), identity=[ALLOW], boundary=[only_deny]).outcome == "implicitDeny"


def test_empty_boundary_list_means_no_boundary() -> None:
    decision = evaluate(req(), identity=[ALLOW], boundary=[])
    assert decision.allowed and decision.allowed_by_boundary is None


def test_session_policy_limits_and_never_grants() -> None:
    session = ref(stmt(action="s3:Get*"), kind=PolicyKind.SESSION)
    assert evaluate(req(SESSION), identity=[ALLOW], session=[session]).allowed
    assert evaluate(req(SESSION), identity=[], session=[session]).outcome == "implicitDeny"
    other = ref(stmt(action="sqs:*"), kind=PolicyKind.SESSION)
    decision = evaluate(req(SESSION), identity=[ALLOW], session=[other])
    assert (decision.deciding_policy_type, decision.allowed_by_session) == ("session", False)


# --- organizations ----------------------------------------------------------------------


def test_every_scp_level_must_allow() -> None:
    full = ref(stmt(action="*"), kind=PolicyKind.SCP, name="FullAWSAccess")
    s3_only = ref(stmt(action="s3:*"), kind=PolicyKind.SCP)
    ec2_only = ref(stmt(action="ec2:*"), kind=PolicyKind.SCP)
    assert evaluate(req(), identity=[ALLOW], scps=[[full], [s3_only]]).allowed
    decision = evaluate(req(), identity=[ALLOW], scps=[[full], [ec2_only], [full]])
    assert (decision.outcome, decision.deciding_policy_type) == ("implicitDeny", "scp")
    assert decision.allowed_by_organizations is False
    # SCPs grant nothing by themselves.
    assert evaluate(req(), identity=[], scps=[[full]]).outcome == "implicitDeny"


def test_rcps_limit_like_scps() -> None:
    full = ref(stmt(action="*"), kind=PolicyKind.RCP, name="RCPFullAWSAccess")
    narrow = ref(stmt(action="sqs:*"), kind=PolicyKind.RCP)
    assert evaluate(req(), identity=[ALLOW], rcps=[[full]]).allowed
    assert evaluate(req(), identity=[ALLOW], rcps=[[full], [narrow]]).deciding_policy_type == "rcp"


# --- the root user ----------------------------------------------------------------------


def test_root_has_full_access_in_its_account_except_denies_and_scps() -> None:
    root = Request("s3:GetObject", OBJECT, {}, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT,
                   is_root=True)  # fmt: skip
    assert evaluate(root).allowed
    assert evaluate(root, identity=[DENY]).outcome == "explicitDeny"
    assert evaluate(root, scps=[[ref(stmt(action="ec2:*"), kind=PolicyKind.SCP)]]).outcome == (
        "implicitDeny"
    )
    cross = Request("s3:GetObject", OBJECT, {}, root.principal_arn, ACCOUNT, OTHER, is_root=True)
    assert evaluate(cross).outcome == "implicitDeny"
    assert evaluate(cross, resource=resource_policy({"AWS": ACCOUNT})).allowed


# --- same-account resource policies -----------------------------------------------------


def test_same_account_resource_policy_is_a_union_with_identity() -> None:
    assert evaluate(req(), resource=resource_policy({"AWS": ALICE})).allowed
    assert evaluate(req(), identity=[ALLOW], resource=resource_policy({"AWS": "x"})).allowed
    decision = evaluate(req(), resource=resource_policy({"AWS": ALICE}))
    assert decision.deciding_policy_type == "resource-based"
    assert [m.policy_type for m in decision.matched] == ["resource-based"]


def test_grant_to_the_user_arn_survives_a_boundary_implicit_deny() -> None:
    narrow = ref(stmt(action="sqs:*"), kind=PolicyKind.BOUNDARY)
    assert evaluate(req(), boundary=[narrow], resource=resource_policy({"AWS": ALICE})).allowed


def test_grant_to_the_session_arn_survives_a_session_policy_implicit_deny() -> None:
    session = ref(stmt(action="sqs:*"), kind=PolicyKind.SESSION)
    direct = evaluate(req(SESSION), session=[session], resource=resource_policy({"AWS": SESSION}))
    assert direct.allowed


def test_grant_to_the_role_arn_is_limited_by_boundary_and_session() -> None:
    by_role = resource_policy({"AWS": ROLE})
    assert evaluate(req(SESSION), resource=by_role).allowed  # no identity allow needed
    narrow = ref(stmt(action="sqs:*"), kind=PolicyKind.BOUNDARY)
    assert evaluate(req(SESSION), boundary=[narrow], resource=by_role).outcome == "implicitDeny"
    session = ref(stmt(action="sqs:*"), kind=PolicyKind.SESSION)
    assert evaluate(req(SESSION), session=[session], resource=by_role).outcome == "implicitDeny"
    # With a path: the role ARN comes from the request.
    with_path = f"arn:aws:iam::{ACCOUNT}:role/team/Dev"
    pathed = req(SESSION, role_arn=with_path)
    assert evaluate(pathed, resource=resource_policy({"AWS": with_path})).allowed


def test_grant_to_the_account_needs_an_identity_allow() -> None:
    account = resource_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    assert evaluate(req(), resource=account).outcome == "implicitDeny"
    assert evaluate(req(), identity=[ALLOW], resource=account).allowed


def test_not_principal_deny_always_denies_a_principal_with_a_boundary() -> None:
    # NotPrincipal page: Deny + NotPrincipal denies any principal with a boundary attached.
    spared = {"AWS": [ALICE, f"arn:aws:iam::{ACCOUNT}:root"]}
    policy = ref(
        {"Effect": "Deny", "NotPrincipal": spared, "Action": "s3:*", "Resource": "*"},
        kind=PolicyKind.RESOURCE,
    )
    wide = ref(stmt(action="*"), kind=PolicyKind.BOUNDARY)
    assert evaluate(req(), identity=[ALLOW], resource=policy).allowed
    assert evaluate(req(), identity=[ALLOW], boundary=[wide], resource=policy).outcome == (
        "explicitDeny"
    )


# --- cross account ----------------------------------------------------------------------


def test_cross_account_needs_both_sides() -> None:
    carol = f"arn:aws:iam::{OTHER}:user/carol"
    grant = resource_policy({"AWS": carol})
    assert evaluate(req(carol), identity=[ALLOW], resource=grant).allowed
    only_resource = evaluate(req(carol), resource=grant)
    assert (only_resource.outcome, only_resource.deciding_policy_type) == (
        "implicitDeny",
        "identity-based",
    )
    only_identity = evaluate(req(carol), identity=[ALLOW])
    assert (only_identity.outcome, only_identity.deciding_policy_type) == (
        "implicitDeny",
        "resource-based",
    )
    account_grant = resource_policy({"AWS": OTHER})  # naming the account counts across accounts
    assert evaluate(req(carol), identity=[ALLOW], resource=account_grant).allowed
    narrow = ref(stmt(action="sqs:*"), kind=PolicyKind.BOUNDARY)
    assert evaluate(req(carol), identity=[ALLOW], boundary=[narrow], resource=grant).outcome == (
        "implicitDeny"
    )


# --- what a decision reports ------------------------------------------------------------


def test_matched_statements_carry_source_and_position() -> None:
    text = '{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow",' \
        '"Action":"s3:GetObject","Resource":"*"}]}'  # fmt: skip
    policy = PolicyRef(parse_policy(text), "PolicyInputList.1", "IAM Policy")
    (match,) = evaluate(req(), identity=[policy]).matched
    assert (match.source_id, match.source_type, match.sid, match.statement_index) == (
        "PolicyInputList.1",
        "IAM Policy",
        "Read",
        0,
    )
    assert (match.start, match.end) == (Position(1, 38), Position(1, len(text) - 2))


def test_missing_context_keys_come_from_applicable_statements() -> None:
    policy = ref(
        stmt(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"},
                        "StringEquals": {"aws:PrincipalTag/team": "${aws:userid}"}}),
        stmt(action="ec2:*", Condition={"Bool": {"ec2:Unrelated": "true"}}),
    )  # fmt: skip
    decision = evaluate(
        Request("s3:GetObject", OBJECT, {"aws:principaltag/team": ("x",)}), identity=[policy]
    )
    assert decision.missing_context_keys == ("aws:MultiFactorAuthPresent", "aws:userid")


def test_decision_details_are_none_when_the_policy_type_is_absent() -> None:
    decision = evaluate(req(), identity=[ALLOW])
    assert (decision.allowed_by_boundary, decision.allowed_by_session) == (None, None)
    assert decision.allowed_by_organizations is None
    wide = ref(stmt(action="*"), kind=PolicyKind.BOUNDARY)
    assert evaluate(req(), identity=[ALLOW], boundary=[wide]).allowed_by_boundary is True


# --- the compiled index -----------------------------------------------------------------


def test_policy_set_finds_statements_by_action_service_and_wildcard() -> None:
    refs = [
        ref(stmt(action="sqs:SendMessage"), name="sqs"),
        ref(stmt(action="s3:Get*"), name="s3-glob"),
        ref(stmt(action="s3:GetObject"), name="s3-exact"),
        ref({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, name="not-iam"),
        ref(stmt(action="*"), name="star"),
        ref(stmt(action="*:GetObject"), name="any-service"),
    ]
    pset = PolicySet(refs)
    decision = evaluate(req(), identity=pset)
    assert [m.source_id for m in decision.matched] == [
        "s3-glob",
        "s3-exact",
        "not-iam",
        "star",
        "any-service",
    ]
    # Only statements that could match an IAM action are even looked at.
    candidates = [b.ref.source_id for b in pset.candidates("iam:createuser")]
    assert candidates == ["not-iam", "star", "any-service"]


def test_recently_seen_inputs_are_compiled_once() -> None:
    refs = (ALLOW, DENY)
    assert as_policy_set(refs) is as_policy_set(refs)
    # Short lists are recognised by their items (a boundary passed as [ref]).
    assert as_policy_set([ALLOW, DENY]) is as_policy_set([ALLOW, DENY])
    assert as_policy_set([ALLOW, DENY]) is not as_policy_set([DENY, ALLOW])
    changed = [ALLOW]
    first = as_policy_set(changed)
    changed.append(DENY)
    assert as_policy_set(changed) is not first
    many = [ref(stmt(action=f"ec2:Describe{i}")) for i in range(20)]
    assert len(as_policy_set(many)) == 20


def test_a_thousand_policies_decide_like_one() -> None:
    noise = [ref(stmt(action=f"ec2:Describe{i}"), name=f"n{i}") for i in range(1000)]
    assert evaluate(req(), identity=PolicySet(noise)).outcome == "implicitDeny"
    assert evaluate(req(), identity=PolicySet([*noise, ALLOW])).allowed
    assert evaluate(req(), identity=PolicySet([*noise, ALLOW, DENY])).outcome == "explicitDeny"


def test_request_context_keys_are_case_insensitive_and_strings_are_wrapped() -> None:
    request = Request("s3:GetObject", OBJECT, {"AWS:UserName": "alice"})  # type: ignore[dict-item]
    assert request.ctx == {"aws:username": ("alice",)}
