"""The Policy Simulator's inputs, checked and turned into engine values.

The protocol layer has already checked shapes, lengths and enums against
botocore's model; here are the semantic checks AWS makes. Texts seen in real AWS
answers: "'<x>' is not a valid as a Resource Owner." (boto/botocore#1346, AWS's
own grammar), "ResourceNames are not in a valid ARN format: <x>."
(aws-containers/amazon-ecs-exec-checker#35) and "Invalid Entity Arn: <arn> does
not clearly define entity type and name." (several issues quoting
SimulatePrincipalPolicy). The other texts below could not be confirmed against a
real AWS answer and say so where they are defined.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatehold.authz.policies import IAM_POLICY, parse_cached
from gatehold.errors import AwsError
from gatehold.policy import MalformedPolicy, Policy, PolicyKind, PolicyRef
from gatehold.policy.conditions import parse_binary, parse_date, parse_network, parse_number
from gatehold.services.iam.errors import invalid_input
from gatehold.store.paging import BadMarker, decode_marker, encode_marker

RESOURCE_POLICY_ID = "ResourcePolicy"
RESOURCE_POLICY_TYPE = "Resource Policy"  # as real AWS answers show it

# The scenarios the API reference lists for ResourceHandlingOption (the EC2-Classic
# ones are from older versions of the page; AWS still accepts them in its SDK docs).
RESOURCE_HANDLING_OPTIONS = frozenset(
    {
        "EC2-Classic-InstanceStore",
        "EC2-Classic-EBS",
        "EC2-VPC-InstanceStore",
        "EC2-VPC-InstanceStore-Subnet",
        "EC2-VPC-EBS",
        "EC2-VPC-EBS-Subnet",
    }
)

_ENTITY_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):(user|group|role)(/(?:[^/]+/)*)([^/]+)$")
_ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")


@dataclass(frozen=True)
class EntityArn:
    arn: str
    account_id: str
    kind: str  # "user" | "group" | "role"
    path: str
    name: str


def entity_arn(arn: str) -> EntityArn | None:
    """A user, group or role ARN, or None for anything else (assumed roles, services ...)."""
    m = _ENTITY_ARN.match(arn)
    if m is None:
        return None
    return EntityArn(arn, m.group(2), m.group(3), m.group(4), m.group(5))


def invalid_entity_arn(arn: str) -> AwsError:
    return invalid_input(f"Invalid Entity Arn: {arn} does not clearly define entity type and name.")


def source_entity(arn: str) -> EntityArn:
    parsed = entity_arn(arn)
    if parsed is None:
        raise invalid_entity_arn(arn)
    return parsed


def caller(arn: str | None) -> EntityArn | None:
    """CallerArn: an IAM user, group or role, never an assumed role or a service."""
    if arn is None:
        return None
    parsed = entity_arn(arn)
    if parsed is None:
        raise invalid_entity_arn(arn)
    return parsed


def resource_owner(value: str | None) -> str | None:
    """ResourceOwner, written arn:aws:iam::ACCOUNT:root; the account ID it names."""
    if value is None:
        return None
    m = _ROOT_ARN.match(value)
    if m is None:
        raise invalid_input(f"'{value}' is not a valid as a Resource Owner.")
    return m.group(1)


def resource_arns(values: Sequence[str] | None, *, with_resource_policy: bool) -> list[str]:
    """ResourceArns (default "*"): each "*" or an ARN."""
    resources = list(values or ["*"])
    for resource in resources:
        if resource == "*":
            if with_resource_policy:
                # A resource policy needs a real resource to be attached to; AWS's
                # exact text here is unconfirmed (it reuses the entity-ARN wording).
                raise invalid_entity_arn(resource)
            continue
        parts = resource.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
            raise invalid_input(f"ResourceNames are not in a valid ARN format: {resource}.")
    return resources


def action_names(values: Sequence[str]) -> list[str]:
    """ActionNames: service:Action, without wildcards (API reference).

    The wording is unconfirmed; it follows the policy grammar's vendor message.
    """
    for action in values:
        service, sep, name = action.partition(":")
        if not sep or not service or not name or ":" in name:
            raise invalid_input(
                f"Invalid action name {action}: "
                "actions must be prefaced by a vendor, e.g., iam:CreateUser."
            )
        if "*" in action or "?" in action:
            raise invalid_input(f"Invalid action name {action}: wildcards are not supported.")
    return list(values)


def resource_handling_option(value: str | None) -> None:
    if value is not None and value not in RESOURCE_HANDLING_OPTIONS:
        # Unconfirmed wording.
        raise invalid_input(f"Invalid ResourceHandlingOption: {value}.")


# --- policies -----------------------------------------------------------------------


def policy_refs(
    texts: Sequence[str] | None, prefix: str, kind: PolicyKind = PolicyKind.IDENTITY
) -> list[PolicyRef]:
    """Policies given as strings, named as AWS names them: "PolicyInputList.1" ..."""
    refs = []
    for i, text in enumerate(texts or [], start=1):
        refs.append(PolicyRef(parse_input(text, kind), f"{prefix}.{i}", IAM_POLICY))
    return refs


def boundary_refs(texts: Sequence[str] | None) -> list[PolicyRef] | None:
    if not texts:
        return None
    if len(texts) > 1:
        # AWS: one boundary at most (API reference). Wording unconfirmed.
        raise invalid_input("The list of Permissions Boundary policies cannot exceed 1 items.")
    return policy_refs(texts, "PermissionsBoundaryPolicyInputList", PolicyKind.BOUNDARY)


def resource_policy_ref(text: str | None) -> PolicyRef | None:
    if text is None:
        return None
    return PolicyRef(
        parse_input(text, PolicyKind.RESOURCE), RESOURCE_POLICY_ID, RESOURCE_POLICY_TYPE
    )


def organization_levels(levels: Sequence[dict[str, Any]] | None) -> list[list[PolicyRef]] | None:
    """OrderedOrganizationPolicyInputList: SCPs per level, root first, account last."""
    if not levels:
        return None
    out = []
    for n, level in enumerate(levels, start=1):
        texts = level.get("ServiceControlPolicyInputList") or []
        if not texts:
            # Unconfirmed wording.
            raise invalid_input(
                f"Organization policy at index {n} "
                "must contain at least one service control policy."
            )
        out.append(policy_refs(texts, f"OrderedOrganizationPolicyInputList.{n}", PolicyKind.SCP))
    return out


def parse_input(text: str, kind: PolicyKind) -> Policy:
    """A caller's policy text, compiled (and cached by content).

    AWS's answer to a malformed input policy is not confirmed; the operation only
    models InvalidInput, so that is the code, with AWS's MalformedPolicyDocument
    reason as the message.
    """
    try:
        return parse_cached(text, kind)
    except MalformedPolicy as exc:
        raise invalid_input(exc.reason) from exc


# --- context ------------------------------------------------------------------------

_VALUE_CHECKS = {
    "numeric": (parse_number, "numeric"),
    "date": (parse_date, "date"),
    "ip": (parse_network, "IP address"),
    "binary": (parse_binary, "base-64 encoded binary"),
}


def _checked(name: str, kind: str, value: str) -> str:
    base = kind.removesuffix("List")
    if base == "boolean":
        if value.strip().lower() not in ("true", "false"):
            raise invalid_input(
                f"Invalid value {value} for context key {name}: expected a boolean."
            )
        return value.strip().lower()
    check = _VALUE_CHECKS.get(base)
    if check is not None:
        parse, what = check
        try:
            parse(value)
        except (ValueError, TypeError) as exc:
            # Unconfirmed wording.
            raise invalid_input(
                f"Invalid value {value} for context key {name}: expected {what}."
            ) from exc
    return value


def context(entries: Sequence[dict[str, Any]] | None) -> dict[str, tuple[str, ...]]:
    """ContextEntries as the engine's context: key -> values (all as strings).

    The engine compares by operator, so each value only has to be readable as the
    type it claims. A key given twice (names ignore case) keeps its first entry.
    """
    out: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for entry in entries or []:
        name = entry.get("ContextKeyName")
        if not name:
            raise invalid_input("ContextKeyName cannot be null or empty.")  # unconfirmed
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        kind = entry.get("ContextKeyType") or "string"
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        out[name] = tuple(_checked(name, kind, v) for v in values)
    return out


# --- paging -------------------------------------------------------------------------


def page_bounds(marker: str | None, max_items: int | None, total: int) -> tuple[int, int]:
    """[start, stop) of the results one page holds (Marker/MaxItems, 100 by default)."""
    start = 0
    if marker:
        try:
            offset, expected_total = decode_marker(marker, 2)
        except BadMarker as exc:
            raise invalid_input("Invalid Marker.") from exc
        if not isinstance(offset, int) or expected_total != total or not 0 < offset < total:
            raise invalid_input("Invalid Marker.")
        start = offset
    return start, min(total, start + (max_items or 100))


def next_marker(stop: int, total: int) -> str | None:
    return encode_marker([stop, total]) if stop < total else None
