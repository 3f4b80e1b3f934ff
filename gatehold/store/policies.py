"""Customer managed policies and their versions (AWS managed ones: managed_policies.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Select, exists, func, or_, select

from gatehold.store import schema
from gatehold.store.users import under_path

_t = schema.policies
_v = schema.policy_versions
_a = schema.policy_attachments


@dataclass(frozen=True)
class CustomerPolicy:
    policy_id: str
    account_id: str
    policy_name: str
    path: str
    arn: str
    default_version_id: str
    next_version_number: int
    description: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PolicyVersion:
    policy_id: str
    version_id: str
    document: str
    created_at: datetime


def record(row: Any) -> CustomerPolicy:
    m = row._mapping
    return CustomerPolicy(**{f: m[f] for f in CustomerPolicy.__dataclass_fields__})


def _version(row: Any) -> PolicyVersion:
    m = row._mapping
    return PolicyVersion(**{f: m[f] for f in PolicyVersion.__dataclass_fields__})


def insert(conn: Connection, policy: CustomerPolicy, document: str) -> None:
    values = {f: getattr(policy, f) for f in CustomerPolicy.__dataclass_fields__}
    conn.execute(_t.insert().values(policy_name_lower=policy.policy_name.lower(), **values))
    add_version(conn, policy.policy_id, policy.default_version_id, document, policy.created_at)


def get_by_arn(conn: Connection, arn: str) -> CustomerPolicy | None:
    row = conn.execute(select(_t).where(_t.c.arn == arn)).first()
    return record(row) if row else None


def get_by_name(conn: Connection, account_id: str, name: str) -> CustomerPolicy | None:
    row = conn.execute(
        select(_t).where(_t.c.account_id == account_id, _t.c.policy_name_lower == name.lower())
    ).first()
    return record(row) if row else None


def get_by_arns(conn: Connection, arns: list[str]) -> dict[str, CustomerPolicy]:
    if not arns:
        return {}
    return {p.arn: p for p in map(record, conn.execute(select(_t).where(_t.c.arn.in_(arns))))}


def lock(conn: Connection, policy_id: str) -> None:
    """Hold the policy's row until the transaction ends (PostgreSQL; SQLite's write
    transaction already serializes writers), so the 5-version quota cannot be raced."""
    conn.execute(select(_t.c.policy_id).where(_t.c.policy_id == policy_id).with_for_update())


def update(conn: Connection, policy_id: str, **values: Any) -> None:
    conn.execute(_t.update().where(_t.c.policy_id == policy_id).values(**values))


def delete(conn: Connection, policy_id: str) -> None:
    conn.execute(_v.delete().where(_v.c.policy_id == policy_id))
    conn.execute(_t.delete().where(_t.c.policy_id == policy_id))


def list_query(
    account_id: str,
    path_prefix: str | None,
    *,
    only_attached: bool,
    as_permissions: bool,
    as_boundary: bool,
) -> tuple[Select[Any], list[Column[Any]]]:
    """The account's policies in AWS's list order; `only_attached` keeps those in use
    as a permissions policy (`as_permissions`) or boundary (`as_boundary`)."""
    query = select(_t).where(_t.c.account_id == account_id)
    if path_prefix:
        query = query.where(under_path(_t.c.path, path_prefix))
    if only_attached:
        used = []
        if as_permissions:
            used.append(exists().where(_a.c.policy_arn == _t.c.arn))
        if as_boundary:
            used.append(exists().where(schema.users.c.permissions_boundary_arn == _t.c.arn))
            used.append(exists().where(schema.roles.c.permissions_boundary_arn == _t.c.arn))
        query = query.where(or_(*used))
    return query, [_t.c.policy_name_lower, _t.c.arn]


def add_version(
    conn: Connection, policy_id: str, version_id: str, document: str, now: datetime
) -> None:
    conn.execute(
        _v.insert().values(
            policy_id=policy_id, version_id=version_id, document=document, created_at=now
        )
    )


def get_version(conn: Connection, policy_id: str, version_id: str) -> PolicyVersion | None:
    row = conn.execute(
        select(_v).where(_v.c.policy_id == policy_id, _v.c.version_id == version_id)
    ).first()
    return _version(row) if row else None


def versions(conn: Connection, policy_id: str) -> list[PolicyVersion]:
    """Newest first, as ListPolicyVersions answers."""
    rows = [_version(r) for r in conn.execute(select(_v).where(_v.c.policy_id == policy_id))]
    return sorted(rows, key=lambda v: int(v.version_id[1:].split(".")[0]), reverse=True)


def count_versions(conn: Connection, policy_id: str) -> int:
    return int(conn.execute(select(func.count()).where(_v.c.policy_id == policy_id)).scalar_one())


def delete_version(conn: Connection, policy_id: str, version_id: str) -> None:
    conn.execute(_v.delete().where(_v.c.policy_id == policy_id, _v.c.version_id == version_id))


def latest_version_date(conn: Connection, policy_id: str) -> datetime:
    value: datetime = conn.execute(
        select(func.max(_v.c.created_at)).where(_v.c.policy_id == policy_id)
    ).scalar_one()
    return value


def boundary_counts(conn: Connection, account_id: str, arns: list[str]) -> dict[str, int]:
    """PermissionsBoundaryUsageCount: users and roles of the account bounded by each policy."""
    counts: dict[str, int] = {}
    if not arns:
        return counts
    for table in (schema.users, schema.roles):
        rows = conn.execute(
            select(table.c.permissions_boundary_arn, func.count())
            .where(table.c.account_id == account_id, table.c.permissions_boundary_arn.in_(arns))
            .group_by(table.c.permissions_boundary_arn)
        )
        for arn, n in rows:
            counts[arn] = counts.get(arn, 0) + int(n)
    return counts


def boundary_arns_in_account(conn: Connection, account_id: str) -> set[str]:
    arns: set[str] = set()
    for table in (schema.users, schema.roles):
        rows = conn.execute(
            select(table.c.permissions_boundary_arn)
            .distinct()
            .where(table.c.account_id == account_id, table.c.permissions_boundary_arn.is_not(None))
        )
        arns.update(r[0] for r in rows)
    return arns
