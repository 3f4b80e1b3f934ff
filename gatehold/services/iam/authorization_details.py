"""GetAccountAuthorizationDetails: every user, group, role and managed policy of the
account with the policies that apply to each, in one paged answer.

The answer walks five sections in order: users, groups, roles, customer managed
policies, then the AWS managed policies the account uses (attached or as a
boundary). The marker is [section, key...] of the last item returned, so each
page reads only what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Select

from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import tagging
from gatehold.services.iam.common import DEFAULT_MAX_ITEMS
from gatehold.services.iam.errors import invalid_input
from gatehold.services.iam.instance_profiles import profile_shapes
from gatehold.services.iam.listing import after_marker
from gatehold.services.iam.policy_support import (
    PolicyInfo,
    encode_document,
    find_many,
    from_aws,
    from_customer,
    policy_shape,
    usage_counts,
)
from gatehold.services.iam.policy_versions import version_shape, versions_of
from gatehold.services.iam.roles import ROLE_TAGS, last_used_shape
from gatehold.services.iam.targets import USER_TAGS
from gatehold.store import (
    attachments,
    groups,
    inline_policies,
    instance_profiles,
    managed_policies,
    policies,
    users,
)
from gatehold.store import roles as role_store
from gatehold.store.paging import encode_marker, keyset_page

USERS, GROUPS, ROLES, LOCAL, AWS = range(5)
_FILTERS = {
    "User": USERS,
    "Group": GROUPS,
    "Role": ROLES,
    "LocalManagedPolicy": LOCAL,
    "AWSManagedPolicy": AWS,
}
_OUTPUT = {
    USERS: "UserDetailList",
    GROUPS: "GroupDetailList",
    ROLES: "RoleDetailList",
    LOCAL: "Policies",
    AWS: "Policies",
}


def get_account_authorization_details(call: Call, params: Params) -> Result:
    call.authorize("iam:GetAccountAuthorizationDetails", "*")
    wanted = {_FILTERS[f] for f in params.get("Filter") or []} or set(_FILTERS.values())
    marker = after_marker(params, 3)
    if marker is not None and (not isinstance(marker[0], int) or marker[0] not in _OUTPUT):
        raise invalid_input("Invalid Marker.")
    start = marker[0] if marker else USERS
    remaining = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    result: Result = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    truncated, last = False, None
    for section in sorted(s for s in wanted if s >= start):
        after = marker[1:] if marker and section == start else None
        items, more = _SECTIONS[section](call, after, remaining)
        result[_OUTPUT[section]] += [shape for shape, _ in items]
        remaining -= len(items)
        if items:
            last = [section, *items[-1][1]]
        if more or (remaining == 0 and _has_more_sections(wanted, section)):
            truncated = True
            break
    result["IsTruncated"] = truncated
    if truncated and last is not None:
        result["Marker"] = encode_marker(last)
    return result


def _has_more_sections(wanted: set[int], section: int) -> bool:
    return any(s > section for s in wanted)


Items = list[tuple[dict[str, Any], list[Any]]]


def _page(
    call: Call, query: Select[Any], order: list[Column[Any]], after: list[Any] | None, limit: int
) -> tuple[list[Any], bool]:
    if limit <= 0:
        return [], True
    page = keyset_page(call.db, query, order, encode_marker(after) if after else None, limit)
    return page.rows, page.is_truncated


def _keys(rows: list[Any], order: list[Column[Any]]) -> list[list[Any]]:
    return [[r._mapping[c.name] for c in order] for r in rows]


def _attached(call: Call, kind: str, ids: list[str]) -> dict[str, list[dict[str, str]]]:
    arns = attachments.policy_arns_of(call.db, kind, ids)
    infos = find_many(
        call.db, call.ctx.principal.account_id, sorted({a for v in arns.values() for a in v})
    )
    return {
        pid: [{"PolicyName": infos[a].name, "PolicyArn": a} for a in v if a in infos]
        for pid, v in arns.items()
    }


def _inline(call: Call, kind: str, ids: list[str]) -> dict[str, list[dict[str, str]]]:
    docs = inline_policies.all_of_many(call.db, kind, ids)
    return {
        pid: [{"PolicyName": n, "PolicyDocument": encode_document(d)} for n, d in sorted(v.items())]
        for pid, v in docs.items()
    }


def _boundary(arn: str | None) -> dict[str, Any]:
    if not arn:
        return {}
    return {
        "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}
    }


def _users(call: Call, after: list[Any] | None, limit: int) -> tuple[Items, bool]:
    query, order = users.listing(call.ctx.principal.account_id, None)
    rows, more = _page(call, query, order, after, limit)
    records = [users.record(r) for r in rows]
    ids = [u.user_id for u in records]
    attached, inline = _attached(call, attachments.USER, ids), _inline(call, attachments.USER, ids)
    items: Items = []
    for user, key in zip(records, _keys(rows, order), strict=True):
        group_query, group_order = groups.groups_of_user_listing(user.user_id)
        group_names = [
            r._mapping["group_name"] for r in call.db.execute(group_query.order_by(*group_order))
        ]
        detail: dict[str, Any] = {
            "Path": user.path,
            "UserName": user.user_name,
            "UserId": user.user_id,
            "Arn": user.arn,
            "CreateDate": user.created_at,
            "UserPolicyList": inline[user.user_id],
            "GroupList": group_names,
            "AttachedManagedPolicies": attached[user.user_id],
            **_boundary(user.permissions_boundary_arn),
        }
        tags = tagging.listed(call.db, USER_TAGS, user.user_id)
        if tags:
            detail["Tags"] = tags
        items.append((detail, key))
    return items, more


def _groups(call: Call, after: list[Any] | None, limit: int) -> tuple[Items, bool]:
    query, order = groups.listing(call.ctx.principal.account_id, None)
    rows, more = _page(call, query, order, after, limit)
    records = [groups.record(r) for r in rows]
    ids = [g.group_id for g in records]
    attached, inline = (
        _attached(call, attachments.GROUP, ids),
        _inline(call, attachments.GROUP, ids),
    )
    items: Items = [
        (
            {
                "Path": g.path,
                "GroupName": g.group_name,
                "GroupId": g.group_id,
                "Arn": g.arn,
                "CreateDate": g.created_at,
                "GroupPolicyList": inline[g.group_id],
                "AttachedManagedPolicies": attached[g.group_id],
            },
            key,
        )
        for g, key in zip(records, _keys(rows, order), strict=True)
    ]
    return items, more


def _roles(call: Call, after: list[Any] | None, limit: int) -> tuple[Items, bool]:
    query, order = role_store.list_query(call.ctx.principal.account_id, None)
    rows, more = _page(call, query, order, after, limit)
    records = [role_store.record(r) for r in rows]
    ids = [r.role_id for r in records]
    attached, inline = _attached(call, attachments.ROLE, ids), _inline(call, attachments.ROLE, ids)
    profiles = instance_profiles.profiles_of_roles(call.db, ids)
    items: Items = []
    for role, key in zip(records, _keys(rows, order), strict=True):
        detail: dict[str, Any] = {
            "Path": role.path,
            "RoleName": role.role_name,
            "RoleId": role.role_id,
            "Arn": role.arn,
            "CreateDate": role.created_at,
            "AssumeRolePolicyDocument": encode_document(role.assume_role_policy_document),
            "InstanceProfileList": profile_shapes(call, profiles[role.role_id]),
            "RolePolicyList": inline[role.role_id],
            "AttachedManagedPolicies": attached[role.role_id],
            **_boundary(role.permissions_boundary_arn),
            "RoleLastUsed": last_used_shape(role),
        }
        tags = tagging.listed(call.db, ROLE_TAGS, role.role_id)
        if tags:
            detail["Tags"] = tags
        items.append((detail, key))
    return items, more


def _policy_details(call: Call, infos: list[PolicyInfo]) -> list[dict[str, Any]]:
    counts, boundaries = usage_counts(
        call.db, call.ctx.principal.account_id, [p.arn for p in infos]
    )
    details = []
    for info in infos:
        detail = policy_shape(info, counts.get(info.arn, 0), boundaries.get(info.arn, 0), full=True)
        detail["PolicyVersionList"] = [
            version_shape(v, info.default_version_id, document=True)
            for v in versions_of(call, info)
        ]
        details.append(detail)
    return details


def _local(call: Call, after: list[Any] | None, limit: int) -> tuple[Items, bool]:
    query, order = policies.list_query(
        call.ctx.principal.account_id,
        None,
        only_attached=False,
        as_permissions=True,
        as_boundary=True,
    )
    rows, more = _page(call, query, order, after, limit)
    infos = [from_customer(policies.record(r)) for r in rows]
    return list(zip(_policy_details(call, infos), _keys(rows, order), strict=True)), more


def _aws(call: Call, after: list[Any] | None, limit: int) -> tuple[Items, bool]:
    account = call.ctx.principal.account_id
    used = attachments.attached_arns_in_account(call.db, account, managed_policies.ARN_PREFIX)
    used |= policies.boundary_arns_in_account(call.db, account)
    candidates = [
        from_aws(p)
        for p in managed_policies.ordered()
        if p.arn in used and (after is None or [p.name.lower(), p.arn] > after)
    ]
    chosen = candidates[: max(limit, 0)]
    keys = [[p.name.lower(), p.arn] for p in chosen]
    items = list(zip(_policy_details(call, chosen), keys, strict=True))
    return items, len(candidates) > len(chosen)


_SECTIONS: dict[int, Callable[[Call, list[Any] | None, int], tuple[Items, bool]]] = {
    USERS: _users,
    GROUPS: _groups,
    ROLES: _roles,
    LOCAL: _local,
    AWS: _aws,
}


HANDLERS = {
    "GetAccountAuthorizationDetails": get_account_authorization_details,
}
