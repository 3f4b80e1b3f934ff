"""Tags on IAM resources, kept in the order they were first given."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from gatehold.store import schema

_t = schema.tags


def get(conn: Connection, resource_type: str, resource_id: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        select(_t.c.tag_key, _t.c.tag_value)
        .where(_t.c.resource_type == resource_type, _t.c.resource_id == resource_id)
        .order_by(_t.c.position)
    )
    return [(r[0], r[1]) for r in rows]


def put(
    conn: Connection, resource_type: str, resource_id: str, tags: list[tuple[str, str]]
) -> None:
    """Add or overwrite tags (a key differing only in case overwrites, keeping the new case)."""
    where = (_t.c.resource_type == resource_type) & (_t.c.resource_id == resource_id)
    position = conn.execute(
        select(func.coalesce(func.max(_t.c.position), 0)).where(where)
    ).scalar_one()
    for key, value in tags:
        key_where = where & (_t.c.tag_key_lower == key.lower())
        if conn.execute(select(_t.c.tag_key).where(key_where)).first():
            conn.execute(_t.update().where(key_where).values(tag_key=key, tag_value=value))
        else:
            position += 1
            conn.execute(
                _t.insert().values(
                    resource_type=resource_type,
                    resource_id=resource_id,
                    tag_key_lower=key.lower(),
                    tag_key=key,
                    tag_value=value,
                    position=position,
                )
            )


def remove(conn: Connection, resource_type: str, resource_id: str, keys: list[str]) -> None:
    conn.execute(
        _t.delete().where(
            _t.c.resource_type == resource_type,
            _t.c.resource_id == resource_id,
            _t.c.tag_key_lower.in_([k.lower() for k in keys]),
        )
    )


def remove_all(conn: Connection, resource_type: str, resource_id: str) -> None:
    conn.execute(
        _t.delete().where(_t.c.resource_type == resource_type, _t.c.resource_id == resource_id)
    )
