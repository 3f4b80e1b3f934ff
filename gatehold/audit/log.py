"""The audit log's storage: CloudTrail records in, CloudTrail records out.

`append` / `insert` run inside the caller's transaction, so a change and its record
commit together (or neither does). Records are CloudTrail-shaped dicts
(audit/records.py builds them); `row` turns one into a Row: the columns LookupEvents
filters on, plus the record's JSON.

Rows are stored in segments (store/schema.py, audit_segments): the rows stored
together for one account (a batch of the recorder, the one record of a change)
become one segment row holding their columns as one JSON array and their records
as one byte string, plus one audit_segment_keys row per distinct attribute value
they carry (EventName, Username, ...). Why: a row and eight index entries per
record was most of what recording cost (bench/README.md, audit_cost.py); a batch of
500 reads now writes one row and a handful of keys.

LookupEvents (`lookup`) finds the segments that carry the attribute value, newest
first by the latest time of the records that carry it, opens them and merges their
matching records newest first: a record is final once no segment still unopened
can hold a newer one. A segment spans at most MAX_SPAN, which bounds how far past a
page's position the merge must look.

An eventID is found without an index entry of its own when it carries its record's
time (the recorder's version-7 IDs do: records.new_event_id): the segments around
that millisecond are opened. Any other eventID gets an "EventId" key.

For code that follows the log (trails, `gatehold events tail`):

    cursor = log.last_seq(db)            # start at the end (or 0: from the beginning)
    while True:
        batch, cursor = log.since(db, cursor)
        ...

`since` returns records in the order their segments were stored (`seq`), which is
not quite eventTime order: read-only calls are stored by a batcher up to ~1 s late
(audit/recorder.py). On PostgreSQL two transactions may commit out of `seq` order,
so a follower can see segment 12 before segment 11 commits; delivery waits for
records to settle (audit/delivery.py), and consumers drop repeats by eventID, as
CloudTrail's own consumers must (its files may repeat events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, or_, select

from gatehold.store import schema

_s = schema.audit_segments
_k = schema.audit_segment_keys

Record = dict[str, Any]
Resources = Sequence[tuple[str, str]]

_MAX_VALUE = 512
# The longest time one segment spans: rows further apart go to separate segments.
MAX_SPAN = timedelta(seconds=60)
# Rows per segment at most (the recorder's batches are smaller).
MAX_SEGMENT = 1000


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


def username_of(record: Record) -> str | None:
    """LookupEvents' Username: the user name; a role session's name (the last part
    of the assumed-role ARN); "root" for the root user."""
    identity = record.get("userIdentity") or {}
    kind = identity.get("type")
    if kind == "Root":
        return "root"
    if kind in ("AssumedRole", "FederatedUser"):
        arn = identity.get("arn") or ""
        return str(arn.rsplit("/", 1)[1]) if "/" in arn else None
    name = identity.get("userName")
    return str(name) if name else None


def _resources_from_record(record: Record) -> list[tuple[str, str]]:
    return [
        (str(r.get("type", "")), str(r.get("ARN", "")))
        for r in record.get("resources") or ()
        if r.get("ARN")
    ]


# One record as the log stores it (`row` makes it, `insert` stores it): the columns
# LookupEvents filters on, the record's resource lookups, and the record's JSON.
Row = tuple[
    str,  # 0 event_id
    str,  # 1 account_id
    str,  # 2 event_time: exact, UTC, "YYYY-MM-DD HH:MM:SS.ffffff" (text_time)
    str,  # 3 event_name
    str,  # 4 event_source
    str | None,  # 5 username
    str | None,  # 6 access_key_id
    bool,  # 7 read_only
    list[tuple[str, str]] | None,  # 8 resources: [(ResourceType, ResourceName)], None: none
    list[tuple[str, str]],  # 9 lookups: (ResourceType|ResourceName, value), each once
    bytes,  # 10 the record as JSON (UTF-8)
]


def text_time(at: datetime) -> str:
    """An exact UTC time as the log keeps it (text order is time order; the text
    SQLAlchemy's DateTime keeps in SQLite)."""
    # == strftime("%Y-%m-%d %H:%M:%S.%f"), at a third of its cost (once per record)
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _from_text(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def row(
    record: Record, resources: Resources | None = None, at: datetime | None = None
) -> Row | None:
    """The row of `record` (None: a record for no account, which nobody may see).
    Pure: no database work, so the recorder's batcher makes its rows before it
    opens a transaction. `resources`: the (ResourceType, ResourceName) pairs LookupEvents
    shows and finds the record by (default: the record's own `resources` ARNs).
    `at`: the exact time, when known (eventTime has whole seconds; the row keeps
    the exact time so that newest-first is right within a second)."""
    account = record.get("recipientAccountId")
    if not account:
        return None  # an unsigned call for no known account
    res = list(resources) if resources is not None else _resources_from_record(record)
    identity = record.get("userIdentity") or {}
    return (
        record["eventID"],
        account,
        text_time(at or datetime.fromisoformat(record["eventTime"])),
        record["eventName"],
        record["eventSource"],
        username_of(record),
        identity.get("accessKeyId") or None,
        bool(record.get("readOnly", False)),
        res or None,
        resource_values(res),
        orjson.dumps(record),
    )


def resource_values(res: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(attribute, value) pairs of a record's resources, each once."""
    out: list[tuple[str, str]] = []
    for kind, name in res:
        for pair in (("ResourceType", kind[:_MAX_VALUE]), ("ResourceName", name[:_MAX_VALUE])):
            if pair not in out:
                out.append(pair)
    return out


# ---- segments: pure -----------------------------------------------------------------


@dataclass
class Segment:
    """Rows of one account as one segment row: what `insert` stores."""

    account_id: str
    first_time: str
    last_time: str
    # Per record: [event_id, time, event_name, event_source, username,
    # access_key_id, read_only, resources, offset, length] (Column below).
    columns: list[list[Any]] = field(default_factory=list)
    records: list[bytes] = field(default_factory=list)
    size: int = 0
    # The latest time of the records of each shape (their lookup columns: rows
    # alike in those carry the same keys), and of each eventID needing a key.
    _shapes: dict[tuple[Any, ...], str] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)

    def add(self, r: Row) -> None:
        at = r[2]
        self.first_time = min(self.first_time, at)
        self.last_time = max(self.last_time, at)
        self.columns.append([r[0], at, r[3], r[4], r[5], r[6], r[7], r[8], self.size, len(r[10])])
        self.records.append(r[10])
        self.size += len(r[10])
        shape = (r[3], r[4], r[5], r[6], r[7], tuple(r[9]))
        if self._shapes.get(shape, "") < at:
            self._shapes[shape] = at
        if not _id_carries_time(r[0], at):
            self._ids[r[0][:_MAX_VALUE]] = at

    def keys(self) -> dict[tuple[str, str], str]:
        """(attribute, value) -> the latest time of the records that carry it."""
        keys: dict[tuple[str, str], str] = {}
        for shape, at in self._shapes.items():
            for pair in _keys_of(shape):
                if keys.get(pair, "") < at:
                    keys[pair] = at
        for event_id, at in self._ids.items():
            keys[("EventId", event_id)] = at
        return keys


class Column:
    """Positions in a segment's per-record columns."""

    EVENT_ID, TIME, NAME, SOURCE, USERNAME, ACCESS_KEY, READ_ONLY, RESOURCES, OFFSET, LENGTH = (
        range(10)
    )


def _keys_of(shape: tuple[Any, ...]) -> Iterator[tuple[str, str]]:
    """The keys of records of a shape: (event_name, event_source, username,
    access_key_id, read_only, resource lookups)."""
    name, source, username, access_key, read_only, lookups = shape
    yield ("EventName", name[:_MAX_VALUE])
    yield ("EventSource", source[:_MAX_VALUE])
    yield ("ReadOnly", "true" if read_only else "false")
    if username:
        yield ("Username", username[:_MAX_VALUE])
    if access_key:
        yield ("AccessKeyId", access_key[:_MAX_VALUE])
    yield from lookups


def segments_of(rows: Iterable[Row]) -> list[Segment]:
    """`rows` as segments, in the order of their first rows: one per account, split
    where a row falls outside MAX_SPAN around a segment's first row's time or a
    segment holds MAX_SEGMENT rows."""
    made: list[Segment] = []
    open_: dict[str, tuple[Segment, str, str]] = {}  # account: segment, its time window
    for r in rows:
        at = r[2]
        found = open_.get(r[1])
        if found is None or not found[1] <= at <= found[2] or len(found[0].records) >= MAX_SEGMENT:
            first = _from_text(at)
            found = open_[r[1]] = (
                Segment(r[1], at, at),
                text_time(first - MAX_SPAN / 2),
                text_time(first + MAX_SPAN / 2),
            )
            made.append(found[0])
        found[0].add(r)
    return made


def _id_carries_time(event_id: str, at: str) -> bool:
    """Whether `event_id` is a version-7 UUID whose millisecond is the record's."""
    ms = _id_ms(event_id)
    if ms is None:
        return False
    whole, fraction = divmod(ms, 1000)
    return at[20:23] == f"{fraction:03d}" and at[:19] == second_text(whole)


def _id_ms(event_id: str) -> int | None:
    if len(event_id) != 36 or event_id[14] != "7":
        return None
    try:
        return int(event_id[:8] + event_id[9:13], 16)
    except ValueError:
        return None


def second_text(unix_second: int) -> str:
    """ "YYYY-MM-DD HH:MM:SS" of a Unix second (the log's time text, to the second);
    the current second's is made once."""
    global _second
    if _second[0] != unix_second:
        text = (
            (_EPOCH + timedelta(seconds=unix_second)).replace(tzinfo=None).isoformat(" ", "seconds")
        )
        _second = (unix_second, text)
    return _second[1]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_second: tuple[int, str] = (-1, "")  # replaced whole: threads never see a mix


# ---- writing ----------------------------------------------------------------------


def append(
    db: Connection,
    records: Sequence[Record],
    resources: Sequence[Resources] | None = None,
    times: Sequence[datetime | None] | None = None,
) -> None:
    """Store `records` in the caller's transaction. `resources` and `times`: one per
    record, as `row` takes them."""
    made = (
        row(r, resources[i] if resources is not None else None, times[i] if times else None)
        for i, r in enumerate(records)
    )
    insert(db, [r for r in made if r is not None])


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


def _column_texts(db: Connection, seqs: Sequence[int]) -> dict[int, str]:
    """The columns JSON of segments `seqs`, in one query (parsed only once opened)."""
    if not seqs:
        return {}
    found = db.execute(select(_s.c.seq, _s.c.columns).where(_s.c.seq.in_(seqs)))
    return {int(seq): text for seq, text in found}


def _record_bytes(db: Connection, cuts: Sequence[tuple[int, int, int]]) -> list[bytes]:
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


def _stored(seq: int, index: int, c: list[Any], record: bytes) -> Stored:
    return Stored(
        position=(c[Column.TIME], seq, index),
        event_id=c[Column.EVENT_ID],
        event_time=_from_text(c[Column.TIME]),
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
    blobs = _record_bytes(
        db,
        [(found[i][0][1], found[i][1][Column.OFFSET], found[i][1][Column.LENGTH]) for i in order],
    )
    made: dict[int, Stored] = {}
    for i, blob in zip(order, blobs, strict=True):
        (_, seq, index), c = found[i]
        made[i] = _stored(seq, index, c, blob)
    return [made[i] for i in range(len(found))]


# ---- LookupEvents ---------------------------------------------------------------------


def _matcher(attribute: str | None, value: str | None) -> Callable[[list[Any]], bool] | None:
    """Whether a record's columns carry `attribute` = `value` (None: no record can)."""
    wanted = (value or "")[:_MAX_VALUE]
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
        return lambda c: (c[single] or "")[:_MAX_VALUE] == wanted and c[single] is not None
    if attribute in ("ResourceType", "ResourceName"):
        part = 0 if attribute == "ResourceType" else 1
        return lambda c: any(r[part][:_MAX_VALUE] == wanted for r in c[Column.RESOURCES] or ())
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
    hi = min(end, _from_text(after[0])) if after is not None else end
    lo_text, hi_text = text_time(start), text_time(hi)

    def wanted(position: tuple[str, int, int], c: list[Any]) -> bool:
        return (
            lo_text <= position[0] <= hi_text and (after is None or position < after) and matches(c)
        )

    if attribute == "EventId":
        if after is not None:
            return []  # one record at most: there is no second page
        texts = _column_texts(db, _segments_with_id(db, account_id, value or ""))
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
    for chunk in _candidates(db, account_id, attribute, value, start, hi):
        texts = _column_texts(db, [seq for _, seq in chunk])
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


def _candidates(
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
            _k.c.value == (value or "")[:_MAX_VALUE],
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


def _segments_with_id(db: Connection, account_id: str, event_id: str) -> list[int]:
    """Segments that may hold `event_id`: its own key's, and for a time-carrying ID
    those around its millisecond."""
    seqs = {
        int(s)
        for s in db.execute(
            select(_k.c.seq).where(
                _k.c.account_id == account_id,
                _k.c.attribute == "EventId",
                _k.c.value == event_id[:_MAX_VALUE],
            )
        ).scalars()
    }
    ms = _id_ms(event_id)
    if ms is not None:
        at = _EPOCH + timedelta(milliseconds=ms)
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
        found = _read_segments(
            db.execute(
                select(_s.c.seq, _s.c.last_time, _s.c.columns, _s.c.records)
                .where(_s.c.seq > (out[-1].seq if out else cursor))
                .order_by(_s.c.seq)
                .limit(16)
            )
        )
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
        query = select(_s.c.seq, _s.c.last_time, _s.c.columns, _s.c.records)
        if before is not None:
            query = query.where(_s.c.seq < before)
        found = _read_segments(db.execute(query.order_by(_s.c.seq.desc()).limit(16)))
        if not found:
            break
        segs += found
        held += sum(len(s.records) for s in found)
        before = found[-1].seq
    records = [record for seg in reversed(segs) for _, record in seg.records]
    return records[-count:] if count > 0 else [], last_seq(db)


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


def retention_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
