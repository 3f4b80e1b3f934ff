"""Keyset pagination for IAM's Marker/MaxItems/IsTruncated lists.

A marker is the sort key of the last row on the previous page, encoded opaquely.
The next page is "rows after that key", which an index serves directly: a page
costs the same at 1k or 100k rows (no OFFSET, no count of what came before).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Select, and_, or_


class BadMarker(ValueError):
    """The marker was not issued by us (or was tampered with)."""


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    is_truncated: bool
    marker: str | None  # give it back to get the next page


def encode_marker(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def decode_marker(marker: str, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadMarker(marker) from exc
    if not isinstance(values, list) or len(values) != width:
        raise BadMarker(marker)
    return values


def _after(columns: Sequence[Column[Any]], values: Sequence[Any]) -> Any:
    """(c1, c2, ...) > (v1, v2, ...) written out, since not every SQL has row values.

    The leading `c1 >= v1` is implied by the rest but lets the planner seek the
    index straight to the marker; without it SQLite scans from the start of the
    list, and a page deep in 100k rows costs twice the first one.
    """
    clauses = []
    for i, col in enumerate(columns):
        equal_before = [columns[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal_before, col > values[i]))
    return and_(columns[0] >= values[0], or_(*clauses))


def keyset_page(
    conn: Connection,
    query: Select[Any],
    order: Sequence[Column[Any]],
    marker: str | None,
    max_items: int,
) -> Page:
    """One page of `query` ordered by `order` (which must be unique per row)."""
    if marker:
        query = query.where(_after(order, decode_marker(marker, len(order))))
    rows = list(conn.execute(query.order_by(*order).limit(max_items + 1)))
    truncated = len(rows) > max_items
    rows = rows[:max_items]
    next_marker = None
    if truncated:
        last = rows[-1]._mapping
        next_marker = encode_marker([last[c.name] for c in order])
    return Page(rows, truncated, next_marker)
