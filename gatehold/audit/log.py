"""The audit log's storage: CloudTrail records in, CloudTrail records out.

`append` runs inside the caller's transaction, so a change and its record commit
together (or neither does). Records are CloudTrail-shaped dicts (audit/records.py
builds them); a row keeps the whole record as JSON beside the columns lookups use
(each single-valued LookupEvents attribute is an indexed column), and `audit_lookup`
gets one narrow row per ResourceType / ResourceName value of the record.

For code that follows the log (trails, `gatehold events tail`, alarms):

    cursor = log.last_seq(db)            # start at the end (or 0: from the beginning)
    while True:
        batch, cursor = log.since(db, cursor)
        ...

`since` returns records in the order they were stored (`seq`), which is not quite
eventTime order: read-only calls are stored by a batcher up to ~1 s late
(audit/recorder.py). On PostgreSQL two transactions may commit out of `seq` order,
so a follower can see seq 12 before seq 11 commits; followers that must not miss a
record re-read the last few seconds (`since(db, cursor, settle=...)`) and drop
duplicates by eventID, as CloudTrail's own consumers must (its files may repeat events).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, or_, select

from gatehold.store import schema

_t = schema.audit_events
_l = schema.audit_lookup

Record = dict[str, Any]
Resources = Sequence[tuple[str, str]]

# LookupEvents' AttributeKey values (CloudTrail API Reference, LookupAttribute).
# EventId is looked up by the events table's own unique index.
INDEXED_ATTRIBUTES = (
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
_MAX_VALUE = 512


@dataclass(frozen=True)
class Stored:
    """A record as LookupEvents answers it."""

    seq: int
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
    if kind == "AssumedRole":
        arn = identity.get("arn") or ""
        return str(arn.rsplit("/", 1)[1]) if "/" in arn else None
    if kind == "FederatedUser":
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


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


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
    list[tuple[str, str]],  # 9 lookups: (attribute, value) rows for audit_lookup
    bytes,  # 10 the record as JSON (UTF-8)
]


def text_time(at: datetime) -> str:
    """An exact UTC time as the log's rows carry it: the text SQLAlchemy's DateTime
    keeps in SQLite (so UtcDateTime reads it back; text order is time order)."""
    # == strftime("%Y-%m-%d %H:%M:%S.%f"), at a third of its cost (once per record)
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def row(record: Record, resources: Resources | None = None, at: datetime | None = None) -> Row | None:
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
        text_time(at or _parse_time(record["eventTime"])),
        record["eventName"],
        record["eventSource"],
        username_of(record),
        identity.get("accessKeyId") or None,
        bool(record.get("readOnly", False)),
        res or None,
        _resource_values(res),
        orjson.dumps(record),
    )


def _resource_values(res: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(attribute, value) pairs of a record's resources, each once."""
    out: list[tuple[str, str]] = []
    for kind, name in res:
        for pair in (("ResourceType", kind[:_MAX_VALUE]), ("ResourceName", name[:_MAX_VALUE])):
            if pair not in out:
                out.append(pair)
    return out


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
    """Store `rows` in the caller's transaction: seq numbers for all of them at once,
    one statement per table."""
    if not rows:
        return
    if db.dialect.name == "sqlite":
        _insert_sqlite(db, rows)
    else:
        _insert_postgres(db, rows)


def _insert_sqlite(db: Connection, rows: Sequence[Row]) -> None:
    # The whole batch goes in as two parameters SQLite takes apart itself: the rows'
    # columns as one JSON array (json_each), their records as one byte string cut by
    # offsets (substr on a BLOB is by byte, no parsing). One statement per table,
    # whatever the batch's size. Besides being cheaper than a statement per row, it
    # matters for the recorder: Python's sqlite3 releases the GIL around each
    # statement, and a statement per row handed the GIL back and forth with the
    # request threads hundreds of times a second, which cost them more CPU than the
    # inserts themselves. (Records inside the JSON cost SQLite a parse each: 60%
    # more per row than the byte string.) bench/README.md, audit_cost.py, has the figures.
    # Safe to number after the largest seq: the write transaction holds SQLite's only
    # write lock from BEGIN IMMEDIATE (store/db.py). The driver's own connection, as
    # SQLAlchemy's statement machinery cost more than SQLite's work for one record.
    raw = db.connection.driver_connection
    assert raw is not None
    top = raw.execute("SELECT MAX(seq) FROM audit_events").fetchone()[0] or 0
    columns: list[tuple[Any, ...]] = []
    start = 1  # substr counts from 1
    for r in rows:
        columns.append((*r[:10], start, len(r[10])))
        start += len(r[10])
    batch = orjson.dumps(columns)
    raw.execute(_SQLITE_EVENTS, (top, batch, b"".join(r[10] for r in rows)))
    if any(r[9] for r in rows):
        raw.execute(_SQLITE_LOOKUPS, (top, batch))


