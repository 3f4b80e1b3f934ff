"""Finding the user (or group) an operation acts on, authorizing on it first.

Every operation on a user authorizes on the user's real ARN (with its path) when
the user exists, else on the ARN its name alone gives, and only then answers
NoSuchEntity: a caller without permission learns nothing about which users exist.
The user's tags are offered as aws:ResourceTag/* (and iam:ResourceTag/*), which
the Service Authorization Reference lists for the user resource.

Operations whose UserName is optional act on the caller when it is left out;
for the root user that is the account itself (user None here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gatehold.arn import iam_arn
from gatehold.context import PrincipalKind
from gatehold.errors import AwsError, validation_error
from gatehold.services.call import Call
from gatehold.services.iam.errors import no_such_user
from gatehold.services.iam.identity_errors import no_such_group
from gatehold.services.iam.tagging import resource_tag_context
from gatehold.store import groups, tags, users
from gatehold.store.groups import Group
from gatehold.store.records import User

Context = Mapping[str, tuple[str, ...]]

USER_TAGS = "user"


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
