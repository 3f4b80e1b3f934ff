"""The audit log's storage: CloudTrail records in, CloudTrail records out.

`append` runs inside the caller's transaction, so a change and its record commit
together (or neither does). Records are CloudTrail-shaped dicts (gatehold/audit
builds them); the row keeps the whole record as JSON plus the columns lookups use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from gatehold.store import schema

_t = schema.audit_events

Record = dict[str, Any]


def _row(record: Record) -> dict[str, Any]:
    identity = record.get("userIdentity") or {}
    return {
        "event_id": record["eventID"],
        "account_id": record["recipientAccountId"],
        "event_time": datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        "event_name": record["eventName"],
        "event_source": record["eventSource"],
        "username": identity.get("userName") or _session_name(identity),
        "access_key_id": identity.get("accessKeyId"),
        "read_only": bool(record.get("readOnly", False)),
        "record": orjson.dumps(record).decode("utf-8"),
    }


def _session_name(identity: Record) -> str | None:
    # LookupEvents' Username of a role session is the session's name (the last
    # part of the assumed-role ARN).
    arn = identity.get("arn") or ""
    if identity.get("type") == "AssumedRole" and "/" in arn:
        return str(arn.rsplit("/", 1)[1])
    return None


def append(db: Connection, records: Sequence[Record]) -> None:
    """Store `records` in the caller's transaction."""
    if records:
        db.execute(_t.insert(), [_row(r) for r in records])


def recent(db: Connection, account_id: str, limit: int = 50) -> list[Record]:
    """The account's newest records first."""
    rows = db.execute(
        select(_t.c.record)
        .where(_t.c.account_id == account_id)
        .order_by(_t.c.event_time.desc(), _t.c.event_id.desc())
        .limit(limit)
    )
    return [orjson.loads(r[0]) for r in rows]
