"""IAM groups and their members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from gatehold.store import schema
from gatehold.store.users import under_path

_t = schema.groups
_m = schema.group_members
_u = schema.users


@dataclass(frozen=True)
class Group:
    group_id: str
    account_id: str
    group_name: str
    path: str
    arn: str
    created_at: datetime


def record(row: Any) -> Group:
    m = row._mapping
    return Group(
        group_id=m["group_id"],
        account_id=m["account_id"],
        group_name=m["group_name"],
        path=m["path"],
        arn=m["arn"],
        created_at=m["created_at"],
    )


def insert(conn: Connection, group: Group) -> None:
    conn.execute(
        _t.insert().values(
            group_id=group.group_id,
            account_id=group.account_id,
            group_name=group.group_name,
            group_name_lower=group.group_name.lower(),
            path=group.path,
            arn=group.arn,
            created_at=group.created_at,
        )
    )


def get_by_name(conn: Connection, account_id: str, group_name: str) -> Group | None:
    row = conn.execute(
        select(_t).where(_t.c.account_id == account_id, _t.c.group_name_lower == group_name.lower())
    ).first()
    return record(row) if row else None


def rename(conn: Connection, group_id: str, name: str, path: str, arn: str) -> None:
    conn.execute(
        _t.update()
        .where(_t.c.group_id == group_id)
        .values(group_name=name, group_name_lower=name.lower(), path=path, arn=arn)
    )


def delete(conn: Connection, group_id: str) -> None:
    conn.execute(_t.delete().where(_t.c.group_id == group_id))


def count_for_account(conn: Connection, account_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(_t).where(_t.c.account_id == account_id)
        ).scalar_one()
    )


def listing(account_id: str, path_prefix: str | None) -> tuple[Select[Any], list[Any]]:
    """The query ListGroups pages through, and its order (name, case-insensitively)."""
    query = select(_t).where(_t.c.account_id == account_id)
    if path_prefix:
        query = query.where(under_path(_t.c.path, path_prefix))
    return query, [_t.c.group_name_lower, _t.c.group_id]


# --- membership -----------------------------------------------------------------


def is_member(conn: Connection, group_id: str, user_id: str) -> bool:
    row = conn.execute(
        select(_m.c.group_id).where(_m.c.group_id == group_id, _m.c.user_id == user_id)
    ).first()
    return row is not None


def add_member(conn: Connection, group_id: str, user_id: str, now: datetime) -> None:
    conn.execute(_m.insert().values(group_id=group_id, user_id=user_id, added_at=now))


def remove_member(conn: Connection, group_id: str, user_id: str) -> None:
    conn.execute(_m.delete().where(_m.c.group_id == group_id, _m.c.user_id == user_id))


def count_groups_of_user(conn: Connection, user_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(_m).where(_m.c.user_id == user_id)
        ).scalar_one()
    )


def has_members(conn: Connection, group_id: str) -> bool:
    return (
        conn.execute(select(_m.c.user_id).where(_m.c.group_id == group_id).limit(1)).first()
        is not None
    )


def members_listing(group_id: str) -> tuple[Select[Any], list[Any]]:
    """The users of a group, as GetGroup pages through them (by name)."""
    query = select(_u).join(_m, _m.c.user_id == _u.c.user_id).where(_m.c.group_id == group_id)
    return query, [_u.c.user_name_lower, _u.c.user_id]


def groups_of_user_listing(user_id: str) -> tuple[Select[Any], list[Any]]:
    """The groups a user is in, as ListGroupsForUser pages through them (by name)."""
    query = select(_t).join(_m, _m.c.group_id == _t.c.group_id).where(_m.c.user_id == user_id)
    return query, [_t.c.group_name_lower, _t.c.group_id]
