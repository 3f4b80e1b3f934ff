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


def rows(
    records: Sequence[Record],
    resources: Sequence[Resources] | None = None,
    times: Sequence[datetime | None] | None = None,
) -> tuple[list[dict[str, Any]], list[list[tuple[str, str]]]]:
    """Event rows (without seq) and each record's resource pairs. Pure: the batcher
    thread calls this, so the JSON work is off the request path. `times`: each
    record's exact time, when known (eventTime has whole seconds; the row keeps the
    exact time so that newest-first is right within a second)."""
    out: list[dict[str, Any]] = []
    pairs: list[list[tuple[str, str]]] = []
    for i, record in enumerate(records):
        if not record.get("recipientAccountId"):
            continue  # no account to show it to (an unsigned call for no known account)
        res = list(resources[i]) if resources is not None else _resources_from_record(record)
        identity = record.get("userIdentity") or {}
        out.append(
            {
                "event_id": record["eventID"],
                "account_id": record["recipientAccountId"],
                "event_time": (times[i] if times and times[i] else None)
                or _parse_time(record["eventTime"]),
                "event_name": record["eventName"],
                "event_source": record["eventSource"],
                "username": username_of(record),
                "access_key_id": identity.get("accessKeyId") or None,
                "read_only": bool(record.get("readOnly", False)),
                "resources": orjson.dumps(res).decode("utf-8") if res else None,
                "record": orjson.dumps(record).decode("utf-8"),
            }
        )
        pairs.append(res)
    return out, pairs


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
    """Store `records` in the caller's transaction. `resources`, one sequence per
    record, are the (ResourceType, ResourceName) pairs LookupEvents shows and finds
    it by; without them they come from each record's own `resources` (ARNs)."""
    if not records:
        return
    prepared, pairs = rows(records, resources, times)
    append_rows(db, prepared, pairs)


def append_rows(
    db: Connection, prepared: list[dict[str, Any]], pairs: list[list[tuple[str, str]]]
) -> None:
    """Store rows made by `rows` (the batcher prepares them outside the transaction):
    seq numbers for all of them at once, then one multi-row insert per table."""
    if not prepared:
        return
    seqs = _next_seqs(db, len(prepared))
    stamp = _stamp_for(db)
    events: list[tuple[Any, ...]] = []
    lookup: list[tuple[Any, ...]] = []
    for row, res, seq in zip(prepared, pairs, seqs, strict=True):
        row["seq"] = seq
        when = stamp(row["event_time"])
        events.append(
            (seq, row["event_id"], row["account_id"], when, row["event_name"],
             row["event_source"], row["username"], row["access_key_id"], row["read_only"],
             row["resources"], row["record"])
        )
        if res:
            account = row["account_id"]
            lookup.extend((account, a, v, when, seq) for a, v in _resource_values(res))
    # Straight to the driver's executemany: SQLAlchemy's per-row parameter processing
    # cost more than SQLite's own work here, and this runs for every API call.
    mark = "?" if db.dialect.paramstyle == "qmark" else "%s"
    db.exec_driver_sql(
        f"INSERT INTO audit_events ({', '.join(_EVENT_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_EVENT_COLUMNS))})",
        events,
    )
    if lookup:
        db.exec_driver_sql(
            "INSERT INTO audit_lookup (account_id, attribute, value, event_time, seq) "
            f"VALUES ({', '.join([mark] * 5)})",
            lookup,
        )


_EVENT_COLUMNS = (
    "seq",
    "event_id",
    "account_id",
    "event_time",
    "event_name",
    "event_source",
    "username",
    "access_key_id",
    "read_only",
    "resources",
    "record",
)


def _stamp_for(db: Connection) -> Any:
    """How the driver takes a UTC timestamp: SQLite as the text SQLAlchemy's DateTime
    stores (so UtcDateTime reads it back), PostgreSQL as the aware datetime."""
    if db.dialect.name == "sqlite":
        # == strftime("%Y-%m-%d %H:%M:%S.%f"), at a third of its cost (once per record)
        return lambda at: at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return lambda at: at


def _next_seqs(db: Connection, n: int) -> list[int]:
    """`n` fresh seq numbers. SQLite: after the largest, which is safe because a write
    transaction holds SQLite's only write lock from BEGIN IMMEDIATE (store/db.py).
    PostgreSQL: from the column's sequence, which concurrent transactions share."""
    # Plain SQL through the driver: building and compiling a select() cost more than
    # SQLite's own lookup of the largest rowid, on every change's transaction.
    if db.dialect.name == "sqlite":
        top = int(db.exec_driver_sql("SELECT COALESCE(MAX(seq), 0) FROM audit_events").scalar_one())
        return list(range(top + 1, top + n + 1))
    found = db.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('audit_events', 'seq')) "
        "FROM generate_series(1, %(n)s)",
        {"n": n},
    )
    return [int(r[0]) for r in found]


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