def _field(i: int, source: str = "value") -> str:
    return f"json_extract({source}, '$[{i}]')"


# json_each's `key` is the row's position in the batch; fields by position (Row),
# then the record's offset and length in the byte string.
_SQLITE_EVENTS = (
    "INSERT INTO audit_events (seq, event_id, account_id, event_time, event_name, "
    "event_source, username, access_key_id, read_only, resources, record) "
    f"SELECT ?1 + key + 1, {', '.join(_field(i) for i in range(9))}, "
    f"CAST(substr(?3, {_field(10)}, {_field(11)}) AS TEXT) "
    "FROM json_each(CAST(?2 AS TEXT))"
)
_SQLITE_LOOKUPS = (
    "INSERT INTO audit_lookup (account_id, attribute, value, event_time, seq) "
    f"SELECT {_field(1, 'r.value')}, {_field(0, 'l.value')}, {_field(1, 'l.value')}, "
    f"{_field(2, 'r.value')}, ?1 + r.key + 1 "
    "FROM json_each(CAST(?2 AS TEXT)) AS r, json_each(r.value, '$[9]') AS l"
)


def _insert_postgres(db: Connection, rows: Sequence[Row]) -> None:
    # Seq numbers from the column's sequence, which concurrent transactions share;
    # then the driver's executemany (the server does the work, the driver waits
    # without the GIL).
    seqs = [
        int(r[0])
        for r in db.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('audit_events', 'seq')) "
            "FROM generate_series(1, %(n)s)",
            {"n": len(rows)},
        )
    ]
    events = [
        (seq, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
         orjson.dumps(r[8]).decode() if r[8] else None, r[10].decode())
        for seq, r in zip(seqs, rows, strict=True)
    ]
    db.exec_driver_sql(
        "INSERT INTO audit_events (seq, event_id, account_id, event_time, event_name, "
        "event_source, username, access_key_id, read_only, resources, record) "
        "VALUES (%s, %s, %s, CAST(%s AS timestamp) AT TIME ZONE 'UTC', %s, %s, %s, %s, %s, %s, %s)",
        events,
    )
    lookups = [(r[1], a, v, r[2], seq) for seq, r in zip(seqs, rows, strict=True) for a, v in r[9]]
    if lookups:
        db.exec_driver_sql(
            "INSERT INTO audit_lookup (account_id, attribute, value, event_time, seq) "
            "VALUES (%s, %s, %s, CAST(%s AS timestamp) AT TIME ZONE 'UTC', %s)",
            lookups,
        )


# ---- reading -------------------------------------------------------------------


def _stored(row: Any) -> Stored:
    res = orjson.loads(row.resources) if row.resources else []
    return Stored(
        int(row.seq),
        row.event_id,
        row.event_time,
        row.event_name,
        row.event_source,
        bool(row.read_only),
        row.record,
        [(str(a), str(b)) for a, b in res],
        row.username,
        row.access_key_id,
    )


_COLUMNS = (
    _t.c.seq,
    _t.c.event_id,
    _t.c.event_time,
    _t.c.event_name,
    _t.c.event_source,
    _t.c.read_only,
    _t.c.record,
    _t.c.resources,
    _t.c.username,
    _t.c.access_key_id,
)


