"""Every row of every table, to prove a request changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, select

from gatehold.store.db import normalize_url, sqlite_url
from gatehold.store.schema import metadata
from tests.support.servers import RunningServer

# The audit log records every request, refused ones included (a refused call's
# record is the one thing it must leave): not part of "what a request changed".
AUDIT_TABLES = frozenset({"audit_segments", "audit_segment_keys"})


def snapshot(server: RunningServer) -> dict[str, list[tuple[Any, ...]]]:
    url = normalize_url(server.database_url or sqlite_url(server.data_dir))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: sorted(tuple(r) for r in conn.execute(select(t)))
                for t in metadata.sorted_tables
                if t.name not in AUDIT_TABLES
            }
    finally:
        engine.dispose()
