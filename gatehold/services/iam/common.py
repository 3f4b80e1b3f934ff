"""What every IAM operation shares: list paging and the authorization generation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Select

from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.errors import invalid_input
from gatehold.store import meta
from gatehold.store.paging import BadMarker, Page, keyset_page

DEFAULT_MAX_ITEMS = 100


def page_of(call: Call, params: Params, query: Select[Any], order: list[Column[Any]]) -> Page:
    """The page a list operation's Marker and MaxItems ask for (AWS's default: 100)."""
    max_items = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    try:
        return keyset_page(call.db, query, order, params.get("Marker"), max_items)
    except BadMarker as exc:
        raise invalid_input("Invalid Marker.") from exc


def list_result(key: str, items: list[Any], page: Page) -> Result:
    """{key: items, IsTruncated, Marker?} as every IAM list answers."""
    result: Result = {key: items, "IsTruncated": page.is_truncated}
    if page.marker is not None:
        result["Marker"] = page.marker
    return result


def authorization_changed(call: Call) -> None:
    """Call in any operation whose change can alter an authorization decision
    (policies, attachments, membership, boundaries, keys, trust): every cache in
    every worker and instance then reloads on its next request."""
    meta.bump_generation(call.db, call.ctx.principal.account_id)
