"""Event history (/console/events): the audit log through cloudtrail LookupEvents.

The page is a GET search form, as CloudTrail's own console Event history is: one
lookup attribute and its value, a time range, 50 events a page, newest first,
"Next page" following LookupEvents' NextToken. Every query goes through
actions.invoke as the signed-in principal, so cloudtrail:LookupEvents decides:
a principal without it sees the API's AccessDenied message and no events, and
the lookup itself is recorded like any console-made call. Nothing here changes
state, so the form needs no CSRF token.

Form parsing and the table's rows are pure (`query_of`, `rows_of`); `routes` is
the thin shell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold import errors
from gatehold.console.actions import Peer, invoke
from gatehold.console.core import Console
from gatehold.console.web import Web
from gatehold.console.web import peer as request_peer
from gatehold.store import console_sessions

PATH = "/console/events"
PAGE_SIZE = 50  # LookupEvents' largest page
TITLE = "Event history"

# (AttributeKey, label), in the order CloudTrail's console lists them; the
# attributes the brief names (EventId and ResourceType are left to the API).
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("EventName", "Event name"),
    ("Username", "User name"),
    ("EventSource", "Event source"),
    ("ResourceName", "Resource name"),
    ("AccessKeyId", "Access key ID"),
    ("ReadOnly", "Read only"),
)
_KEYS = frozenset(k for k, _ in ATTRIBUTES)


class FormError(ValueError):
    """Input the page itself refuses (before any API call), with the text to show."""


@dataclass(frozen=True)
class Query:
    """The form's values as typed (to fill the form again) and as LookupEvents params."""

    attribute: str
    value: str
    start: str
    end: str
    next_token: str | None

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"MaxResults": PAGE_SIZE}
        if self.value:
            params["LookupAttributes"] = [
                {"AttributeKey": self.attribute, "AttributeValue": self.value}
            ]
        if self.start:
            params["StartTime"] = _time(self.start, "Start time")
        if self.end:
            params["EndTime"] = _time(self.end, "End time")
        if self.next_token:
            params["NextToken"] = self.next_token
        return params

    def next_page(self, token: str) -> str:
        """The URL of the page after this one: the same search, and the token."""
        fields = {"attribute": self.attribute, "value": self.value, "start": self.start,
                  "end": self.end, "next": token}  # fmt: skip
        return f"{PATH}?{urlencode(fields)}"


def query_of(args: dict[str, str]) -> Query:
    """The search from the page's query string; FormError for input no API call
    should be made with (an attribute the form does not offer)."""
    attribute = args.get("attribute") or ATTRIBUTES[0][0]
    if attribute not in _KEYS:
        raise FormError("Choose a lookup attribute from the list.")
    return Query(
        attribute=attribute,
        value=args.get("value", "").strip(),
        start=args.get("start", "").strip(),
        end=args.get("end", "").strip(),
        next_token=args.get("next") or None,
    )


def _time(text: str, label: str) -> datetime:
    """A datetime-local value ("2026-11-27T12:30", seconds optional), read as UTC:
    the times the page shows are UTC as well."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise FormError(f"{label} is not a date and time (YYYY-MM-DDTHH:MM, UTC).") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True)
class Row:
    event_id: str
    time: str
    event_name: str
    user_name: str
    source_ip: str
    error_code: str
    record_json: str


def rows_of(events: list[dict[str, Any]]) -> list[Row]:
    """The table's rows from LookupEvents' Events; the record's own fields for what
    the Event shape does not carry (source address, error code)."""
    rows = []
    for e in events:
        record = json.loads(e.get("CloudTrailEvent") or "{}")
        at = e["EventTime"]
        rows.append(
            Row(
                event_id=e["EventId"],
                time=at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                if isinstance(at, datetime)
                else str(at),
                event_name=e.get("EventName", ""),
                user_name=e.get("Username", ""),
                source_ip=str(record.get("sourceIPAddress", "")),
                error_code=str(record.get("errorCode", "")),
                record_json=json.dumps(record, indent=2),
            )
        )
    return rows


def search(
    c: Console, session: console_sessions.Session, peer: Peer, query: Query
) -> dict[str, Any]:
    """One page of events as the signed-in principal; AwsError as the API answers."""
    return dict(invoke(c, session, "cloudtrail", "LookupEvents", query.params(), peer))


def routes(web: Web) -> list[Route]:
    async def page(request: Request) -> Response:
        session = await web.signed_in(request)
        if isinstance(session, Response):
            return session
        args = dict(request.query_params)
        shown: dict[str, Any] = {
            "attributes": ATTRIBUTES,
            "form": args,
            "rows": [],
            "next_url": None,
        }
        try:
            query = query_of(args)
            shown["form"] = query
            peer = request_peer(request)
            result = await web.run(search, web.c, session, peer, query)
        except FormError as err:
            return web.page(request, "events.html", 400, title=TITLE, error=str(err), **shown)
        except errors.AwsError as err:
            return web.page(
                request, "events.html", err.status, title=TITLE,
                error=f"{err.code}: {err.message}", **shown,
            )  # fmt: skip
        token = result.get("NextToken")
        shown["rows"] = rows_of(result.get("Events", []))
        shown["next_url"] = query.next_page(token) if token else None
        return web.page(request, "events.html", title=TITLE, searched=True, **shown)

    return [Route(PATH, page, methods=["GET"])]
