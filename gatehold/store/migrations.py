"""Schema migrations: an ordered list of steps, each applied once, in one transaction.

The schema version lives in gh_meta. A new feature that needs a table or a column
appends a step here; steps are never edited once released, so a store created by
any earlier version upgrades by replaying what it lacks.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select, text

from gatehold.store import schema
from gatehold.store.db import Store

Step = Callable[[Connection], None]


def _v1_initial(conn: Connection) -> None:
    # Version 1 is the first released schema: every table defined in schema.py
    # today. Later changes are new steps below, never edits to this one.
    schema.metadata.create_all(conn, checkfirst=True)


# Version 2: the tables and columns added after version 1 was released. Each
# feature lists what it adds here (new tables by name, new columns as
# (table, column)); the columns must be nullable or have a server default so that
# existing rows stay valid. A store created fresh already has them (version 1
# creates every table of schema.py as it is now), so this step only adds what is
# missing.
V2_TABLES: tuple[str, ...] = (
    "audit_events", "recovery_tokens", "signin_attempts", "console_webauthn_challenges",
    "audit_lookup", "trails", "retired_access_keys",
)
V2_COLUMNS: tuple[tuple[str, str], ...] = (
    ("console_sessions", "role_session"),
    ("iam_mfa_devices", "credential_id"),
    ("iam_mfa_devices", "public_key"),
    ("iam_mfa_devices", "sign_count"),
    ("iam_mfa_devices", "transports"),
)


def _v2_after_first_release(conn: Connection) -> None:
    tables = [schema.metadata.tables[name] for name in V2_TABLES]
    schema.metadata.create_all(conn, tables=tables, checkfirst=True)
    _add_missing_columns(conn, V2_COLUMNS)


def _add_missing_columns(conn: Connection, columns: tuple[tuple[str, str], ...]) -> None:
    inspector = inspect(conn)
    for table_name, column_name in columns:
        present = {c["name"] for c in inspector.get_columns(table_name)}
        if column_name in present:
            continue
        column = schema.metadata.tables[table_name].c[column_name]
        column_type = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f'ALTER TABLE "{table_name}" ADD COLUMN "{column_name}" {column_type}'))


STEPS: list[Step] = [_v1_initial, _v2_after_first_release]
LATEST = len(STEPS)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.meta.name):
        return 0
    row = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).first()
    return int(row[0]) if row else 0


def _set_version(conn: Connection, version: int) -> None:
    t = schema.meta
    if conn.execute(select(t.c.key).where(t.c.key == "schema_version")).first():
        conn.execute(t.update().where(t.c.key == "schema_version").values(value=str(version)))
    else:
        conn.execute(t.insert().values(key="schema_version", value=str(version)))


def migrate(store: Store) -> tuple[int, int]:
    """Apply every pending step; returns (version before, version after)."""
    with store.transaction() as conn:
        before = current_version(conn)
        if before > LATEST:
            raise RuntimeError(
                f"the store is at schema version {before}, newer than this gatehold ({LATEST})"
            )
        for number in range(before + 1, LATEST + 1):
            STEPS[number - 1](conn)
            _set_version(conn, number)
    return before, LATEST
