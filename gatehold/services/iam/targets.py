"""Finding the user, group or role an operation acts on, authorizing on it first.

Every operation on a user authorizes on the user's real ARN (with its path) when
the user exists, else on the ARN its name alone gives, and only then answers
NoSuchEntity: a caller without permission learns nothing about which users exist.
The user's tags are offered as aws:ResourceTag/* (and iam:ResourceTag/*), which
the Service Authorization Reference lists for the user resource.

Operations whose UserName is optional act on the caller when it is left out;
for the root user that is the account itself (user None here).

Policy operations (attach/detach, inline policies, their lists) act on a user,
group or role alike: resolve() finds and authorizes any of the three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gatehold.arn import iam_arn
from gatehold.context import PrincipalKind
from gatehold.errors import AwsError, validation_error
from gatehold.services.call import Call
from gatehold.services.iam.entity_errors import protected_role
from gatehold.services.iam.errors import no_such_user
from gatehold.services.iam.identity_errors import no_such_group
from gatehold.services.iam.roles import boundary_context, is_service_linked, role_for
from gatehold.services.iam.tagging import resource_tag_context
from gatehold.store import attachments, groups, tags, users
from gatehold.store import roles as role_store
from gatehold.store.groups import Group
from gatehold.store.records import User

Context = Mapping[str, tuple[str, ...]]

USER_TAGS = "user"


# --- users and groups ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The user an operation acts on: `user` None means the account's root user."""

    user: User | None
    arn: str

    @property
    def user_id(self) -> str | None:
        return self.user.user_id if self.user else None

    @property
    def user_name(self) -> str | None:
        return self.user.user_name if self.user else None


def user_context(
    call: Call, user: User | None, extra: Context | None = None
) -> dict[str, tuple[str, ...]]:
    values = resource_tag_context(tags.get(call.db, USER_TAGS, user.user_id)) if user else {}
    values.update(extra or {})
    return values


def authorize_user(call: Call, action: str, name: str, extra: Context | None = None) -> User:
    """The user `name`, once the caller may do `action` on it; NoSuchEntity after that."""
    account_id = call.ctx.principal.account_id
    user = users.get_by_name(call.db, account_id, name)
    arn = user.arn if user else iam_arn(account_id, "user", "/", name)
    call.authorize(action, arn, user_context(call, user, extra))
    if user is None:
        raise no_such_user(name)
    return user


def authorize_user_or_caller(
    call: Call, action: str, name: str | None, extra: Context | None = None
) -> Target:
    """The named user, or the caller when `name` is None (root: Target(None, root ARN))."""
    if name is not None:
        user = authorize_user(call, action, name, extra)
        return Target(user, user.arn)
    p = call.ctx.principal
    if p.kind is PrincipalKind.ROOT:
        call.authorize(action, p.arn, extra)
        return Target(None, p.arn)
    if p.kind is not PrincipalKind.USER:
        raise caller_must_name_user()
    me = users.get_by_id(call.db, p.user_id)
    call.authorize(action, p.arn, user_context(call, me, extra))
    if me is None:  # deleted since the request was authenticated: never act as root
        raise no_such_user(p.user_name or "")
    return Target(me, p.arn)


def caller_must_name_user() -> AwsError:
    """A role or federated session has no user of its own to act on: without this,
    "the caller" would fall through to the account (root) — a role allowed iam:*
    could then create root access keys. AWS answers these calls so."""
    return validation_error("Must specify userName when calling with non-User credentials")


def authorize_group(call: Call, action: str, name: str, extra: Context | None = None) -> Group:
    """The group `name`, once the caller may do `action` on it; NoSuchEntity after that."""
    account_id = call.ctx.principal.account_id
    group = groups.get_by_name(call.db, account_id, name)
    call.authorize(action, group.arn if group else iam_arn(account_id, "group", "/", name), extra)
    if group is None:
        raise no_such_group(name)
    return group


def caller_or_named(call: Call, action: str, name: str | None) -> User | None:
    """The named user, or without a name the caller; None means the root user."""
    return authorize_user_or_caller(call, action, name).user


# --- the user, group or role of a policy operation ----------------------------

USER, GROUP, ROLE = attachments.USER, attachments.GROUP, attachments.ROLE
# The name member each kind's operations take and answer with.
NAME_MEMBER = {USER: "UserName", GROUP: "GroupName", ROLE: "RoleName"}
# Quota names in AWS's LimitExceeded texts ("Cannot exceed quota for PoliciesPerRole: 10",
# aws/eks-hybrid#741); IAM quotas page: 10 managed policies per user, group and role.
POLICY_QUOTA = {USER: "PoliciesPerUser", GROUP: "PoliciesPerGroup", ROLE: "PoliciesPerRole"}


@dataclass(frozen=True)
class PolicyTarget:
    """The user, group or role a policy operation acts on."""

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
    extra: dict[str, tuple[str, ...]] | None = None,
    *,
    boundary: bool = False,
    modifiable: bool = False,
) -> PolicyTarget:
    """Authorize `action` on the entity, then find it (NoSuchEntity if absent).
    `modifiable` refuses service-linked roles, which only AWS may change."""
    if kind == ROLE:
        role = role_for(call, action, name, extra, boundary=boundary)
        if modifiable and is_service_linked(role):
            raise protected_role(role.role_name)
        return PolicyTarget(
            ROLE, role.role_id, role.role_name, role.path, role.arn, is_service_linked(role)
        )
    if kind == USER:
        # Read first for the boundary (iam:PermissionsBoundary); authorize_user authorizes.
        found = users.get_by_name(call.db, call.ctx.principal.account_id, name)
        context = dict(extra or {})
        if boundary and found is not None:
            context.update(boundary_context(found.permissions_boundary_arn))
        user = authorize_user(call, action, name, context)
        return PolicyTarget(USER, user.user_id, user.user_name, user.path, user.arn)
    group = authorize_group(call, action, name, extra)
    return PolicyTarget(GROUP, group.group_id, group.group_name, group.path, group.arn)


def lock(call: Call, target: PolicyTarget) -> None:
    """Serialize quota checks on one entity (see store users.lock / roles.lock)."""
    if target.kind == USER:
        users.lock(call.db, target.id)
    elif target.kind == ROLE:
        role_store.lock(call.db, target.id)
