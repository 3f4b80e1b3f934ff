"""The tags of one resource as a pageable query, for the List*Tags operations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from gatehold.store import schema

_t = schema.tags


def listing(resource_type: str, resource_id: str) -> tuple[Select[Any], list[Any]]:
    """Tags in the order they were first given (position is unique per resource)."""
    query = select(_t).where(_t.c.resource_type == resource_type, _t.c.resource_id == resource_id)
    return query, [_t.c.position]


def tag_shape(row: Any) -> dict[str, str]:
    m = row._mapping
    return {"Key": m["tag_key"], "Value": m["tag_value"]}
