"""What policy operations share: document checks, AWS's URL-encoding of documents,
one view over customer and AWS managed policies, and their response shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection

from gatehold.policy import MalformedPolicy, PolicyKind, parse_policy
from gatehold.policy.limits import policy_size
from gatehold.services.iam.errors import limit_exceeded, malformed_policy_document, no_such_entity
from gatehold.services.iam.tagging import resource_tag_context
from gatehold.store import attachments, managed_policies
from gatehold.store import policies as policy_store
from gatehold.store import tags as tag_store
from gatehold.store.managed_policies import ManagedPolicy
from gatehold.store.policies import CustomerPolicy

POLICY_TAGS = "policy"


def encode_document(text: str) -> str:
    """Policy documents travel URL-encoded (RFC 3986) in every IAM response that
    carries one (GetPolicyVersion, GetRolePolicy, GetRole's trust policy, ...), as the
    IAM API Reference says of each; botocore decodes them back (handlers.json_decode_policies)."""
    return quote(text, safe="")


def check_document(text: str, kind: PolicyKind = PolicyKind.IDENTITY) -> None:
    """Raise MalformedPolicyDocument with the engine's (AWS's) reason."""
    try:
        parse_policy(text, kind=kind)
    except MalformedPolicy as exc:
        raise malformed_policy_document(exc.reason) from exc


def check_size(text: str, quota: int, message: str) -> None:
    if policy_size(text) > quota:
        raise limit_exceeded(message)


@dataclass(frozen=True)
class PolicyInfo:
    """A managed policy, customer or AWS, as the API describes it."""

    arn: str
    name: str
    path: str
    policy_id: str
    default_version_id: str
    description: str
    created_at: datetime
    updated_at: datetime
    customer: CustomerPolicy | None = None
    aws: ManagedPolicy | None = None

    @property
    def is_aws_managed(self) -> bool:
        return self.aws is not None


def from_customer(p: CustomerPolicy) -> PolicyInfo:
    return PolicyInfo(
        p.arn,
        p.policy_name,
        p.path,
        p.policy_id,
        p.default_version_id,
        p.description or "",
        p.created_at,
        p.updated_at,
        customer=p,
    )


def from_aws(p: ManagedPolicy) -> PolicyInfo:
    return PolicyInfo(
        p.arn,
        p.name,
        p.path,
        p.policy_id,
        p.default_version_id,
        p.description,
        p.create_date,
        p.update_date,
        aws=p,
    )


def find(db: Connection, account_id: str, arn: str) -> PolicyInfo | None:
    """The policy an ARN names, if the caller's account can see it."""
    if managed_policies.is_aws_managed_arn(arn):
        aws = managed_policies.get(arn)
        return from_aws(aws) if aws else None
    customer = policy_store.get_by_arn(db, arn)
    if customer is None or customer.account_id != account_id:
        return None
    return from_customer(customer)


def find_many(db: Connection, account_id: str, arns: list[str]) -> dict[str, PolicyInfo]:
    found: dict[str, PolicyInfo] = {}
    local = []
    for arn in arns:
        if managed_policies.is_aws_managed_arn(arn):
            aws = managed_policies.get(arn)
            if aws:
                found[arn] = from_aws(aws)
        else:
            local.append(arn)
    for arn, p in policy_store.get_by_arns(db, local).items():
        if p.account_id == account_id:
            found[arn] = from_customer(p)
    return found


def tag_context(db: Connection, info: PolicyInfo | None) -> dict[str, tuple[str, ...]]:
    """aws:ResourceTag/* of a customer managed policy (AWS managed ones have none)."""
    if info is None or info.customer is None:
        return {}
    return resource_tag_context(tag_store.get(db, POLICY_TAGS, info.policy_id))


def policy_shape(
    info: PolicyInfo,
    attachment_count: int,
    boundary_count: int,
    *,
    full: bool = False,
    tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The Policy structure. List operations leave out Description and Tags, as AWS
    does ("resource-listing operations return a subset of the available attributes")."""
    shape: dict[str, Any] = {
        "PolicyName": info.name,
        "PolicyId": info.policy_id,
        "Arn": info.arn,
        "Path": info.path,
        "DefaultVersionId": info.default_version_id,
        "AttachmentCount": attachment_count,
        "PermissionsBoundaryUsageCount": boundary_count,
        "IsAttachable": True,
        "CreateDate": info.created_at,
        "UpdateDate": info.updated_at,
    }
    if full and info.description:
        shape["Description"] = info.description
    if full and tags:
        shape["Tags"] = tags
    return shape


def usage_counts(
    db: Connection, account_id: str, arns: list[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """(AttachmentCount, PermissionsBoundaryUsageCount) of each policy, in this account."""
    return (
        attachments.counts_by_policy(db, account_id, arns),
        policy_store.boundary_counts(db, account_id, arns),
    )


def check_boundary(db: Connection, account_id: str, arn: str) -> None:
    """A permissions boundary must be a managed policy the account can attach.
    Same answer as for users' boundaries (user_settings.check_boundary)."""
    if find(db, account_id, arn) is None:
        raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
