"""IAM roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Select, select

from gatehold.store import schema
from gatehold.store.users import under_path

_t = schema.roles


@dataclass(frozen=True)
class Role:
    role_id: str
    account_id: str
    role_name: str
    path: str
    arn: str
    created_at: datetime
    assume_role_policy_document: str
    description: str | None
    max_session_duration: int
    permissions_boundary_arn: str | None
    last_used_at: datetime | None
    last_used_region: str | None


def record(row: Any) -> Role:
    m = row._mapping
    return Role(**{f: m[f] for f in Role.__dataclass_fields__})


def insert(conn: Connection, role: Role) -> None:
    values = {f: getattr(role, f) for f in Role.__dataclass_fields__}
    conn.execute(_t.insert().values(role_name_lower=role.role_name.lower(), **values))


def get_by_name(conn: Connection, account_id: str, role_name: str) -> Role | None:
    row = conn.execute(
        select(_t).where(_t.c.account_id == account_id, _t.c.role_name_lower == role_name.lower())
    ).first()
    return record(row) if row else None


def get_by_ids(conn: Connection, role_ids: list[str]) -> list[Role]:
    if not role_ids:
        return []
    return [record(r) for r in conn.execute(select(_t).where(_t.c.role_id.in_(role_ids)))]


def update(conn: Connection, role_id: str, **values: Any) -> None:
    conn.execute(_t.update().where(_t.c.role_id == role_id).values(**values))


def delete(conn: Connection, role_id: str) -> None:
    conn.execute(_t.delete().where(_t.c.role_id == role_id))


def list_query(account_id: str, path_prefix: str | None) -> tuple[Select[Any], list[Column[Any]]]:
    """Roles of an account in AWS's list order (name regardless of case)."""
    query = select(_t).where(_t.c.account_id == account_id)
    if path_prefix:
        query = query.where(under_path(_t.c.path, path_prefix))
    return query, [_t.c.role_name_lower, _t.c.role_id]


def lock(conn: Connection, role_id: str) -> None:
    """Hold the role's row until the transaction ends (PostgreSQL; SQLite's write
    transaction already serializes writers), so that quota checks on what hangs
    off a role (attached policies, inline policy size) cannot race each other."""
    conn.execute(select(_t.c.role_id).where(_t.c.role_id == role_id).with_for_update())
