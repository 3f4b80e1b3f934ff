"""IAM users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from gatehold.store import schema
from gatehold.store.records import User

_t = schema.users


def _record(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(
        user_id=m["user_id"],
        account_id=m["account_id"],
        user_name=m["user_name"],
        path=m["path"],
        arn=m["arn"],
        created_at=m["created_at"],
        password_last_used=m["password_last_used"],
        permissions_boundary_arn=m["permissions_boundary_arn"],
    )


def insert(conn: Connection, user: User) -> None:
    conn.execute(
        _t.insert().values(
            user_id=user.user_id,
            account_id=user.account_id,
            user_name=user.user_name,
            user_name_lower=user.user_name.lower(),
            path=user.path,
            arn=user.arn,
            created_at=user.created_at,
            password_last_used=user.password_last_used,
            permissions_boundary_arn=user.permissions_boundary_arn,
        )
    )


def get_by_name(conn: Connection, account_id: str, user_name: str) -> User | None:
    row = conn.execute(
        select(_t).where(_t.c.account_id == account_id, _t.c.user_name_lower == user_name.lower())
    ).first()
    return _record(row) if row else None


def get_by_id(conn: Connection, user_id: str) -> User | None:
    row = conn.execute(select(_t).where(_t.c.user_id == user_id)).first()
    return _record(row) if row else None


def under_path(column: Any, prefix: str) -> Any:
    """`column` starts with `prefix`, case-sensitively on both stores (SQLite's LIKE
    ignores case, and IAM paths are case-sensitive)."""
    return func.substr(column, 1, len(prefix)) == prefix


def listing(account_id: str, path_prefix: str | None) -> tuple[Select[Any], list[Any]]:
    """The query ListUsers pages through, and its order (name, case-insensitively)."""
    query = select(_t).where(_t.c.account_id == account_id)
    if path_prefix:
        query = query.where(under_path(_t.c.path, path_prefix))
    return query, [_t.c.user_name_lower, _t.c.user_id]


def record(row: Any) -> User:
    return _record(row)


def lock(conn: Connection, user_id: str) -> None:
    """Hold the user's row until the transaction ends (PostgreSQL; SQLite's write
    transaction already serializes writers), so that quota checks on what hangs
    off a user (keys, devices, groups) cannot race each other."""
    conn.execute(select(_t.c.user_id).where(_t.c.user_id == user_id).with_for_update())


def rename(conn: Connection, user_id: str, name: str, path: str, arn: str) -> None:
    conn.execute(
        _t.update()
        .where(_t.c.user_id == user_id)
        .values(user_name=name, user_name_lower=name.lower(), path=path, arn=arn)
    )


def note_password_used(conn: Connection, user_id: str, now: datetime) -> None:
    """PasswordLastUsed (GetUser, credential report): AWS records console sign-ins."""
    conn.execute(_t.update().where(_t.c.user_id == user_id).values(password_last_used=now))


def set_permissions_boundary(conn: Connection, user_id: str, arn: str | None) -> None:
    conn.execute(_t.update().where(_t.c.user_id == user_id).values(permissions_boundary_arn=arn))


def delete(conn: Connection, user_id: str) -> None:
    conn.execute(_t.delete().where(_t.c.user_id == user_id))


def count_for_account(conn: Connection, account_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(_t).where(_t.c.account_id == account_id)
        ).scalar_one()
    )
