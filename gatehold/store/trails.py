"""The trails table: plain functions over a Connection (see schema.trails)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from gatehold.store import schema

_t = schema.trails


@dataclass(frozen=True)
class Trail:
    account_id: str
    name: str
    home_region: str
    bucket: str
    key_prefix: str | None
    include_global_events: bool
    multi_region: bool
    logging: bool
    cursor: int
    created_at: datetime
    start_logging_at: datetime | None
    stop_logging_at: datetime | None
    delivery_attempt_at: datetime | None
    delivered_at: datetime | None
    delivery_error: str | None

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.home_region}:{self.account_id}:trail/{self.name}"


def _trail(row: Any) -> Trail:
    m = row._mapping
    return Trail(**{k: m[k] for k in Trail.__dataclass_fields__})


def get(db: Connection, account_id: str, name: str, *, for_update: bool = False) -> Trail | None:
    query = select(_t).where(_t.c.account_id == account_id, _t.c.name == name)
    if for_update:
        query = query.with_for_update()
    row = db.execute(query).first()
    return _trail(row) if row else None


def of_account(db: Connection, account_id: str) -> list[Trail]:
    rows = db.execute(select(_t).where(_t.c.account_id == account_id).order_by(_t.c.name))
    return [_trail(r) for r in rows]


def count(db: Connection, account_id: str, region: str) -> int:
    return len([t for t in of_account(db, account_id) if t.home_region == region])


def needs_delivery(trail: Trail, settle: timedelta) -> bool:
    """A logging trail; or a stopped one whose records from before it stopped may
    not all have been delivered yet (no delivery round since they settled)."""
    if trail.logging:
        return True
    if trail.stop_logging_at is None:
        return False
    return trail.delivery_attempt_at is None or (
        trail.delivery_attempt_at <= trail.stop_logging_at + settle
    )


def to_deliver(db: Connection, settle: timedelta) -> list[tuple[str, str]]:
    """(account, name) of every trail the deliverer should visit."""
    rows = db.execute(select(_t).where(_t.c.logging.is_(True) | _t.c.stop_logging_at.isnot(None)))
    return [(t.account_id, t.name) for t in map(_trail, rows) if needs_delivery(t, settle)]


def lock_for_delivery(db: Connection, account_id: str, name: str) -> Trail | None:
    """The trail, locked for this transaction, or None when another worker holds it
    (PostgreSQL: SKIP LOCKED; SQLite's write transaction is exclusive already)."""
    query = select(_t).where(_t.c.account_id == account_id, _t.c.name == name)
    row = db.execute(query.with_for_update(skip_locked=True)).first()
    return _trail(row) if row else None


def insert(db: Connection, trail: Trail) -> None:
    db.execute(_t.insert().values(**trail.__dict__))


def update(db: Connection, account_id: str, name: str, **values: Any) -> None:
    db.execute(_t.update().where(_t.c.account_id == account_id, _t.c.name == name).values(**values))


def delete(db: Connection, account_id: str, name: str) -> None:
    db.execute(_t.delete().where(_t.c.account_id == account_id, _t.c.name == name))
