"""The user a credential operation acts on, and paging of the short per-user
lists (SSH keys, certificates, service credentials).

Authorization on users is targets.py's (real ARN, user tags as resource tags,
NoSuchEntity only after authorizing); this module adapts it to the operations
whose UserName is optional and that act on the caller without it (for the root
user: the account's own credentials, user None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gatehold.services.call import Call, Params
from gatehold.services.iam.common import DEFAULT_MAX_ITEMS
from gatehold.services.iam.errors import invalid_input
from gatehold.services.iam.targets import authorize_user, authorize_user_or_caller
from gatehold.store.paging import BadMarker, decode_marker, encode_marker
from gatehold.store.records import User

T = TypeVar("T")


def authorize_on_user(call: Call, action: str, name: str) -> User:
    """Authorize `action` on the named user, then return it (or NoSuchEntity)."""
    return authorize_user(call, action, name)


def caller_or_named(call: Call, action: str, name: str | None) -> User | None:
    """The named user, or without a name the caller; None means the root user."""
    return authorize_user_or_caller(call, action, name).user


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
