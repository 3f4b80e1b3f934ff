"""Marker/MaxItems paging over short lists held in memory (a role's attached
policies, inline policy names, a policy's versions, tags, AWS managed policies).

The marker is the sort key of the last item returned, like store/paging.py's keyset
markers, so the same client loop pages both kinds of list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gatehold.services.call import Params
from gatehold.services.iam.common import DEFAULT_MAX_ITEMS
from gatehold.services.iam.errors import invalid_input
from gatehold.store.paging import BadMarker, Page, decode_marker, encode_marker

T = TypeVar("T")


def after_marker(params: Params, width: int) -> list[Any] | None:
    """The sort key the request's Marker resumes after (None: from the start)."""
    marker = params.get("Marker")
    if not marker:
        return None
    try:
        return decode_marker(marker, width)
    except BadMarker as exc:
        raise invalid_input("Invalid Marker.") from exc


def page_items(
    params: Params, items: Sequence[T], key: Callable[[T], list[Any]], width: int
) -> Page:
    """One page of `items`, sorted by `key` (unique per item, `width` values long)."""
    start = after_marker(params, width)
    rest = [i for i in items if start is None or key(i) > start]
    max_items = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    rows = rest[:max_items]
    truncated = len(rest) > max_items
    return Page(rows, truncated, encode_marker(key(rows[-1])) if truncated else None)
