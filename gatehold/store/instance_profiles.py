"""Instance profiles and the (at most one) role each holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Select, select

from gatehold.store import schema
from gatehold.store.users import under_path

_t = schema.instance_profiles
_r = schema.instance_profile_roles


@dataclass(frozen=True)
class InstanceProfile:
    instance_profile_id: str
    account_id: str
    name: str
    path: str
    arn: str
    created_at: datetime


def record(row: Any) -> InstanceProfile:
    m = row._mapping
    return InstanceProfile(**{f: m[f] for f in InstanceProfile.__dataclass_fields__})


def insert(conn: Connection, profile: InstanceProfile) -> None:
    values = {f: getattr(profile, f) for f in InstanceProfile.__dataclass_fields__}
    conn.execute(_t.insert().values(name_lower=profile.name.lower(), **values))


def get_by_name(conn: Connection, account_id: str, name: str) -> InstanceProfile | None:
    row = conn.execute(
        select(_t).where(_t.c.account_id == account_id, _t.c.name_lower == name.lower())
    ).first()
    return record(row) if row else None


def delete(conn: Connection, profile_id: str) -> None:
    conn.execute(_t.delete().where(_t.c.instance_profile_id == profile_id))


def list_query(account_id: str, path_prefix: str | None) -> tuple[Select[Any], list[Column[Any]]]:
    query = select(_t).where(_t.c.account_id == account_id)
    if path_prefix:
        query = query.where(under_path(_t.c.path, path_prefix))
    return query, [_t.c.name_lower, _t.c.instance_profile_id]


def for_role_query(role_id: str) -> tuple[Select[Any], list[Column[Any]]]:
    query = (
        select(_t)
        .join(_r, _r.c.instance_profile_id == _t.c.instance_profile_id)
        .where(_r.c.role_id == role_id)
    )
    return query, [_t.c.name_lower, _t.c.instance_profile_id]


def role_ids(conn: Connection, profile_id: str) -> list[str]:
    rows = conn.execute(select(_r.c.role_id).where(_r.c.instance_profile_id == profile_id))
    return [r[0] for r in rows]


def role_ids_of(conn: Connection, profile_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {p: [] for p in profile_ids}
    if profile_ids:
        rows = conn.execute(select(_r).where(_r.c.instance_profile_id.in_(profile_ids)))
        for profile_id, role_id in rows:
            out[profile_id].append(role_id)
    return out


def profiles_of_roles(conn: Connection, role_ids: list[str]) -> dict[str, list[InstanceProfile]]:
    out: dict[str, list[InstanceProfile]] = {r: [] for r in role_ids}
    if role_ids:
        rows = conn.execute(
            select(_t, _r.c.role_id)
            .join(_r, _r.c.instance_profile_id == _t.c.instance_profile_id)
            .where(_r.c.role_id.in_(role_ids))
            .order_by(_t.c.name_lower)
        )
        for row in rows:
            out[row._mapping["role_id"]].append(record(row))
    return out


def add_role(conn: Connection, profile_id: str, role_id: str) -> None:
    conn.execute(_r.insert().values(instance_profile_id=profile_id, role_id=role_id))


def remove_role(conn: Connection, profile_id: str, role_id: str) -> bool:
    result = conn.execute(
        _r.delete().where(_r.c.instance_profile_id == profile_id, _r.c.role_id == role_id)
    )
    return bool(result.rowcount)


def count_for_role(conn: Connection, role_id: str) -> int:
    return len(conn.execute(select(_r.c.instance_profile_id).where(_r.c.role_id == role_id)).all())
