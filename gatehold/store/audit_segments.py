"""The audit log's SQL: segments in (`insert`), segments and records out, pruning.
Tables: audit_segments and audit_segment_keys (store/schema.py); the rows and
segments they hold: store/audit_rows.py. Everything runs in the caller's
transaction.

LookupEvents (audit/lookup.py) asks for the candidate segments of a lookup, newest
first (`candidates`, `segments_with_id`), reads their columns (`column_texts`) and
then only the records it answers with (`record_bytes`). Followers (audit/follow.py)
read whole segments in the order they were stored (`read_after`, `read_before`,
`last_seq`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, or_, select

from gatehold.store import schema
from gatehold.store.audit_rows import (
    EPOCH,
    MAX_SPAN,
    MAX_VALUE,
    Row,
    Segment,
    id_ms,
    segments_of,
    text_time,
)

_s = schema.audit_segments
_k = schema.audit_segment_keys
# What followers read of a segment: all of it.
_WHOLE = (_s.c.seq, _s.c.last_time, _s.c.columns, _s.c.records)


# ---- writing ----------------------------------------------------------------------


def insert(db: Connection, rows: Sequence[Row]) -> None:
    """Store `rows` in the caller's transaction, as segments."""
    if not rows:
        return
    write = _insert_sqlite if db.dialect.name == "sqlite" else _insert_postgres
    for seg in segments_of(rows):
        write(db, seg)


def _key_rows(seg: Segment) -> list[tuple[str, str, str]]:
    return [(a, v, t) for (a, v), t in seg.keys().items()]


def _insert_sqlite(db: Connection, seg: Segment) -> None:
    # The driver's own connection: SQLAlchemy's statement machinery cost more than
    # SQLite's work. Two statements per segment (its keys go in as one JSON
    # parameter that SQLite takes apart): Python's sqlite3 releases the GIL around
    # each statement, and each release beside busy request threads is a hand-off.
    raw = db.connection.driver_connection
    assert raw is not None
    seq = raw.execute(
        "INSERT INTO audit_segments (account_id, first_time, last_time, count, columns, records) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            seg.account_id,
            seg.first_time,
            seg.last_time,
            len(seg.records),
            orjson.dumps(seg.columns).decode(),
            b"".join(seg.records),
        ),
    ).lastrowid
    raw.execute(
        "INSERT INTO audit_segment_keys (account_id, attribute, value, last_time, seq) "
        "SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
        "json_extract(value, '$[2]'), ?2 FROM json_each(?3)",
        (seg.account_id, seq, orjson.dumps(_key_rows(seg)).decode()),
    )


_PG_TIME = "CAST(%s AS timestamp) AT TIME ZONE 'UTC'"


def _insert_postgres(db: Connection, seg: Segment) -> None:
    seq = db.exec_driver_sql(
        "INSERT INTO audit_segments (account_id, first_time, last_time, count, columns, records) "
        f"VALUES (%s, {_PG_TIME}, {_PG_TIME}, %s, %s, %s) RETURNING seq",
        (
            seg.account_id,
            seg.first_time,
            seg.last_time,
            len(seg.records),
            orjson.dumps(seg.columns).decode(),
            b"".join(seg.records),
        ),
    ).scalar_one()
    db.exec_driver_sql(
        "INSERT INTO audit_segment_keys (account_id, attribute, value, last_time, seq) "
        f"VALUES (%s, %s, %s, {_PG_TIME}, %s)",
        [(seg.account_id, a, v, t, seq) for a, v, t in _key_rows(seg)],
    )


# ---- reading: segments and their records ---------------------------------------------


def column_texts(db: Connection, seqs: Sequence[int]) -> dict[int, str]:
    """The columns JSON of segments `seqs`, in one query (parsed only once opened)."""
    if not seqs:
        return {}
    found = db.execute(select(_s.c.seq, _s.c.columns).where(_s.c.seq.in_(seqs)))
    return {int(seq): text for seq, text in found}


def record_bytes(db: Connection, cuts: Sequence[tuple[int, int, int]]) -> list[bytes]:
    """The records at (segment, offset, length) `cuts`, read without loading the
    rest of their segments' byte strings (SQLite: incremental blob I/O; PostgreSQL:
    substring of an uncompressed column, which reads only the chunks it needs, all
    in one query)."""
    if db.dialect.name != "sqlite":
        found: dict[int, Any] = dict(
            db.exec_driver_sql(
                "SELECT x.i, substring(s.records FROM x.o FOR x.l) "
                "FROM unnest(%s::int[], %s::bigint[], %s::int[], %s::int[]) AS x(i, seq, o, l) "
                "JOIN audit_segments s ON s.seq = x.seq",
                (
                    list(range(len(cuts))),
                    [c[0] for c in cuts],
                    [c[1] + 1 for c in cuts],
                    [c[2] for c in cuts],
                ),
            ).all()
        )
        return [bytes(found[i]) for i in range(len(cuts))]
    raw = db.connection.driver_connection
    assert raw is not None
    out: list[bytes] = []
    by_segment: dict[int, list[tuple[int, int]]] = {}
    for seq, offset, length in cuts:
        by_segment.setdefault(seq, []).append((offset, length))
    for seq, pieces in by_segment.items():  # cuts come segment by segment
        with raw.blobopen("audit_segments", "records", seq, readonly=True) as blob:
            for offset, length in pieces:
                blob.seek(offset)
                out.append(blob.read(length))
    return out


