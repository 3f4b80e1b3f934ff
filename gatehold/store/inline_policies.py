"""Inline policies embedded in a user, group or role."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, and_, select

from gatehold.store import schema

_t = schema.inline_policies


def _where(principal_type: str, principal_id: str, name: str | None = None) -> ColumnElement[bool]:
    clauses = [_t.c.principal_type == principal_type, _t.c.principal_id == principal_id]
    if name is not None:
        clauses.append(_t.c.policy_name == name)
    return and_(*clauses)


def put(conn: Connection, principal_type: str, principal_id: str, name: str, document: str) -> None:
    """Add, or replace the document of, the principal's policy of that name."""
    where = _where(principal_type, principal_id, name)
    if conn.execute(select(_t.c.policy_name).where(where)).first():
        conn.execute(_t.update().where(where).values(document=document))
    else:
        conn.execute(
            _t.insert().values(
                principal_type=principal_type,
                principal_id=principal_id,
                policy_name=name,
                document=document,
            )
        )


def get(conn: Connection, principal_type: str, principal_id: str, name: str) -> str | None:
    row = conn.execute(
        select(_t.c.document).where(_where(principal_type, principal_id, name))
    ).first()
    return row[0] if row else None


def delete(conn: Connection, principal_type: str, principal_id: str, name: str) -> bool:
    result = conn.execute(_t.delete().where(_where(principal_type, principal_id, name)))
    return bool(result.rowcount)


def all_of(conn: Connection, principal_type: str, principal_id: str) -> dict[str, str]:
    """name -> document, for every inline policy of the principal."""
    rows = conn.execute(
        select(_t.c.policy_name, _t.c.document).where(_where(principal_type, principal_id))
    )
    return {r[0]: r[1] for r in rows}


def all_of_many(conn: Connection, principal_type: str, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    if ids:
        rows = conn.execute(
            select(_t.c.principal_id, _t.c.policy_name, _t.c.document).where(
                _t.c.principal_type == principal_type, _t.c.principal_id.in_(ids)
            )
        )
        for pid, name, doc in rows:
            out[pid][name] = doc
    return out


def count(conn: Connection, principal_type: str, principal_id: str) -> int:
    return len(all_of(conn, principal_type, principal_id))


def delete_all(conn: Connection, principal_type: str, principal_id: str) -> None:
    conn.execute(_t.delete().where(_where(principal_type, principal_id)))