def lookup(
    db: Connection,
    account_id: str,
    *,
    attribute: str | None,
    value: str | None,
    start: datetime,
    end: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Stored]:
    """Up to `limit` of the account's records in [start, end], newest first, that
    carry `attribute` = `value` (None: all), strictly after the `after` position
    (event_time, seq) of a previous page."""
    if attribute == "EventId":
        query = select(*_COLUMNS).where(_t.c.account_id == account_id, _t.c.event_id == value)
        query = query.where(_t.c.event_time >= start, _t.c.event_time <= end)
        if after is not None:
            return []
        return [_stored(r) for r in db.execute(query)]
    time_col, seq_col = _t.c.event_time, _t.c.seq
    if attribute is None:
        query = select(*_COLUMNS).where(_t.c.account_id == account_id)
    elif attribute in _COLUMN_OF:
        # A single-valued attribute: its own index on audit_events (store/schema.py).
        match: Any = value or ""
        if attribute == "ReadOnly":
            if match not in ("true", "false"):
                return []
            match = match == "true"
        query = select(*_COLUMNS).where(
            _t.c.account_id == account_id, _t.c[_COLUMN_OF[attribute]] == match
        )
    elif attribute in ("ResourceType", "ResourceName"):
        time_col, seq_col = _l.c.event_time, _l.c.seq
        query = (
            select(*_COLUMNS)
            .select_from(_l.join(_t, _t.c.seq == _l.c.seq))
            .where(
                _l.c.account_id == account_id,
                _l.c.attribute == attribute,
                _l.c.value == (value or "")[:_MAX_VALUE],
            )
        )
    else:
        return []
    query = query.where(time_col >= start, time_col <= end)
    if after is not None:
        at, seq = after
        query = query.where(or_(time_col < at, and_(time_col == at, seq_col < seq)))
    query = query.order_by(time_col.desc(), seq_col.desc()).limit(limit)
    return [_stored(r) for r in db.execute(query)]


# LookupEvents' single-valued attributes and the audit_events column each is.
_COLUMN_OF = {
    "EventName": "event_name",
    "EventSource": "event_source",
    "ReadOnly": "read_only",
    "Username": "username",
    "AccessKeyId": "access_key_id",
}


def recent(db: Connection, account_id: str, limit: int = 50) -> list[Record]:
    """The account's newest records first."""
    found = db.execute(
        select(_t.c.record)
        .where(_t.c.account_id == account_id)
        .order_by(_t.c.event_time.desc(), _t.c.seq.desc())
        .limit(limit)
    )
    return [orjson.loads(r[0]) for r in found]


def last_seq(db: Connection) -> int:
    """The cursor of the newest stored record (0: none): where a follower starts."""
    return int(db.execute(select(func.coalesce(func.max(_t.c.seq), 0))).scalar_one())


def since(
    db: Connection, cursor: int, limit: int = 1000, settle: int = 0
) -> tuple[list[Record], int]:
    """Records stored after `cursor` (all accounts), oldest first, and the cursor to
    pass next time. `settle` > 0 also re-reads that many seq numbers before the
    cursor (see the module's note on PostgreSQL); callers drop repeats by eventID."""
    found = db.execute(
        select(_t.c.seq, _t.c.record)
        .where(_t.c.seq > max(0, cursor - settle))
        .order_by(_t.c.seq)
        .limit(limit)
    ).all()
    records = [orjson.loads(r.record) for r in found]
    return records, max([cursor, *(int(r.seq) for r in found)])


# ---- retention -------------------------------------------------------------------


def prune(db: Connection, older_than: datetime, batch: int = 5000) -> int:
    """Delete up to `batch` records older than `older_than` (with their lookup
    rows); returns how many went. Callers repeat until it returns less than batch,
    each in its own short transaction, so pruning never holds the write lock long.
    Found account by account through ix_audit_events_time (no index of its own:
    one more index entry on every API call would cost more than this hourly walk)."""
    accounts = [r[0] for r in db.execute(select(schema.accounts.c.account_id))]
    seqs: list[int] = []
    for account in accounts:
        seqs += [
            int(r[0])
            for r in db.execute(
                select(_t.c.seq)
                .where(_t.c.account_id == account, _t.c.event_time < older_than)
                .limit(batch - len(seqs))
            )
        ]
        if len(seqs) >= batch:
            break
    if not seqs:
        return 0
    db.execute(delete(_l).where(_l.c.seq.in_(seqs)))
    db.execute(delete(_t).where(_t.c.seq.in_(seqs)))
    return len(seqs)


def retention_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)

