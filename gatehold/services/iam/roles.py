"""IAM roles: create, read, update, delete, list, tag and permissions boundaries.

Service-linked roles (under /aws-service-role/) are created and deleted by
service_linked_roles.py; AWS protects them from every other change.
"""

from __future__ import annotations

from typing import Any

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.policy import PolicyKind, limits
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import tagging
from gatehold.services.iam.common import authorization_changed, list_result, page_of
from gatehold.services.iam.entity_errors import (
    must_delete_policies,
    must_detach_policies,
    must_remove_from_instance_profiles,
    no_such_role,
    protected_role,
    role_exists,
)
from gatehold.services.iam.errors import quota_exceeded
from gatehold.services.iam.listing import page_items
from gatehold.services.iam.policy_support import check_boundary, check_document, encode_document
from gatehold.store import attachments, inline_policies, instance_profiles
from gatehold.store import roles as role_store
from gatehold.store import tags as tag_store
from gatehold.store.roles import Role

ROLE_TAGS = "role"
SERVICE_ROLE_PATH = "/aws-service-role/"
DEFAULT_MAX_SESSION = 3600
Context = dict[str, tuple[str, ...]]


def is_service_linked(role: Role) -> bool:
    return role.path.startswith(SERVICE_ROLE_PATH)


def boundary_context(arn: str | None) -> Context:
    return {"iam:PermissionsBoundary": (arn,)} if arn else {}


def role_for(
    call: Call, action: str, name: str, extra: Context | None = None, *, boundary: bool = False
) -> Role:
    """Authorize `action` on the role, then find it (NoSuchEntity if absent).

    The resource is the role's real ARN (with its path) when it exists; its tags
    give aws:ResourceTag/*; `boundary` adds iam:PermissionsBoundary, which AWS sets
    for the operations that change what a bounded role may do.
    """
    account = call.ctx.principal.account_id
    role = role_store.get_by_name(call.db, account, name)
    context: Context = {}
    if role is not None:
        context.update(
            tagging.resource_tag_context(tag_store.get(call.db, ROLE_TAGS, role.role_id))
        )
        if boundary:
            context.update(boundary_context(role.permissions_boundary_arn))
    context.update(extra or {})
    call.authorize(action, role.arn if role else iam_arn(account, "role", "/", name), context)
    if role is None:
        raise no_such_role(name)
    return role


def modifiable_role_for(
    call: Call, action: str, name: str, extra: Context | None = None, *, boundary: bool = False
) -> Role:
    role = role_for(call, action, name, extra, boundary=boundary)
    if is_service_linked(role):
        raise protected_role(role.role_name)
    return role


def check_trust_policy(document: str) -> None:
    check_document(document, PolicyKind.TRUST)
    # kubeflow/dashboard#29: "Cannot exceed quota for ACLSizePerRole: 2048".
    if limits.policy_size(document) > limits.ROLE_TRUST:
        raise quota_exceeded("ACLSizePerRole", limits.ROLE_TRUST)


def role_shape(call: Call, role: Role, *, listing: bool = False) -> dict[str, Any]:
    """The Role structure. ListRoles leaves out PermissionsBoundary, Tags and
    RoleLastUsed (IAM API Reference, ListRoles)."""
    shape: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.role_name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": encode_document(role.assume_role_policy_document),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description is not None:
        shape["Description"] = role.description
    if listing:
        return shape
    if role.permissions_boundary_arn:
        shape["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": role.permissions_boundary_arn,
        }
    tags = tagging.listed(call.db, ROLE_TAGS, role.role_id)
    if tags:
        shape["Tags"] = tags
    shape["RoleLastUsed"] = last_used_shape(role)
    return shape


def last_used_shape(role: Role) -> dict[str, Any]:
    # AWS answers an empty RoleLastUsed for a role never used.
    if role.last_used_at is None:
        return {}
    used: dict[str, Any] = {"LastUsedDate": role.last_used_at}
    if role.last_used_region:
        used["Region"] = role.last_used_region
    return used


def new_role(
    call: Call,
    name: str,
    path: str,
    trust: str,
    description: str | None,
    max_session: int,
    boundary: str | None,
) -> Role:
    account = call.ctx.principal.account_id
    return Role(
        role_id=ids.new_unique_id(ids.PREFIX_ROLE),
        account_id=account,
        role_name=name,
        path=path,
        arn=iam_arn(account, "role", path, name),
        created_at=call.ctx.now,
        assume_role_policy_document=trust,
        description=description,
        max_session_duration=max_session,
        permissions_boundary_arn=boundary,
        last_used_at=None,
        last_used_region=None,
    )


