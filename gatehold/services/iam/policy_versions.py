"""Versions of managed policies.

AWS (IAM User Guide, "Versioning IAM policies"): a customer managed policy keeps
at most 5 versions; version IDs count up and are never reused; the default version
is the one in force and cannot be deleted; UpdateDate is the creation time of the
newest version. AWS managed policies are served with their default version only.
"""

from __future__ import annotations

from typing import Any

from gatehold.policy import limits
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.common import authorization_changed, list_result
from gatehold.services.iam.entity_errors import default_version_delete, no_such_version
from gatehold.services.iam.errors import limit_exceeded
from gatehold.services.iam.listing import page_items
from gatehold.services.iam.policies import customer_policy, lookup
from gatehold.services.iam.policy_support import (
    PolicyInfo,
    check_document,
    check_size,
    encode_document,
)
from gatehold.store import policies as policy_store
from gatehold.store.policies import PolicyVersion

MAX_VERSIONS = 5
# The IAM API Reference, CreatePolicyVersion; the same text in real answers
# (openshift/rosa#821 works around it).
TOO_MANY_VERSIONS = (
    "A managed policy can have up to 5 versions. Before you create a new version, "
    "you must delete an existing version."
)


def _number(version_id: str) -> int:
    return int(version_id[1:].split(".")[0])


def version_shape(v: PolicyVersion, default_id: str, *, document: bool) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "VersionId": v.version_id,
        "IsDefaultVersion": v.version_id == default_id,
        "CreateDate": v.created_at,
    }
    if document:
        shape["Document"] = encode_document(v.document)
    return shape


def versions_of(call: Call, info: PolicyInfo) -> list[PolicyVersion]:
    """Newest first. An AWS managed policy shows its default version only."""
    if info.aws is not None:
        return [
            PolicyVersion(
                info.policy_id, info.default_version_id, info.aws.document_text, info.updated_at
            )
        ]
    return policy_store.versions(call.db, info.policy_id)


def create_policy_version(call: Call, params: Params) -> Result:
    policy = customer_policy(call, "iam:CreatePolicyVersion", params["PolicyArn"])
    document = params["PolicyDocument"]
    check_document(document)
    check_size(document, limits.MANAGED_POLICY, limits.managed_quota_message())
    policy_store.lock(call.db, policy.policy_id)
    policy = policy_store.get_by_arn(call.db, policy.arn) or policy  # as of the lock
    if policy_store.count_versions(call.db, policy.policy_id) >= MAX_VERSIONS:
        raise limit_exceeded(TOO_MANY_VERSIONS)
    now = call.ctx.now
    version_id = f"v{policy.next_version_number}"
    policy_store.add_version(call.db, policy.policy_id, version_id, document, now)
    changes: dict[str, Any] = {
        "next_version_number": policy.next_version_number + 1,
        "updated_at": now,
    }
    if params.get("SetAsDefault"):
        changes["default_version_id"] = version_id
    policy_store.update(call.db, policy.policy_id, **changes)
    if params.get("SetAsDefault"):
        authorization_changed(call)
    version = PolicyVersion(policy.policy_id, version_id, document, now)
    default_id = changes.get("default_version_id", policy.default_version_id)
    return {"PolicyVersion": version_shape(version, default_id, document=False)}


def get_policy_version(call: Call, params: Params) -> Result:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    info = lookup(call, "iam:GetPolicyVersion", arn)
    found = [v for v in versions_of(call, info) if v.version_id == version_id]
    if not found:
        raise no_such_version(arn, version_id)
    return {"PolicyVersion": version_shape(found[0], info.default_version_id, document=True)}


def delete_policy_version(call: Call, params: Params) -> Result:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    policy = customer_policy(call, "iam:DeletePolicyVersion", arn)
    if policy_store.get_version(call.db, policy.policy_id, version_id) is None:
        raise no_such_version(arn, version_id)
    if version_id == policy.default_version_id:
        raise default_version_delete()
    policy_store.delete_version(call.db, policy.policy_id, version_id)
    latest = policy_store.latest_version_date(call.db, policy.policy_id)
    policy_store.update(call.db, policy.policy_id, updated_at=latest)
    return {}


def list_policy_versions(call: Call, params: Params) -> Result:
    info = lookup(call, "iam:ListPolicyVersions", params["PolicyArn"])
    page = page_items(params, versions_of(call, info), lambda v: [-_number(v.version_id)], 1)
    items = [version_shape(v, info.default_version_id, document=False) for v in page.rows]
    return list_result("Versions", items, page)


def set_default_policy_version(call: Call, params: Params) -> Result:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    policy = customer_policy(call, "iam:SetDefaultPolicyVersion", arn)
    if policy_store.get_version(call.db, policy.policy_id, version_id) is None:
        raise no_such_version(arn, version_id)
    policy_store.update(call.db, policy.policy_id, default_version_id=version_id)
    authorization_changed(call)
    return {}


HANDLERS = {
    "CreatePolicyVersion": create_policy_version,
    "GetPolicyVersion": get_policy_version,
    "DeletePolicyVersion": delete_policy_version,
    "ListPolicyVersions": list_policy_versions,
    "SetDefaultPolicyVersion": set_default_policy_version,
}
