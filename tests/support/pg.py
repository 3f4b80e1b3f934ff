"""Create and drop a throwaway database on a PostgreSQL server; wait for a lock wait."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Connection
from sqlalchemy.engine import make_url


@contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def until_a_lock_is_awaited(conn: Connection, *, seconds: float = 20) -> None:
    """Until another session of `conn`'s database waits on a lock: the moment a race
    a test stages has its loser waiting on the winner's row."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        waiting = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).scalar_one()
        conn.rollback()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("no session of the database came to wait on a lock")
