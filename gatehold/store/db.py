"""Engines and transactions for the two stores: SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

# Where a data folder's SQLite file lives is the settings' (config.sqlite_url);
# tools and tests that open a data folder's store name it from here too.
from gatehold.config import sqlite_url as sqlite_url


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer; NORMAL sync is durable across crashes of
    # the process (not of the OS) and is what WAL is designed to run with.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Several workers share one file: wait for the writer instead of failing.
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("gatehold_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        # Take the write lock at BEGIN, not at the first write: a transaction that
        # reads then writes cannot then fail half-way with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=8,
            max_overflow=8,
            # Last in, first out: the connection used last is the one whose page cache
            # is warm (SQLite keeps a cache per connection, dropped when another
            # connection has written since); FIFO rotated through all eight.
            pool_use_lifo=True,
            connect_args={"check_same_thread": False, "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


class Store:
    """The database: read-only connections and write transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(make_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """All of one operation's writes, committed together or not at all."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only (no write lock on SQLite)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(gatehold_read_only=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
