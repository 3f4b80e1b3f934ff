"""A store made by an earlier release upgrades: step 2 adds what came after version 1."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from gatehold.store import migrations, schema
from gatehold.store.db import Store, make_engine, sqlite_url


def _version_one_store(tmp_path: Path) -> Store:
    """A store as version 1 left it: none of step 2's tables or columns."""
    store = Store(make_engine(sqlite_url(tmp_path)))
    migrations.migrate(store)
    with store.transaction() as conn:
        for name in migrations.V2_TABLES:
            conn.execute(text(f'DROP TABLE "{name}"'))
        for table, column in migrations.V2_COLUMNS:
            conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))
        conn.execute(
            schema.meta.update().where(schema.meta.c.key == "schema_version").values(value="1")
        )
    return store


def test_version_one_store_gains_what_step_two_adds(tmp_path: Path) -> None:
    store = _version_one_store(tmp_path)
    assert migrations.migrate(store) == (1, migrations.LATEST)
    with store.reading() as conn:
        inspector = inspect(conn)
        for name in migrations.V2_TABLES:
            assert inspector.has_table(name), name
        for table, column in migrations.V2_COLUMNS:
            assert column in {c["name"] for c in inspector.get_columns(table)}, (table, column)
    # Applied once: a second run has nothing to do.
    assert migrations.migrate(store) == (migrations.LATEST, migrations.LATEST)


def test_a_fresh_store_is_at_the_latest_version(tmp_path: Path) -> None:
    store = Store(make_engine(sqlite_url(tmp_path)))
    assert migrations.migrate(store) == (0, migrations.LATEST)
    with store.reading() as conn:
        assert migrations.current_version(conn) == migrations.LATEST
