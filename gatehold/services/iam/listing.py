"""Marker/MaxItems paging over short lists held in memory (a role's attached
policies, inline policy names, a policy's versions, tags, AWS managed policies;
a user's SSH keys, certificates and service credentials).

page_items' marker is the sort key of the last item returned, like store/paging.py's
keyset markers, so the same client loop pages both kinds of list; page_list's names
the last item and its position, for lists kept in their own order.
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


def page_list(
    params: Params, items: Sequence[T], id_of: Callable[[T], str]
) -> tuple[list[T], bool, str | None]:
    """Marker/MaxItems paging over a short, already ordered list (a user's few keys).

    The marker names the last item returned and where the next page starts; the
    name wins, so a page still continues in the right place when an earlier item
    was deleted meanwhile.
    """
    start = 0
    marker = params.get("Marker")
    if marker:
        try:
            last_id, position = decode_marker(marker, 2)
            position = int(position)
        except (BadMarker, TypeError, ValueError) as exc:
            raise invalid_input("Invalid Marker.") from exc
        ids = [id_of(i) for i in items]
        start = ids.index(last_id) + 1 if last_id in ids else min(max(position, 0), len(items))
    size = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    page = list(items[start : start + size])
    end = start + len(page)
    truncated = end < len(items)
    return page, truncated, encode_marker([id_of(page[-1]), end]) if truncated else None


def listed(key: str, page: tuple[list[Any], bool, str | None]) -> dict[str, Any]:
    items, truncated, marker = page
    result: dict[str, Any] = {key: items, "IsTruncated": truncated}
    if marker is not None:
        result["Marker"] = marker
    return result
