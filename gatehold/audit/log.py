"""Storing the audit log: CloudTrail records in.

`append` / `insert` run inside the caller's transaction, so a change and its record
commit together (or neither does). Records are CloudTrail-shaped dicts
(audit/records.py builds them); `row` turns one into a Row: the columns LookupEvents
filters on, plus the record's JSON. Rows are stored as segments, a batch of one
account in one row with a key per attribute value its records carry: the format is
store/audit_rows.py, the SQL store/audit_segments.py.

Reading the log back: LookupEvents in audit/lookup.py; trails and `gatehold events
tail` follow it with audit/follow.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from gatehold.store import audit_segments
from gatehold.store.audit_rows import Row, resource_values, text_time

Record = dict[str, Any]
Resources = Sequence[tuple[str, str]]


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
    audit_segments.insert(db, rows)


def retention_cutoff(now: datetime, days: int) -> datetime:
    """The time before which records go, when they are kept for `days` days."""
    return now - timedelta(days=days)
