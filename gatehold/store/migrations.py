"""Schema migrations: an ordered list of steps, each applied once, in one transaction.

The schema version lives in gh_meta. A new feature that needs a table or a column
appends a step here; steps are never edited once released, so a store created by
any earlier version upgrades by replaying what it lacks.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from gatehold.store import schema
from gatehold.store.db import Store
from gatehold.store.schema import UtcDateTime

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
    "audit_events",
    "recovery_tokens",
    "signin_attempts",
    "console_webauthn_challenges",
    "audit_lookup",
    "trails",
    "retired_access_keys",
)
V2_COLUMNS: tuple[tuple[str, str], ...] = (
    ("console_sessions", "role_session"),
    ("iam_mfa_devices", "credential_id"),
    ("iam_mfa_devices", "public_key"),
    ("iam_mfa_devices", "sign_count"),
    ("iam_mfa_devices", "transports"),
)

# The audit log as step 2 made it: a row per record (audit_events) and a row per
# resource value (audit_lookup). Step 3 moves their records into segments and
# drops them; they live on here only for the stores that still have them.
LEGACY = MetaData()
legacy_audit_events = Table(
    "audit_events",
    LEGACY,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("account_id", String(12), nullable=False),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("event_source", String(128), nullable=False),
    Column("username", String(256), nullable=True),
    Column("access_key_id", String(128), nullable=True),
    Column("read_only", Boolean, nullable=False),
    Column("resources", Text, nullable=True),
    Column("record", Text, nullable=False),
)
Index("ix_audit_events_time", legacy_audit_events.c.account_id, legacy_audit_events.c.event_time)
for _column in ("event_name", "event_source", "read_only", "username", "access_key_id"):
    Index(
        f"ix_audit_events_{_column}",
        legacy_audit_events.c.account_id,
        legacy_audit_events.c[_column],
        legacy_audit_events.c.event_time,
        legacy_audit_events.c.seq,
    )
del _column
legacy_audit_lookup = Table(
    "audit_lookup",
    LEGACY,
    Column("account_id", String(12), primary_key=True),
    Column("attribute", String(16), primary_key=True),
    Column("value", String(512), primary_key=True),
    Column("event_time", UtcDateTime(), primary_key=True),
    Column("seq", Integer, primary_key=True),
    sqlite_with_rowid=False,
)
Index("ix_audit_lookup_seq", legacy_audit_lookup.c.seq)


def _table(name: str) -> Table:
    return LEGACY.tables[name] if name in LEGACY.tables else schema.metadata.tables[name]


def _v2_after_first_release(conn: Connection) -> None:
    for name in V2_TABLES:
        _table(name).create(conn, checkfirst=True)
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


# Version 3: the audit log in segments (gatehold/store/audit_segments.py, audit_segments and
# audit_segment_keys). A store's audit_events rows are moved over in their stored
# order, and each trail's cursor (an audit_events seq) becomes the seq of the
# segment that ends where it pointed, so no trail delivers a record twice or misses one.
V3_TABLES: tuple[str, ...] = ("audit_segments", "audit_segment_keys")


def _v3_audit_segments(conn: Connection) -> None:
    from gatehold.store import migration_v3  # the audit log's own code: loaded only here

    schema.metadata.create_all(
        conn, tables=[schema.metadata.tables[n] for n in V3_TABLES], checkfirst=True
    )
    if conn.dialect.name == "postgresql":
        # Records are read a few at a time out of a segment's byte string: kept
        # uncompressed, substring() reads only the chunks it needs.
        conn.execute(text("ALTER TABLE audit_segments ALTER COLUMN records SET STORAGE EXTERNAL"))
    if inspect(conn).has_table("audit_events"):
        migration_v3.move_to_segments(conn, legacy_audit_events)
        legacy_audit_lookup.drop(conn, checkfirst=True)
        legacy_audit_events.drop(conn)


STEPS: list[Step] = [_v1_initial, _v2_after_first_release, _v3_audit_segments]
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
