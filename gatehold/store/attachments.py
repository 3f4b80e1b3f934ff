"""Managed policies (customer or AWS) attached to users, groups and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, func, literal, select, union_all

from gatehold.store import schema
from gatehold.store.users import under_path

_t = schema.policy_attachments

USER, GROUP, ROLE = "user", "group", "role"


def attach(
    conn: Connection, principal_type: str, principal_id: str, policy_arn: str, now: datetime
) -> None:
    conn.execute(
        _t.insert().values(
            principal_type=principal_type,
            principal_id=principal_id,
            policy_arn=policy_arn,
            attached_at=now,
        )
    )


def attach_to_user(conn: Connection, user_id: str, policy_arn: str, now: datetime) -> None:
    attach(conn, USER, user_id, policy_arn, now)


def policy_arns(conn: Connection, principal_type: str, principal_id: str) -> list[str]:
    rows = conn.execute(
        select(_t.c.policy_arn)
        .where(_t.c.principal_type == principal_type, _t.c.principal_id == principal_id)
        .order_by(_t.c.attached_at, _t.c.policy_arn)
    )
    return [r[0] for r in rows]


def user_policy_arns(conn: Connection, user_id: str) -> list[str]:
    return policy_arns(conn, USER, user_id)


def detach(conn: Connection, principal_type: str, principal_id: str, policy_arn: str) -> bool:
    """Remove one attachment; False when it was not there."""
    result = conn.execute(
        _t.delete().where(
            _t.c.principal_type == principal_type,
            _t.c.principal_id == principal_id,
            _t.c.policy_arn == policy_arn,
        )
    )
    return bool(result.rowcount)


def is_attached(conn: Connection, principal_type: str, principal_id: str, policy_arn: str) -> bool:
    row = conn.execute(
        select(_t.c.policy_arn).where(
            _t.c.principal_type == principal_type,
            _t.c.principal_id == principal_id,
            _t.c.policy_arn == policy_arn,
        )
    ).first()
    return row is not None


def count_for(conn: Connection, principal_type: str, principal_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).where(
                _t.c.principal_type == principal_type, _t.c.principal_id == principal_id
            )
        ).scalar_one()
    )


def _account_principals(account_id: str) -> Any:
    """(principal_type, principal_id) of every user, group and role of an account.

    The attachments table has no account column: principals' IDs are unique across
    accounts, so an account's attachments are those of its principals.
    """
    u, g, r = schema.users, schema.groups, schema.roles
    return union_all(
        select(literal(USER).label("ptype"), u.c.user_id.label("pid")).where(
            u.c.account_id == account_id
        ),
        select(literal(GROUP).label("ptype"), g.c.group_id.label("pid")).where(
            g.c.account_id == account_id
        ),
        select(literal(ROLE).label("ptype"), r.c.role_id.label("pid")).where(
            r.c.account_id == account_id
        ),
    ).subquery()


def _in_account(account_id: str) -> Any:
    p = _account_principals(account_id)
    return exists().where(p.c.ptype == _t.c.principal_type, p.c.pid == _t.c.principal_id)


def counts_by_policy(conn: Connection, account_id: str, policy_arns: list[str]) -> dict[str, int]:
    """AttachmentCount: how many of the account's users, groups and roles have each policy."""
    if not policy_arns:
        return {}
    rows = conn.execute(
        select(_t.c.policy_arn, func.count())
        .where(_t.c.policy_arn.in_(policy_arns), _in_account(account_id))
        .group_by(_t.c.policy_arn)
    )
    return {r[0]: int(r[1]) for r in rows}


def attached_arns_in_account(conn: Connection, account_id: str, arn_prefix: str) -> set[str]:
    """Every policy ARN starting with `arn_prefix` attached to something in the account."""
    rows = conn.execute(
        select(_t.c.policy_arn)
        .distinct()
        .where(under_path(_t.c.policy_arn, arn_prefix), _in_account(account_id))
    )
    return {r[0] for r in rows}


def policy_arns_of(conn: Connection, principal_type: str, ids: list[str]) -> dict[str, list[str]]:
    """Attached policy ARNs of many principals of one type at once."""
    out: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        rows = conn.execute(
            select(_t.c.principal_id, _t.c.policy_arn)
            .where(_t.c.principal_type == principal_type, _t.c.principal_id.in_(ids))
            .order_by(_t.c.attached_at, _t.c.policy_arn)
        )
        for pid, arn in rows:
            out[pid].append(arn)
    return out


def detach_all(conn: Connection, principal_type: str, principal_id: str) -> None:
    conn.execute(
        _t.delete().where(_t.c.principal_type == principal_type, _t.c.principal_id == principal_id)
    )


def entities_for_policy(
    conn: Connection, account_id: str, policy_arn: str, *, attached: bool, bounded: bool
) -> list[tuple[str, str, str, str]]:
    """(principal_type, id, name, path) of the account's users, groups and roles that
    have the policy attached (`attached`) or as their permissions boundary (`bounded`)."""
    u, g, r = schema.users, schema.groups, schema.roles
    kinds = (
        (USER, u, u.c.user_id, u.c.user_name),
        (GROUP, g, g.c.group_id, g.c.group_name),
        (ROLE, r, r.c.role_id, r.c.role_name),
    )
    found: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for kind, table, id_col, name_col in kinds:
        queries = []
        if attached:
            queries.append(
                select(id_col, name_col, table.c.path)
                .join(_t, (_t.c.principal_id == id_col) & (_t.c.principal_type == kind))
                .where(_t.c.policy_arn == policy_arn, table.c.account_id == account_id)
            )
        if bounded and kind != GROUP:
            queries.append(
                select(id_col, name_col, table.c.path).where(
                    table.c.permissions_boundary_arn == policy_arn, table.c.account_id == account_id
                )
            )
        for query in queries:
            for pid, name, path in conn.execute(query):
                found[(kind, pid)] = (kind, pid, name, path)
    return list(found.values())
