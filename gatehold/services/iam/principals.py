"""One way to find, and authorize an action on, the user, group or role a policy
operation targets (attach/detach, inline policies, their lists)."""

from __future__ import annotations

from dataclasses import dataclass

from gatehold.services.call import Call
from gatehold.services.iam.entity_errors import protected_role
from gatehold.services.iam.roles import boundary_context, is_service_linked, role_for
from gatehold.services.iam.targets import authorize_group, authorize_user
from gatehold.store import attachments, users
from gatehold.store import roles as role_store

USER, GROUP, ROLE = attachments.USER, attachments.GROUP, attachments.ROLE
# The name member each kind's operations take and answer with.
NAME_MEMBER = {USER: "UserName", GROUP: "GroupName", ROLE: "RoleName"}
# Quota names in AWS's LimitExceeded texts ("Cannot exceed quota for PoliciesPerRole: 10",
# aws/eks-hybrid#741); IAM quotas page: 10 managed policies per user, group and role.
POLICY_QUOTA = {USER: "PoliciesPerUser", GROUP: "PoliciesPerGroup", ROLE: "PoliciesPerRole"}

Context = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Target:
    kind: str
    id: str
    name: str
    path: str
    arn: str
    service_linked: bool = False


def resolve(
    call: Call,
    kind: str,
    name: str,
    action: str,
    extra: Context | None = None,
    *,
    boundary: bool = False,
    modifiable: bool = False,
) -> Target:
    """Authorize `action` on the entity, then find it (NoSuchEntity if absent).
    `modifiable` refuses service-linked roles, which only AWS may change."""
    if kind == ROLE:
        role = role_for(call, action, name, extra, boundary=boundary)
        if modifiable and is_service_linked(role):
            raise protected_role(role.role_name)
        return Target(
            ROLE, role.role_id, role.role_name, role.path, role.arn, is_service_linked(role)
        )
    if kind == USER:
        # Read first for the boundary (iam:PermissionsBoundary); targets.py authorizes.
        found = users.get_by_name(call.db, call.ctx.principal.account_id, name)
        context = dict(extra or {})
        if boundary and found is not None:
            context.update(boundary_context(found.permissions_boundary_arn))
        user = authorize_user(call, action, name, context)
        return Target(USER, user.user_id, user.user_name, user.path, user.arn)
    group = authorize_group(call, action, name, extra)
    return Target(GROUP, group.group_id, group.group_name, group.path, group.arn)


def lock(call: Call, target: Target) -> None:
    """Serialize quota checks on one entity (see store users.lock / roles.lock)."""
    if target.kind == USER:
        users.lock(call.db, target.id)
    elif target.kind == ROLE:
        role_store.lock(call.db, target.id)
