"""The failure counters lockout.py decides on, in the console_signin_failures table."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gatehold.console.lockout import Counter
from gatehold.store import schema

_t = schema.console_signin_failures


def get(conn: Connection, subject: str) -> Counter:
    row = conn.execute(select(_t).where(_t.c.subject == subject)).first()
    if row is None:
        return Counter()
    m = row._mapping
    return Counter(m["failures"], m["last_failure_at"], m["locked_until"])


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
