"""Operations that read on almost every call and write only now and then.

AssumeRole reads a role, evaluates its trust policy and mints a sealed token:
no write at all, except RoleLastUsed, which AWS documents as approximate. Run
in a write transaction, every call would take SQLite's single write lock
(`BEGIN IMMEDIATE`); with two worker processes the losers wait in SQLite's busy
handler, which sleeps in growing steps, and the slowest calls waited most of a
second (bench/README.md, "Figures behind design decisions").

So such an operation runs in a read transaction first (registry.READ_MOSTLY).
When it finds that it must write after all — a stale RoleLastUsed, an MFA code
to mark as used — it raises WriteNeeded before it has produced anything, and
the runner (runner.py) runs it again, from the start, in a write transaction. A rerun costs
one more evaluation once a minute per role; the write it saves is on every call.
"""

from __future__ import annotations

from sqlalchemy import Connection


class WriteNeeded(Exception):
    """Raised by an operation running in a read transaction that finds it must write:
    the API runs it again in a write transaction (api.py)."""


def reading(db: Connection) -> bool:
    """Whether `db` is the read transaction of store.Store.reading()."""
    return bool(db.get_execution_options().get("gatehold_read_only"))


def need_write(db: Connection) -> None:
    """Ask for a write transaction: a no-op when `db` is one already."""
    if reading(db):
        raise WriteNeeded
