"""LookupEvents over the audit log: an account's records newest first, by one
attribute, a page at a time.

`lookup` finds the segments that carry the attribute value (their keys, or for no
attribute the account's segments), newest first by the latest time of the records
that carry it, opens them and merges their matching records newest first: a record
is final once no segment still unopened can hold a newer one. A segment spans at
most MAX_SPAN (store/audit_rows.py), which bounds how far past a page's position the
merge must look. Only the records a page answers with are read out of their
segments' byte strings.

An eventID is found without an index entry of its own when it carries its record's
time (the recorder's version-7 IDs do: records.new_event_id): the segments around
that millisecond are opened. Any other eventID has an "EventId" key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from gatehold.store import audit_segments
from gatehold.store.audit_rows import MAX_VALUE, Column, text_time, time_from_text


@dataclass(frozen=True)
class Stored:
    """A record as LookupEvents answers it."""

    # Where it is in the log's newest-first order: (exact time, segment, index);
    # a NextToken carries the last one of a page.
    position: tuple[str, int, int]
    event_id: str
    event_time: datetime
    event_name: str
    event_source: str
    read_only: bool
    record_json: str
    resources: list[tuple[str, str]]
    username: str | None
    access_key_id: str | None


def _stored(seq: int, index: int, c: list[Any], record: bytes) -> Stored:
    return Stored(
        position=(c[Column.TIME], seq, index),
        event_id=c[Column.EVENT_ID],
        event_time=time_from_text(c[Column.TIME]),
        event_name=c[Column.NAME],
        event_source=c[Column.SOURCE],
        read_only=bool(c[Column.READ_ONLY]),
        record_json=record.decode(),
        resources=[(str(a), str(b)) for a, b in c[Column.RESOURCES] or ()],
        username=c[Column.USERNAME],
        access_key_id=c[Column.ACCESS_KEY],
    )


def _finish(
    db: Connection, found: Sequence[tuple[tuple[str, int, int], list[Any]]]
) -> list[Stored]:
    """Stored records of (position, columns) pairs, in their order."""
    order = sorted(range(len(found)), key=lambda i: found[i][0][1:])  # segment by segment
    blobs = audit_segments.record_bytes(
        db,
        [(found[i][0][1], found[i][1][Column.OFFSET], found[i][1][Column.LENGTH]) for i in order],
    )
    made: dict[int, Stored] = {}
    for i, blob in zip(order, blobs, strict=True):
        (_, seq, index), c = found[i]
        made[i] = _stored(seq, index, c, blob)
    return [made[i] for i in range(len(found))]


def _matcher(attribute: str | None, value: str | None) -> Callable[[list[Any]], bool] | None:
    """Whether a record's columns carry `attribute` = `value` (None: no record can)."""
    wanted = (value or "")[:MAX_VALUE]
    if attribute is None:
        return lambda c: True
    if attribute == "ReadOnly":
        if wanted not in ("true", "false"):
            return None
        flag = wanted == "true"
        return lambda c: bool(c[Column.READ_ONLY]) is flag
    single = {
        "EventId": Column.EVENT_ID,
        "EventName": Column.NAME,
        "EventSource": Column.SOURCE,
        "Username": Column.USERNAME,
        "AccessKeyId": Column.ACCESS_KEY,
    }.get(attribute)
    if single is not None:
        return lambda c: (c[single] or "")[:MAX_VALUE] == wanted and c[single] is not None
    if attribute in ("ResourceType", "ResourceName"):
        part = 0 if attribute == "ResourceType" else 1
        return lambda c: any(r[part][:MAX_VALUE] == wanted for r in c[Column.RESOURCES] or ())
    return None


def lookup(
    db: Connection,
    account_id: str,
    *,
    attribute: str | None,
    value: str | None,
    start: datetime,
    end: datetime,
    after: tuple[str, int, int] | None,
    limit: int,
) -> list[Stored]:
    """Up to `limit` of the account's records in [start, end], newest first, that
    carry `attribute` = `value` (None: all), strictly after the `after` position
    (Stored.position) of a previous page."""
    matches = _matcher(attribute, value)
    if matches is None or limit <= 0:
        return []
    hi = min(end, time_from_text(after[0])) if after is not None else end
    lo_text, hi_text = text_time(start), text_time(hi)

    def wanted(position: tuple[str, int, int], c: list[Any]) -> bool:
        return (
            lo_text <= position[0] <= hi_text and (after is None or position < after) and matches(c)
        )

    if attribute == "EventId":
        if after is not None:
            return []  # one record at most: there is no second page
        texts = audit_segments.column_texts(
            db, audit_segments.segments_with_id(db, account_id, value or "")
        )
        found = [
            (pos, c)
            for seq, text in texts.items()
            for pos, c in _entries(seq, text)
            if wanted(pos, c)
        ]
        return _finish(db, sorted(found, key=lambda e: e[0], reverse=True)[:limit])
    # The merge: candidate segments come newest first by the latest time of their
    # matching records (their bound). A pending record is final once it is newer
    # than the next segment's bound: nothing in that segment or after it can be.
    out: list[tuple[tuple[str, int, int], list[Any]]] = []
    pending: list[tuple[tuple[str, int, int], list[Any]]] = []
    for chunk in audit_segments.candidates(db, account_id, attribute, value, start, hi):
        texts = audit_segments.column_texts(db, [seq for _, seq in chunk])
        for bound, seq in chunk:
            while pending and pending[-1][0][:2] > (bound, seq):
                out.append(pending.pop())
                if len(out) == limit:
                    return _finish(db, out)
            pending += [(pos, c) for pos, c in _entries(seq, texts.get(seq)) if wanted(pos, c)]
            pending.sort(key=lambda e: e[0])  # oldest first: the newest pops off the end
    while pending and len(out) < limit:
        out.append(pending.pop())
    return _finish(db, out)


def _entries(seq: int, columns: str | None) -> list[tuple[tuple[str, int, int], list[Any]]]:
    """(position, columns) of each record of a segment (None: a segment pruned meanwhile)."""
    return [((c[Column.TIME], seq, i), c) for i, c in enumerate(orjson.loads(columns or "[]"))]
