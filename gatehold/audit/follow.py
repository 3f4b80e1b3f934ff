"""Following the audit log: records in the order they were stored, for trails'
delivery (audit/delivery.py) and `gatehold events tail` (cli/events.py).

    cursor = follow.last_seq(db)         # start at the end (or 0: from the beginning)
    while True:
        batch, cursor = follow.since(db, cursor)
        ...

`since` returns records in the order their segments were stored (`seq`), which is
not quite eventTime order: read-only calls are stored by a batcher up to a second
late (audit/recorder.py). On PostgreSQL two transactions may commit out of `seq`
order, so a follower can see segment 12 before segment 11 commits; delivery waits
for records to settle (audit/delivery.py), and consumers drop repeats by eventID,
as CloudTrail's own consumers must (its files may repeat events).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from gatehold.store import audit_segments
from gatehold.store.audit_rows import Column

Record = dict[str, Any]
# Segments read per query.
_READ = 16


@dataclass(frozen=True)
class StoredSegment:
    """A segment as followers read it: its records in stored order, each with its
    exact time (text_time)."""

    seq: int
    last_time: datetime
    records: list[tuple[str, Record]]


def _read_segments(rows: Iterable[Any]) -> list[StoredSegment]:
    out = []
    for r in rows:
        blob = bytes(r.records)
        out.append(
            StoredSegment(
                int(r.seq),
                r.last_time,
                [
                    (
                        c[Column.TIME],
                        orjson.loads(blob[c[Column.OFFSET] : c[Column.OFFSET] + c[Column.LENGTH]]),
                    )
                    for c in orjson.loads(r.columns)
                ],
            )
        )
    return out


def segments_after(db: Connection, cursor: int, records: int = 1000) -> list[StoredSegment]:
    """Segments stored after `cursor` (all accounts), oldest first: whole segments
    until they hold at least `records` records (or there are no more)."""
    out: list[StoredSegment] = []
    count = 0
    while count < records:
        found = _read_segments(audit_segments.read_after(db, out[-1].seq if out else cursor, _READ))
        if not found:
            break
        for seg in found:
            out.append(seg)
            count += len(seg.records)
            if count >= records:
                break
    return out


def since(db: Connection, cursor: int, limit: int = 1000) -> tuple[list[Record], int]:
    """Records stored after `cursor` (all accounts), in stored order, and the cursor
    to pass next time: at least `limit` of them when there are that many (whole
    segments, so it may be more)."""
    segs = segments_after(db, cursor, limit)
    records = [record for seg in segs for _, record in seg.records]
    return records, segs[-1].seq if segs else cursor


def newest(db: Connection, count: int) -> tuple[list[Record], int]:
    """The newest `count` stored records (all accounts), in stored order, and the
    cursor after them."""
    segs: list[StoredSegment] = []
    held = 0
    before: int | None = None
    while held < count:
        found = _read_segments(audit_segments.read_before(db, before, _READ))
        if not found:
            break
        segs += found
        held += sum(len(s.records) for s in found)
        before = found[-1].seq
    records = [record for seg in reversed(segs) for _, record in seg.records]
    return records[-count:] if count > 0 else [], last_seq(db)


def last_seq(db: Connection) -> int:
    """The cursor of the newest stored segment (0: none): where a follower starts."""
    return audit_segments.last_seq(db)
