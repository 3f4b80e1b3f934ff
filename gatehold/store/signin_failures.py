"""The failure counters auth/lockout.py decides on, in the console_signin_failures table.

Concurrent sign-ins: a decision that writes (count a failure, let a success through)
reads the counters with `get(..., for_update=True)` or `hold` inside its write
transaction. On PostgreSQL (READ COMMITTED) that is SELECT ... FOR UPDATE: a second
transaction on the same subject waits and then reads the first one's committed
counter, so no failure is lost and no success slips past a lock set meanwhile. On
SQLite the write transaction (BEGIN IMMEDIATE) already serializes them, and
SQLAlchemy leaves FOR UPDATE out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gatehold.store import schema
from gatehold.store.records import Counter

_t = schema.console_signin_failures


def get(conn: Connection, subject: str, *, for_update: bool = False) -> Counter:
    """A subject's counter; with for_update its row (if there is one) stays locked
    until the transaction ends."""
    query = select(_t).where(_t.c.subject == subject)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return Counter() if row is None else _counter(row)


def _counter(row: Any) -> Counter:
    m = row._mapping
    return Counter(m["failures"], m["last_failure_at"], m["locked_until"])


def hold(conn: Connection, subject: str, now: datetime) -> Counter:
    """A subject's counter, its row created if missing and locked until the transaction
    ends: the read half of a read-modify-write (FOR UPDATE locks no row that does not
    exist, so two first failures of a new subject would both read nothing). The
    placeholder (no failures) is only seen by this transaction, which puts the real
    counter before it commits.

    Returns only once the row is really held. On PostgreSQL the row this waited for
    can be deleted by the transaction it waited on (a correct password clears the
    counter): FOR UPDATE then finds nothing, and going on without the lock let two
    sign-ins take the account and address rows in opposite orders and deadlock
    (seen in CI). So the placeholder is inserted again and locked."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    placeholder = (
        insert(_t)
        .values(subject=subject, failures=0, last_failure_at=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=[_t.c.subject])
    )
    locked = select(_t).where(_t.c.subject == subject).with_for_update()
    for _ in range(_HOLD_ATTEMPTS):
        conn.execute(placeholder)
        row = conn.execute(locked).first()
        if row is not None:
            return _counter(row)
    # Deleted under us every time: only a storm of concurrent clears could do that.
    raise RuntimeError(f"the sign-in counter {subject!r} kept vanishing")


# Each retry follows a committed delete of the row; a third in a row is not expected.
_HOLD_ATTEMPTS = 5


def put(conn: Connection, subject: str, counter: Counter) -> None:
    """Insert or replace, in one statement: two failures for a new subject arriving at
    once must not collide on the primary key (SQLite and PostgreSQL both have
    INSERT ... ON CONFLICT DO UPDATE)."""
    assert counter.last_failure_at is not None
    values = {
        "failures": counter.failures,
        "last_failure_at": counter.last_failure_at,
        "locked_until": counter.locked_until,
    }
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(_t).values(subject=subject, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[_t.c.subject], set_=values))


def clear(conn: Connection, subject: str) -> bool:
    """Forget a subject's failures (a correct sign-in, or an administrator's unlock);
    whether there were any."""
    return conn.execute(_t.delete().where(_t.c.subject == subject)).rowcount > 0
