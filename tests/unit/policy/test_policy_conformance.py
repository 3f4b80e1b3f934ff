"""Every case of the conformance data's policy_cases.json, run in-process.

The inputs are mapped the way iam:SimulateCustomPolicy maps them:
PolicyInputList -> identity policies, PermissionsBoundaryPolicyInputList ->
boundary, ResourcePolicy -> resource-based policy, CallerArn -> principal,
ResourceOwner (default: CallerArn's account) -> resource account, and
ContextEntries -> context (every ContextKeyType is carried as its strings).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gatehold.policy import PolicyKind, PolicyRef, Request, evaluate, parse_policy
from gatehold.policy.reference import reference_evaluate
from tests.support import conformance

pytestmark = pytest.mark.conformance

CASES_FILE = conformance.path(conformance.POLICY_CASES)


def _load() -> list[dict[str, Any]]:
    if not CASES_FILE.exists():
        return []
    data = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = data["cases"] if isinstance(data, dict) else data
    return cases


CASES = _load()


def _text(doc: Any) -> str:
    return doc if isinstance(doc, str) else json.dumps(doc)


def _account(arn: str | None) -> str | None:
    if not arn:
        return None
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


def simulate_custom_policy(case: dict[str, Any], engine: Callable[..., Any] = evaluate) -> str:
    identity = [
        PolicyRef(parse_policy(_text(doc)), f"PolicyInputList.{i}", "IAM Policy")
        for i, doc in enumerate(case.get("policies", []), start=1)
    ]
    boundary_docs = case.get("boundary")
    if boundary_docs is not None and not isinstance(boundary_docs, list):
        boundary_docs = [boundary_docs]
    boundary = [
        PolicyRef(
            parse_policy(_text(doc), kind=PolicyKind.BOUNDARY),
            f"PermissionsBoundaryPolicyInputList.{i}",
            "IAM Policy",
        )
        for i, doc in enumerate(boundary_docs or [], start=1)
    ] or None
    resource = None
    if case.get("resource_policy") is not None:
        resource = PolicyRef(
            parse_policy(_text(case["resource_policy"]), kind=PolicyKind.RESOURCE),
            "ResourcePolicy",
            "resource",
        )
    caller = case.get("caller_arn")
    context = {
        e["ContextKeyName"]: tuple(str(v) for v in e.get("ContextKeyValues", []))
        for e in case.get("context") or []
    }
    request = Request(
        action=case["action"],
        resource=case.get("resource", "*"),
        context=context,
        principal_arn=caller,
        principal_account=_account(caller),
        resource_account=_account(case.get("resource_owner")) or _account(caller),
    )
    result = engine(request, identity=identity, boundary=boundary, resource=resource)
    return result if isinstance(result, str) else str(result.outcome)


def test_corpus_is_present() -> None:
    assert len(CASES) == 178, f"expected the 178-case corpus at {CASES_FILE}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    got = simulate_custom_policy(case)
    assert got == case["expect"], f"{case['id']}: {case.get('note')} (source {case.get('source')})"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_reference_evaluator_agrees_with_the_corpus(case: dict[str, Any]) -> None:
    # The naive evaluator must itself be right before it can judge the engine.
    assert simulate_custom_policy(case, reference_evaluate) == case["expect"], case["id"]
