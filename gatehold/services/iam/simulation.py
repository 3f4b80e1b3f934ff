"""One simulation: policies, caller and context, evaluated per action and resource.

The answer follows the API reference's EvaluationResult and real AWS answers
(an AWS CLI example, responses recorded in public test suites): one result per
(action, resource) pair, actions in the order given and each over every resource.
For "*" a result has no ResourceSpecificResults and no EvalDecisionDetails; for a
resource ARN it has one ResourceSpecificResults entry for that resource and an
EvalDecisionDetails that is empty in the same account ("present but empty", as
the reference says) and holds each policy type's own decision across accounts.

(botocore's newest model documents a regrouped answer, one result per action
with an ARN template; the published API reference, the AWS CLI and the tools
that read the answer still use the per-resource form, which is what we give.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatehold.authz.context_keys import resource_account
from gatehold.authz.policies import parse_cached
from gatehold.policy import (
    Decision,
    MatchedStatement,
    PolicyKind,
    PolicyRef,
    PolicySet,
    Request,
    evaluate,
)

# Keys of EvalDecisionDetails: the policy types as AWS names them in
# SourcePolicyType. The boundary's key is unconfirmed.
DETAIL_IDENTITY = "IAM Policy"
DETAIL_RESOURCE = "Resource Policy"
DETAIL_BOUNDARY = "Permissions Boundary Policy"

# MatchedStatements and MissingContextValues leave out SCPs and RCPs (API reference).
_ORGANIZATION_TYPES = frozenset({"scp", "rcp"})

_ALLOW_ALL_TEXT = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
)


def _allow_all() -> list[PolicyRef]:
    return [PolicyRef(parse_cached(_ALLOW_ALL_TEXT, PolicyKind.IDENTITY), "allow-all", "none")]


@dataclass(frozen=True)
class Scenario:
    """Everything one simulation call evaluates, already validated."""

    identity: PolicySet
    boundary: PolicySet | None
    resource_policy: PolicyRef | None
    scps: list[list[PolicyRef]] | None
    caller_arn: str | None
    caller_account: str | None
    owner_account: str | None  # ResourceOwner's account, or None
    context: dict[str, tuple[str, ...]]
    actions: list[str]
    resources: list[str]

    @property
    def total(self) -> int:
        return len(self.actions) * len(self.resources)

    def results(self, start: int, stop: int) -> list[dict[str, Any]]:
        """EvaluationResults[start:stop] of the full (action x resource) list."""
        per_action = len(self.resources)
        return [
            self._result(self.actions[i // per_action], self.resources[i % per_action])
            for i in range(start, stop)
        ]

    # --- one pair ---------------------------------------------------------------

    def _request(self, action: str, resource: str) -> Request:
        return Request(
            action=action,
            resource=resource,
            context=self.context,
            principal_arn=self.caller_arn,
            principal_account=self.caller_account,
            resource_account=self._resource_account(resource),
        )

    def _resource_account(self, resource: str) -> str | None:
        # ResourceOwner names the owner of resources whose ARN does not (S3 ...);
        # without it the owner is the caller's account.
        return resource_account(resource) or self.owner_account or self.caller_account

    def _result(self, action: str, resource: str) -> dict[str, Any]:
        request = self._request(action, resource)
        decision = evaluate(
            request,
            identity=self.identity,
            boundary=self.boundary,
            scps=self.scps,
            resource=self.resource_policy,
        )
        matched = statements(decision.matched)
        missing = list(decision.missing_context_keys)
        result: dict[str, Any] = {
            "EvalActionName": action,
            "EvalResourceName": resource,
            "EvalDecision": decision.outcome,
            "MatchedStatements": matched,
            "MissingContextValues": missing,
        }
        boundary = _boundary_detail(decision)
        if boundary is not None:
            result["PermissionsBoundaryDecisionDetail"] = boundary
        if self.scps:
            result["OrganizationsDecisionDetail"] = {
                "AllowedByOrganizations": bool(decision.allowed_by_organizations)
            }
        if resource == "*":
            return result
        details = self._decision_details(request, decision)
        if details is not None:
            result["EvalDecisionDetails"] = details
        specific: dict[str, Any] = {
            "EvalResourceName": resource,
            "EvalResourceDecision": decision.outcome,
            "MatchedStatements": matched,
            "MissingContextValues": missing,
        }
        if details:
            specific["EvalDecisionDetails"] = details
        if boundary is not None:
            specific["PermissionsBoundaryDecisionDetail"] = boundary
        result["ResourceSpecificResults"] = [specific]
        return result

    def _decision_details(self, request: Request, decision: Decision) -> dict[str, str] | None:
        """EvalDecisionDetails: {} in one account, each policy type's decision across two.

        Not returned when an SCP decided (API reference: "the simulation ends").
        """
        if decision.deciding_policy_type in _ORGANIZATION_TYPES:
            return None
        if request.same_account:
            return {}
        # Each type judged on its own: the identity side as if in one account, the
        # resource policy as if the caller's side allowed everything.
        alone = dataclasses.replace(request, resource_account=None)
        details: dict[str, str] = {DETAIL_IDENTITY: evaluate(alone, identity=self.identity).outcome}
        if self.resource_policy is not None:
            details[DETAIL_RESOURCE] = evaluate(
                request, identity=_allow_all(), resource=self.resource_policy
            ).outcome
        if self.boundary:
            details[DETAIL_BOUNDARY] = evaluate(
                alone, identity=_allow_all(), boundary=self.boundary
            ).outcome
        return details


def _boundary_detail(decision: Decision) -> dict[str, bool] | None:
    if decision.allowed_by_boundary is None:
        return None
    return {"AllowedByPermissionsBoundary": decision.allowed_by_boundary}


def statements(matched: Sequence[MatchedStatement]) -> list[dict[str, Any]]:
    """MatchedStatements as the API shapes them (SCP statements are not reported)."""
    return [
        {
            "SourcePolicyId": m.source_id,
            "SourcePolicyType": m.source_type,
            "StartPosition": {"Line": m.start.line, "Column": m.start.column},
            "EndPosition": {"Line": m.end.line, "Column": m.end.column},
        }
        for m in matched
        if m.policy_type not in _ORGANIZATION_TYPES
    ]