# ---- LookupEvents' candidate segments ------------------------------------------------


def candidates(
    db: Connection,
    account_id: str,
    attribute: str | None,
    value: str | None,
    start: datetime,
    hi: datetime,
) -> Iterator[list[tuple[str, int]]]:
    """(bound, seq) of the segments that may hold matching records in [start, hi],
    newest bound first, in chunks: a few first (most lookups open one or two),
    more as the merge goes on.
    A segment whose records reach back to `hi` ends at most MAX_SPAN after it."""
    if attribute is None:
        table: Any = _s
        where = [_s.c.account_id == account_id]
    else:
        table = _k
        where = [
            _k.c.account_id == account_id,
            _k.c.attribute == attribute,
            _k.c.value == (value or "")[:MAX_VALUE],
        ]
    time_col, seq_col = table.c.last_time, table.c.seq
    where += [time_col >= start, time_col <= hi + MAX_SPAN]
    last: tuple[datetime, int] | None = None
    size = 8
    while True:
        query = select(time_col, seq_col).where(*where)
        if last is not None:
            query = query.where(
                or_(time_col < last[0], and_(time_col == last[0], seq_col < last[1]))
            )
        rows = db.execute(query.order_by(time_col.desc(), seq_col.desc()).limit(size)).all()
        if rows:
            yield [(text_time(r[0]), int(r[1])) for r in rows]
        if len(rows) < size:
            return
        last = (rows[-1][0], int(rows[-1][1]))
        size = min(size * 2, 64)


def segments_with_id(db: Connection, account_id: str, event_id: str) -> list[int]:
    """Segments that may hold `event_id`: its own key's, and for a time-carrying ID
    those around its millisecond."""
    seqs = {
        int(s)
        for s in db.execute(
            select(_k.c.seq).where(
                _k.c.account_id == account_id,
                _k.c.attribute == "EventId",
                _k.c.value == event_id[:MAX_VALUE],
            )
        ).scalars()
    }
    ms = id_ms(event_id)
    if ms is not None:
        at = EPOCH + timedelta(milliseconds=ms)
        until = at + timedelta(milliseconds=1)
        seqs.update(
            int(s)
            for s in db.execute(
                select(_s.c.seq).where(
                    _s.c.account_id == account_id,
                    _s.c.last_time >= at,
                    _s.c.last_time <= until + MAX_SPAN,
                    _s.c.first_time < until,
                )
            ).scalars()
        )
    return sorted(seqs)


# ---- followers ------------------------------------------------------------------------


def read_after(db: Connection, seq: int, limit: int) -> Sequence[Any]:
    """Up to `limit` segments stored after `seq` (all accounts), oldest first, as
    rows of (seq, last_time, columns, records)."""
    return db.execute(select(*_WHOLE).where(_s.c.seq > seq).order_by(_s.c.seq).limit(limit)).all()


def read_before(db: Connection, seq: int | None, limit: int) -> Sequence[Any]:
    """Up to `limit` segments stored before `seq` (None: the newest ones), newest
    first, as rows of (seq, last_time, columns, records)."""
    query = select(*_WHOLE)
    if seq is not None:
        query = query.where(_s.c.seq < seq)
    return db.execute(query.order_by(_s.c.seq.desc()).limit(limit)).all()


def last_seq(db: Connection) -> int:
    """The cursor of the newest stored segment (0: none): where a follower starts."""
    return int(db.execute(select(func.coalesce(func.max(_s.c.seq), 0))).scalar_one())


# ---- retention -------------------------------------------------------------------


def prune(db: Connection, older_than: datetime, batch: int = 200) -> int:
    """Delete up to `batch` segments whose records are all older than `older_than`
    (with their keys); returns how many records went. Callers repeat until it
    returns 0, each in its own short transaction, so pruning never holds the write
    lock long. Found account by account through ix_audit_segments_time."""
    accounts = [r[0] for r in db.execute(select(schema.accounts.c.account_id))]
    found: list[tuple[int, int]] = []
    for account in accounts:
        found += [
            (int(r[0]), int(r[1]))
            for r in db.execute(
                select(_s.c.seq, _s.c.count)
                .where(_s.c.account_id == account, _s.c.last_time < older_than)
                .limit(batch - len(found))
            )
        ]
        if len(found) >= batch:
            break
    if not found:
        return 0
    seqs = [seq for seq, _ in found]
    db.execute(delete(_k).where(_k.c.seq.in_(seqs)))
    db.execute(delete(_s).where(_s.c.seq.in_(seqs)))
    return sum(count for _, count in found)
