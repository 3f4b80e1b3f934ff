"""IAM: the Policy Simulator and context-key discovery.

Authorization (Service Authorization Reference, IAM): iam:SimulateCustomPolicy
and iam:GetContextKeysForCustomPolicy have no resource type, so they are
authorized on "*" (AWS's AccessDenied for them reads "on resource: *");
iam:SimulatePrincipalPolicy and iam:GetContextKeysForPrincipalPolicy are
authorized on the user, group or role whose policies are read (PolicySourceArn).
Simulating changes nothing and is never audited as a change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from gatehold.authz.policies import (
    IAM_POLICY,
    PrincipalPolicies,
    SourcedPolicy,
    StoredPolicyUnreadable,
    gather,
)
from gatehold.errors import AwsError
from gatehold.policy import Policy, PolicyKind, PolicyRef, PolicySet, context_keys
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.iam import simulation_inputs
from gatehold.services.iam.errors import invalid_input, no_such_entity
from gatehold.services.iam.simulation import Scenario
from gatehold.services.iam.tagging import resource_tag_context
from gatehold.store import policy_sources
from gatehold.store import tags as tag_store
from gatehold.store.policy_sources import Entity

# --- the principal behind PolicySourceArn ------------------------------------------------


def _authorized_entity(call: Call, action: str, arn: str) -> Entity:
    """Authorize ``action`` on the entity, then find it (so a caller without permission
    cannot learn which entities exist)."""
    source = simulation_inputs.source_entity(arn)
    account = call.ctx.principal.account_id
    entity = None
    if source.account_id == account:
        entity = policy_sources.entity_by_name(call.db, account, source.kind, source.name)
    # Users and roles offer their tags as aws:ResourceTag/* and iam:ResourceTag/*
    # (Service Authorization Reference); groups have no tags.
    tagged = entity is not None and entity.kind != policy_sources.GROUP
    tags = tag_store.get(call.db, entity.kind, entity.entity_id) if tagged and entity else []
    call.authorize(action, entity.arn if entity else arn, resource_tag_context(tags))
    if entity is None:
        raise no_such_entity(f"The {source.kind} with name {source.name} cannot be found.")
    return entity


def _policies_of(db: Connection, entity: Entity) -> PrincipalPolicies:
    try:
        return gather(db, entity)
    except StoredPolicyUnreadable as exc:
        # The operation's modelled server-side failure (PolicyEvaluationException, 500).
        raise AwsError(
            "PolicyEvaluation",
            f"A policy of {entity.arn} could not be evaluated.",
            500,
            sender_fault=False,
        ) from exc


def _excluded(policy: SourcedPolicy, exclusions: list[dict[str, Any]]) -> bool:
    """PolicyExclusionList: by type, by managed policy ARN, or by inline name and owner."""
    origin = policy.origin
    for rule in exclusions:
        kind = rule.get("PolicyType")
        arn = rule.get("PolicyArn")
        inline = rule.get("InlinePolicyIdentifier")
        if kind is not None and kind != origin.category:
            continue
        if arn is not None and arn != origin.policy_arn:
            continue
        if inline is not None and (
            origin.category != "inline"
            or inline["PolicyName"] != origin.policy_name
            or inline["AttachmentType"] != origin.attachment_type
            or inline["AttachmentName"].lower() != (origin.attachment_name or "").lower()
        ):
            continue
        if kind is None and arn is None and inline is None:
            continue  # an empty identifier names nothing
        return True
    return False


def _principal_refs(
    found: PrincipalPolicies, exclusions: list[dict[str, Any]]
) -> tuple[list[PolicyRef], list[PolicyRef] | None]:
    identity = [p.ref for p in found.identity if not _excluded(p, exclusions)]
    boundary = None
    if found.boundary is not None and not _excluded(found.boundary, exclusions):
        boundary = [found.boundary.ref]
    return identity, boundary


# --- simulations ---------------------------------------------------------------------------


def _scenario(
    params: Params,
    identity: list[PolicyRef],
    boundary: list[PolicyRef] | None,
    default_caller: str | None,
) -> Scenario:
    resource_policy = simulation_inputs.resource_policy_ref(params.get("ResourcePolicy"))
    caller_arn = params.get("CallerArn") or default_caller
    caller = simulation_inputs.caller(caller_arn)
    if resource_policy is not None and caller is None:
        # Unconfirmed wording; the API reference says CallerArn is then required.
        raise invalid_input("Invalid caller - Caller cannot be null or empty.")
    simulation_inputs.resource_handling_option(params.get("ResourceHandlingOption"))
    # A boundary passed in replaces the entity's own (API reference).
    boundary = (
        simulation_inputs.boundary_refs(params.get("PermissionsBoundaryPolicyInputList"))
        or boundary
    )
    return Scenario(
        identity=PolicySet(
            identity
            + simulation_inputs.policy_refs(params.get("PolicyInputList"), "PolicyInputList")
        ),
        boundary=PolicySet(boundary) if boundary else None,
        resource_policy=resource_policy,
        scps=simulation_inputs.organization_levels(
            params.get("OrderedOrganizationPolicyInputList")
        ),
        caller_arn=caller_arn,
        caller_account=caller.account_id if caller else None,
        owner_account=simulation_inputs.resource_owner(params.get("ResourceOwner")),
        context=simulation_inputs.context(params.get("ContextEntries")),
        actions=simulation_inputs.action_names(params["ActionNames"]),
        resources=simulation_inputs.resource_arns(
            params.get("ResourceArns"), with_resource_policy=resource_policy is not None
        ),
    )


def _answer(scenario: Scenario, params: Params) -> Result:
    start, stop = simulation_inputs.page_bounds(
        params.get("Marker"), params.get("MaxItems"), scenario.total
    )
    result: Result = {
        "EvaluationResults": scenario.results(start, stop),
        "IsTruncated": stop < scenario.total,
    }
    marker = simulation_inputs.next_marker(stop, scenario.total)
    if marker is not None:
        result["Marker"] = marker
    return result


def simulate_custom_policy(call: Call, params: Params) -> Result:
    call.authorize("iam:SimulateCustomPolicy", "*")
    return _answer(_scenario(params, [], None, None), params)


def simulate_principal_policy(call: Call, params: Params) -> Result:
    entity = _authorized_entity(call, "iam:SimulatePrincipalPolicy", params["PolicySourceArn"])
    found = _policies_of(call.db, entity)
    identity, boundary = _principal_refs(found, params.get("PolicyExclusionList") or [])
    # CallerArn defaults to the entity whose policies are simulated (API reference).
    return _answer(_scenario(params, identity, boundary, entity.arn), params)


# --- context keys --------------------------------------------------------------------------


def _key_names(refs: list[PolicyRef]) -> Result:
    """ContextKeyNames: each key once (names ignore case), in a stable order."""
    found: dict[str, str] = {}
    for ref in refs:
        for key in context_keys(ref.policy):
            found.setdefault(key.lower(), key)
    return {"ContextKeyNames": sorted(found.values(), key=str.lower)}


def _any_kind(text: str) -> Policy:
    """A policy of any kind may be listed: an identity policy, or a resource policy
    (which has a Principal). The identity policy's error is the one reported."""
    try:
        return simulation_inputs.parse_input(text, PolicyKind.IDENTITY)
    except AwsError as identity_error:
        try:
            return simulation_inputs.parse_input(text, PolicyKind.RESOURCE)
        except AwsError:
            raise identity_error from None


def _any_kind_refs(texts: list[str] | None) -> list[PolicyRef]:
    return [
        PolicyRef(_any_kind(text), f"PolicyInputList.{i}", IAM_POLICY)
        for i, text in enumerate(texts or [], start=1)
    ]


def get_context_keys_for_custom_policy(call: Call, params: Params) -> Result:
    call.authorize("iam:GetContextKeysForCustomPolicy", "*")
    return _key_names(_any_kind_refs(params["PolicyInputList"]))


def get_context_keys_for_principal_policy(call: Call, params: Params) -> Result:
    entity = _authorized_entity(
        call, "iam:GetContextKeysForPrincipalPolicy", params["PolicySourceArn"]
    )
    found = _policies_of(call.db, entity)
    # Identity policies only: the reference names those and the ones passed in.
    return _key_names(found.identity_refs() + _any_kind_refs(params.get("PolicyInputList")))


HANDLERS: dict[str, Handler] = {
    "SimulateCustomPolicy": simulate_custom_policy,
    "SimulatePrincipalPolicy": simulate_principal_policy,
    "GetContextKeysForCustomPolicy": get_context_keys_for_custom_policy,
    "GetContextKeysForPrincipalPolicy": get_context_keys_for_principal_policy,
}
