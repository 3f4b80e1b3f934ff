"""Where a principal's policies come from: read straight from the IAM tables.

The policy gatherer (gatehold/authz/policies.py) and the simulator read
users, groups, roles, attachments, inline policies and customer managed policy
versions through these functions only. They depend on the tables in schema.py
(the contract), not on the modules that write them, and each answers with one
query whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, and_, or_, select

from gatehold.store import schema

USER, GROUP, ROLE = "user", "group", "role"

# kind -> (table, id column, name column, lower-cased name column)
_ENTITY_TABLES: dict[str, tuple[Table, str, str, str]] = {
    USER: (schema.users, "user_id", "user_name", "user_name_lower"),
    GROUP: (schema.groups, "group_id", "group_name", "group_name_lower"),
    ROLE: (schema.roles, "role_id", "role_name", "role_name_lower"),
}

Owner = tuple[str, str]  # (principal_type, principal_id) as in the attachment tables


@dataclass(frozen=True)
class Entity:
    """A user, group or role, as far as its policies are concerned."""

    kind: str  # "user" | "group" | "role"
    entity_id: str
    account_id: str
    name: str
    arn: str
    boundary_arn: str | None  # groups cannot have a permissions boundary

    @property
    def owner(self) -> Owner:
        return (self.kind, self.entity_id)


@dataclass(frozen=True)
class ManagedDocument:
    """The default version of a customer managed policy."""

    policy_id: str
    arn: str
    name: str
    version_id: str
    document: str


def _entity(kind: str, row: object) -> Entity:
    _, id_col, name_col, _ = _ENTITY_TABLES[kind]
    m = row._mapping  # type: ignore[attr-defined]
    return Entity(
        kind=kind,
        entity_id=m[id_col],
        account_id=m["account_id"],
        name=m[name_col],
        arn=m["arn"],
        boundary_arn=m.get("permissions_boundary_arn"),
    )


def entity_by_id(conn: Connection, kind: str, entity_id: str) -> Entity | None:
    table, id_col, _, _ = _ENTITY_TABLES[kind]
    row = conn.execute(select(table).where(table.c[id_col] == entity_id)).first()
    return _entity(kind, row) if row else None


def entity_by_name(conn: Connection, account_id: str, kind: str, name: str) -> Entity | None:
    """IAM names are unique in an account without regard to case."""
    table, _, _, lower_col = _ENTITY_TABLES[kind]
    row = conn.execute(
        select(table).where(table.c.account_id == account_id, table.c[lower_col] == name.lower())
    ).first()
    return _entity(kind, row) if row else None


def groups_of_user(conn: Connection, user_id: str) -> list[Entity]:
    g, m = schema.groups, schema.group_members
    rows = conn.execute(
        select(g)
        .join(m, m.c.group_id == g.c.group_id)
        .where(m.c.user_id == user_id)
        .order_by(g.c.group_name_lower, g.c.group_id)
    )
    return [_entity(GROUP, row) for row in rows]


def _owned_by(table: Table, owners: Sequence[Owner]) -> object:
    by_type: dict[str, list[str]] = {}
    for kind, entity_id in owners:
        by_type.setdefault(kind, []).append(entity_id)
    return or_(
        *(
            and_(table.c.principal_type == kind, table.c.principal_id.in_(ids))
            for kind, ids in by_type.items()
        )
    )


def attached_arns(conn: Connection, owners: Sequence[Owner]) -> dict[Owner, list[str]]:
    """Managed policy ARNs attached to each owner, in the order they were attached."""
    if not owners:
        return {}
    t = schema.policy_attachments
    rows = conn.execute(
        select(t.c.principal_type, t.c.principal_id, t.c.policy_arn)
        .where(_owned_by(t, owners))  # type: ignore[arg-type]
        .order_by(t.c.attached_at, t.c.policy_arn)
    )
    out: dict[Owner, list[str]] = {}
    for kind, entity_id, arn in rows:
        out.setdefault((kind, entity_id), []).append(arn)
    return out


def inline_documents(
    conn: Connection, owners: Sequence[Owner]
) -> dict[Owner, list[tuple[str, str]]]:
    """(policy name, document) of each owner's inline policies, by name."""
    if not owners:
        return {}
    t = schema.inline_policies
    rows = conn.execute(
        select(t.c.principal_type, t.c.principal_id, t.c.policy_name, t.c.document)
        .where(_owned_by(t, owners))  # type: ignore[arg-type]
        .order_by(t.c.policy_name)
    )
    out: dict[Owner, list[tuple[str, str]]] = {}
    for kind, entity_id, name, document in rows:
        out.setdefault((kind, entity_id), []).append((name, document))
    return out


def customer_policies(conn: Connection, arns: Iterable[str]) -> dict[str, ManagedDocument]:
    """The default version of each customer managed policy named (missing ones are left out)."""
    wanted = sorted(set(arns))
    if not wanted:
        return {}
    p, v = schema.policies, schema.policy_versions
    rows = conn.execute(
        select(p.c.policy_id, p.c.arn, p.c.policy_name, p.c.default_version_id, v.c.document)
        .join(v, and_(v.c.policy_id == p.c.policy_id, v.c.version_id == p.c.default_version_id))
        .where(p.c.arn.in_(wanted))
    )
    return {
        arn: ManagedDocument(policy_id, arn, name, version_id, document)
        for policy_id, arn, name, version_id, document in rows
    }
