"""Attaching managed policies to users, groups and roles, and listing attachments.

AWS: attaching a policy that is already attached succeeds and changes nothing;
at most 10 managed policies per user, group or role (IAM quotas page); policies
under /aws-service-role/ attach only to service-linked roles, which AWS alone
changes. The condition key iam:PolicyARN names the policy (Service Authorization
Reference, Attach*/Detach*Policy).
"""

from __future__ import annotations

from typing import Any

from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.common import authorization_changed, list_result
from gatehold.services.iam.entity_errors import (
    no_such_policy,
    not_attachable,
    service_role_policy_not_attachable,
)
from gatehold.services.iam.errors import quota_exceeded
from gatehold.services.iam.listing import page_items
from gatehold.services.iam.policies import check_arn, lookup
from gatehold.services.iam.policy_support import PolicyInfo, find, find_many
from gatehold.services.iam.targets import (
    GROUP,
    NAME_MEMBER,
    POLICY_QUOTA,
    ROLE,
    USER,
    lock,
    resolve,
)
from gatehold.store import attachments

MAX_ATTACHED = 10


def _policy_context(arn: str) -> dict[str, tuple[str, ...]]:
    return {"iam:PolicyARN": (arn,)}


def attach(call: Call, params: Params, kind: str, action: str) -> Result:
    arn = params["PolicyArn"]
    check_arn(arn)
    target = resolve(
        call,
        kind,
        params[NAME_MEMBER[kind]],
        action,
        _policy_context(arn),
        boundary=kind != GROUP,
        modifiable=True,
    )
    info = find(call.db, call.ctx.principal.account_id, arn)
    if info is None:
        raise not_attachable(arn)
    if info.aws is not None and info.aws.is_service_role_policy:
        raise service_role_policy_not_attachable()
    lock(call, target)
    if attachments.is_attached(call.db, kind, target.id, arn):
        return {}
    if attachments.count_for(call.db, kind, target.id) >= MAX_ATTACHED:
        raise quota_exceeded(POLICY_QUOTA[kind], MAX_ATTACHED)
    attachments.attach(call.db, kind, target.id, arn, call.ctx.now)
    authorization_changed(call)
    return {}


def detach(call: Call, params: Params, kind: str, action: str) -> Result:
    arn = params["PolicyArn"]
    check_arn(arn)
    target = resolve(
        call,
        kind,
        params[NAME_MEMBER[kind]],
        action,
        _policy_context(arn),
        boundary=kind != GROUP,
        modifiable=True,
    )
    if not attachments.detach(call.db, kind, target.id, arn):
        # pulumi/pulumi-aws#501: detaching what is not attached answers
        # "Policy arn:... was not found." (NoSuchEntity, 404).
        raise no_such_policy(arn)
    authorization_changed(call)
    return {}


def list_attached(call: Call, params: Params, kind: str, action: str) -> Result:
    target = resolve(call, kind, params[NAME_MEMBER[kind]], action)
    arns = attachments.policy_arns(call.db, kind, target.id)
    found = find_many(call.db, call.ctx.principal.account_id, arns)
    prefix = params.get("PathPrefix")
    policies = sorted(
        (p for p in found.values() if not prefix or p.path.startswith(prefix)),
        key=lambda p: (p.name.lower(), p.arn),
    )
    page = page_items(params, policies, _key, 2)
    items = [{"PolicyName": p.name, "PolicyArn": p.arn} for p in page.rows]
    return list_result("AttachedPolicies", items, page)


def _key(p: PolicyInfo) -> list[Any]:
    return [p.name.lower(), p.arn]


# --- ListEntitiesForPolicy --------------------------------------------------------

_ENTITY_FILTER = {"User": USER, "Group": GROUP, "Role": ROLE}
_ORDER = {GROUP: 0, USER: 1, ROLE: 2}
_SHAPES = {
    GROUP: ("PolicyGroups", "GroupName", "GroupId"),
    USER: ("PolicyUsers", "UserName", "UserId"),
    ROLE: ("PolicyRoles", "RoleName", "RoleId"),
}


def list_entities_for_policy(call: Call, params: Params) -> Result:
    info = lookup(call, "iam:ListEntitiesForPolicy", params["PolicyArn"])
    usage = params.get("PolicyUsageFilter")
    entities = attachments.entities_for_policy(
        call.db,
        call.ctx.principal.account_id,
        info.arn,
        attached=usage in (None, "PermissionsPolicy"),
        bounded=usage in (None, "PermissionsBoundary"),
    )
    wanted = params.get("EntityFilter")
    # LocalManagedPolicy and AWSManagedPolicy name no kind of entity: nothing matches.
    kinds = (
        {_ENTITY_FILTER[wanted]} if wanted in _ENTITY_FILTER else (set() if wanted else set(_ORDER))
    )
    prefix = params.get("PathPrefix")
    chosen = sorted(
        (e for e in entities if e[0] in kinds and (not prefix or e[3].startswith(prefix))),
        key=_entity_key,
    )
    page = page_items(params, chosen, _entity_key, 3)
    result: Result = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
    for kind, pid, name, _ in page.rows:
        member, name_key, id_key = _SHAPES[kind]
        result[member].append({name_key: name, id_key: pid})
    result["IsTruncated"] = page.is_truncated
    if page.marker is not None:
        result["Marker"] = page.marker
    return result


def _entity_key(e: tuple[str, str, str, str]) -> list[Any]:
    return [_ORDER[e[0]], e[2].lower(), e[1]]


def attach_user_policy(call: Call, params: Params) -> Result:
    return attach(call, params, USER, "iam:AttachUserPolicy")


def attach_group_policy(call: Call, params: Params) -> Result:
    return attach(call, params, GROUP, "iam:AttachGroupPolicy")


def attach_role_policy(call: Call, params: Params) -> Result:
    return attach(call, params, ROLE, "iam:AttachRolePolicy")


def detach_user_policy(call: Call, params: Params) -> Result:
    return detach(call, params, USER, "iam:DetachUserPolicy")


def detach_group_policy(call: Call, params: Params) -> Result:
    return detach(call, params, GROUP, "iam:DetachGroupPolicy")


def detach_role_policy(call: Call, params: Params) -> Result:
    return detach(call, params, ROLE, "iam:DetachRolePolicy")


def list_attached_user_policies(call: Call, params: Params) -> Result:
    return list_attached(call, params, USER, "iam:ListAttachedUserPolicies")


def list_attached_group_policies(call: Call, params: Params) -> Result:
    return list_attached(call, params, GROUP, "iam:ListAttachedGroupPolicies")


def list_attached_role_policies(call: Call, params: Params) -> Result:
    return list_attached(call, params, ROLE, "iam:ListAttachedRolePolicies")


HANDLERS = {
    "AttachUserPolicy": attach_user_policy,
    "AttachGroupPolicy": attach_group_policy,
    "AttachRolePolicy": attach_role_policy,
    "DetachUserPolicy": detach_user_policy,
    "DetachGroupPolicy": detach_group_policy,
    "DetachRolePolicy": detach_role_policy,
    "ListAttachedUserPolicies": list_attached_user_policies,
    "ListAttachedGroupPolicies": list_attached_group_policies,
    "ListAttachedRolePolicies": list_attached_role_policies,
    "ListEntitiesForPolicy": list_entities_for_policy,
}