def create_role(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    name, path = params["RoleName"], params.get("Path") or "/"
    trust, tags, boundary = (
        params["AssumeRolePolicyDocument"],
        params.get("Tags"),
        params.get("PermissionsBoundary"),
    )
    context = {**tagging.request_tag_context(tags), **boundary_context(boundary)}
    call.authorize("iam:CreateRole", iam_arn(account, "role", path, name), context)
    if role_store.get_by_name(call.db, account, name) is not None:
        raise role_exists(name)
    check_trust_policy(trust)
    if boundary:
        check_boundary(call.db, account, boundary)
    pairs = tagging.tag_pairs(tags)
    tagging.check_new_tags(pairs)
    role = new_role(
        call,
        name,
        path,
        trust,
        params.get("Description"),
        params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION,
        boundary,
    )
    role_store.insert(call.db, role)
    if pairs:
        tagging.apply(call.db, ROLE_TAGS, role.role_id, pairs)
    authorization_changed(call)
    shape = role_shape(call, role)
    shape.pop("RoleLastUsed")
    return {"Role": shape}


def get_role(call: Call, params: Params) -> Result:
    role = role_for(call, "iam:GetRole", params["RoleName"])
    return {"Role": role_shape(call, role)}


def update_role(call: Call, params: Params) -> Result:
    role = role_for(call, "iam:UpdateRole", params["RoleName"])
    changes: dict[str, Any] = {}
    if "Description" in params:
        changes["description"] = params["Description"]
    if params.get("MaxSessionDuration") is not None:
        if is_service_linked(role):
            raise protected_role(role.role_name)
        changes["max_session_duration"] = params["MaxSessionDuration"]
    if changes:
        role_store.update(call.db, role.role_id, **changes)
    return {}


def update_role_description(call: Call, params: Params) -> Result:
    # AWS lets the description of a service-linked role be edited (IAM User Guide,
    # "Editing a service-linked role description").
    role = role_for(call, "iam:UpdateRoleDescription", params["RoleName"])
    role_store.update(call.db, role.role_id, description=params["Description"])
    updated = role_store.get_by_name(call.db, role.account_id, role.role_name)
    assert updated is not None
    return {"Role": role_shape(call, updated)}


def update_assume_role_policy(call: Call, params: Params) -> Result:
    role = modifiable_role_for(call, "iam:UpdateAssumeRolePolicy", params["RoleName"])
    document = params["PolicyDocument"]
    check_trust_policy(document)
    role_store.update(call.db, role.role_id, assume_role_policy_document=document)
    authorization_changed(call)
    return {}


def delete_role(call: Call, params: Params) -> Result:
    role = modifiable_role_for(call, "iam:DeleteRole", params["RoleName"])
    db = call.db
    if instance_profiles.count_for_role(db, role.role_id):
        raise must_remove_from_instance_profiles()
    if attachments.count_for(db, attachments.ROLE, role.role_id):
        raise must_detach_policies()
    if inline_policies.count(db, attachments.ROLE, role.role_id):
        raise must_delete_policies()
    remove_role(call, role)
    return {}


def remove_role(call: Call, role: Role) -> None:
    """Delete a role and everything that hangs off it."""
    db = call.db
    for profile_id in [
        p.instance_profile_id
        for p in instance_profiles.profiles_of_roles(db, [role.role_id])[role.role_id]
    ]:
        instance_profiles.remove_role(db, profile_id, role.role_id)
    attachments.detach_all(db, attachments.ROLE, role.role_id)
    inline_policies.delete_all(db, attachments.ROLE, role.role_id)
    tag_store.remove_all(db, ROLE_TAGS, role.role_id)
    role_store.delete(db, role.role_id)
    authorization_changed(call)


def list_roles(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    prefix = params.get("PathPrefix")
    call.authorize("iam:ListRoles", iam_arn(account, "role", prefix or "/", ""))
    query, order = role_store.list_query(account, prefix)
    page = page_of(call, params, query, order)
    items = [role_shape(call, role_store.record(r), listing=True) for r in page.rows]
    return list_result("Roles", items, page)


# --- tags -----------------------------------------------------------------------


def tag_role(call: Call, params: Params) -> Result:
    tags = params["Tags"]
    role = role_for(call, "iam:TagRole", params["RoleName"], tagging.request_tag_context(tags))
    tagging.apply(call.db, ROLE_TAGS, role.role_id, tagging.tag_pairs(tags))
    authorization_changed(call)
    return {}


def untag_role(call: Call, params: Params) -> Result:
    keys = params["TagKeys"]
    role = role_for(call, "iam:UntagRole", params["RoleName"], tagging.untag_context(keys))
    tag_store.remove(call.db, ROLE_TAGS, role.role_id, keys)
    authorization_changed(call)
    return {}


def list_role_tags(call: Call, params: Params) -> Result:
    role = role_for(call, "iam:ListRoleTags", params["RoleName"])
    tags = tagging.listed(call.db, ROLE_TAGS, role.role_id)
    page = page_items(params, list(enumerate(tags)), lambda t: [t[0]], 1)
    return list_result("Tags", [t for _, t in page.rows], page)


# --- permissions boundary ---------------------------------------------------------


def put_role_permissions_boundary(call: Call, params: Params) -> Result:
    arn = params["PermissionsBoundary"]
    role = modifiable_role_for(
        call, "iam:PutRolePermissionsBoundary", params["RoleName"], boundary_context(arn)
    )
    check_boundary(call.db, role.account_id, arn)
    role_store.update(call.db, role.role_id, permissions_boundary_arn=arn)
    authorization_changed(call)
    return {}


def delete_role_permissions_boundary(call: Call, params: Params) -> Result:
    role = modifiable_role_for(
        call, "iam:DeleteRolePermissionsBoundary", params["RoleName"], boundary=True
    )
    role_store.update(call.db, role.role_id, permissions_boundary_arn=None)
    authorization_changed(call)
    return {}


HANDLERS = {
    "CreateRole": create_role,
    "GetRole": get_role,
    "UpdateRole": update_role,
    "UpdateRoleDescription": update_role_description,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "DeleteRole": delete_role,
    "ListRoles": list_roles,
    "TagRole": tag_role,
    "UntagRole": untag_role,
    "ListRoleTags": list_role_tags,
    "PutRolePermissionsBoundary": put_role_permissions_boundary,
    "DeleteRolePermissionsBoundary": delete_role_permissions_boundary,
}
