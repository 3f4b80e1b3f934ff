"""Schema step 3 (store/migrations.py): the audit log's row-per-record table
(audit_events) moved into segments (store/audit_rows.py, store/audit_segments.py).

Rows are read in their stored order (seq) a chunk at a time and stored again as
segments of up to BATCH rows, so the segments keep the order followers read by.
Each trail's cursor was an audit_events seq ("delivered up to here"); segments are
cut at every such seq, and the cursor becomes the last segment seq of what it had
covered: a trail neither repeats nor skips a record across the upgrade.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, Table, select

from gatehold.store import audit_segments, schema
from gatehold.store.audit_rows import Row, resource_values, text_time

BATCH = 500
_READ = 5000


def move_to_segments(conn: Connection, events: Table) -> None:
    trails = schema.trails
    held = conn.execute(select(trails.c.account_id, trails.c.name, trails.c.cursor)).all()
    cursors = sorted({int(t.cursor) for t in held})
    new_cursor: dict[int, int] = {}
    pending: list[Row] = []

    def store() -> None:
        audit_segments.insert(conn, pending)
        pending.clear()

    def cut_before(seq: int) -> None:
        # Every trail cursor below `seq` has all its rows stored: map it.
        while cursors and cursors[0] < seq:
            store()
            new_cursor[cursors.pop(0)] = audit_segments.last_seq(conn)

    last = 0
    while True:
        chunk = conn.execute(
            select(events).where(events.c.seq > last).order_by(events.c.seq).limit(_READ)
        ).all()
        if not chunk:
            break
        for r in chunk:
            cut_before(int(r.seq))
            pending.append(_row(r))
            if len(pending) >= BATCH:
                store()
        last = int(chunk[-1].seq)
    store()
    for cursor in cursors:  # at or past the last row
        new_cursor[cursor] = audit_segments.last_seq(conn)
    for t in held:  # by key: an old cursor may equal another's new one
        conn.execute(
            trails.update()
            .where(trails.c.account_id == t.account_id, trails.c.name == t.name)
            .values(cursor=new_cursor[int(t.cursor)])
        )


def _row(r: Any) -> Row:
    resources = [(str(a), str(b)) for a, b in orjson.loads(r.resources)] if r.resources else []
    return (
        r.event_id,
        r.account_id,
        text_time(r.event_time),
        r.event_name,
        r.event_source,
        r.username,
        r.access_key_id,
        bool(r.read_only),
        resources or None,
        resource_values(resources),
        r.record.encode(),
    )
