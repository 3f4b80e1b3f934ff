"""A store made by an earlier release upgrades: step 2 adds what came after version 1;
step 3 moves the audit log's rows into segments, keeping every record findable
and every trail's delivery position."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import inspect, text

from gatehold.audit import follow, lookup
from gatehold.store import accounts, migrations, schema
from gatehold.store import trails as trails_store
from gatehold.store.db import Store, make_engine, sqlite_url
from gatehold.store.trails import Trail

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"


def _store_at(tmp_path: Path, version: int) -> Store:
    """A store as release `version` (1 or 2) left it."""
    store = Store(make_engine(sqlite_url(tmp_path)))
    migrations.migrate(store)
    with store.transaction() as conn:
        for name in migrations.V3_TABLES:
            conn.execute(text(f'DROP TABLE "{name}"'))
        if version == 1:
            for name in migrations.V2_TABLES:
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
            for table, column in migrations.V2_COLUMNS:
                conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))
        else:
            migrations.LEGACY.create_all(conn)
        conn.execute(
            schema.meta.update()
            .where(schema.meta.c.key == "schema_version")
            .values(value=str(version))
        )
    return store


def test_version_one_store_gains_what_steps_two_and_three_add(tmp_path: Path) -> None:
    store = _store_at(tmp_path, 1)
    assert migrations.migrate(store) == (1, migrations.LATEST)
    with store.reading() as conn:
        inspector = inspect(conn)
        for name in [*migrations.V2_TABLES, *migrations.V3_TABLES]:
            legacy = name in migrations.LEGACY.tables
            assert inspector.has_table(name) is not legacy, name
        for table, column in migrations.V2_COLUMNS:
            assert column in {c["name"] for c in inspector.get_columns(table)}, (table, column)
    # Applied once: a second run has nothing to do.
    assert migrations.migrate(store) == (migrations.LATEST, migrations.LATEST)


def test_a_fresh_store_is_at_the_latest_version(tmp_path: Path) -> None:
    store = Store(make_engine(sqlite_url(tmp_path)))
    assert migrations.migrate(store) == (0, migrations.LATEST)
    with store.reading() as conn:
        assert migrations.current_version(conn) == migrations.LATEST
        assert not inspect(conn).has_table("audit_events")


def _legacy_rows(count: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for seq in range(1, count + 1):
        at = NOW + timedelta(seconds=seq)
        record = {
            "eventID": str(uuid.uuid4()),  # version 4, as step 2's recorder made them
            "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventName": "GetUser" if seq % 2 else "CreateUser",
            "eventSource": "iam.amazonaws.com",
            "userIdentity": {"type": "IAMUser", "userName": f"u{seq % 3}"},
            "recipientAccountId": ACCOUNT,
            "seq": seq,
        }
        rows.append(
            {
                "seq": seq,
                "event_id": record["eventID"],
                "account_id": ACCOUNT,
                "event_time": at,
                "event_name": record["eventName"],
                "event_source": "iam.amazonaws.com",
                "username": f"u{seq % 3}",
                "access_key_id": None,
                "read_only": seq % 2 == 1,
                "resources": orjson.dumps([["AWS::IAM::User", f"user{seq}"]]).decode(),
                "record": orjson.dumps(record).decode(),
            }
        )
    return rows


def _trail(name: str, cursor: int) -> Trail:
    return Trail(
        ACCOUNT,
        name,
        "us-east-1",
        "bucket",
        None,
        True,
        True,
        True,
        cursor,
        NOW,
        NOW,
        None,
        None,
        None,
        None,
    )


def test_step_three_moves_the_audit_log_into_segments(tmp_path: Path) -> None:
    store = _store_at(tmp_path, 2)
    rows = _legacy_rows(1200)
    with store.transaction() as conn:
        accounts.create(conn, ACCOUNT, "a@example.com", "x", NOW)
        conn.execute(migrations.legacy_audit_events.insert(), rows)
        conn.execute(
            migrations.legacy_audit_lookup.insert(),
            [
                {
                    "account_id": ACCOUNT,
                    "attribute": "ResourceName",
                    "value": f"user{r['seq']}",
                    "event_time": r["event_time"],
                    "seq": r["seq"],
                }
                for r in rows
            ],
        )
        # Trails delivered up to nothing, the middle of a batch, and everything.
        for name, cursor in (("none", 0), ("middle", 777), ("all", 1200)):
            trails_store.insert(conn, _trail(name, cursor))
    assert migrations.migrate(store) == (2, migrations.LATEST)
    with store.reading() as conn:
        assert not inspect(conn).has_table("audit_events")
        assert not inspect(conn).has_table("audit_lookup")
        # Every record, in its stored order, exactly once.
        moved, _ = follow.since(conn, 0, limit=5000)
        assert [r["seq"] for r in moved] == list(range(1, 1201))

        # Found by every kind of attribute, newest first, by its (random) eventID too.
        def find(attribute: str | None, value: str | None) -> list[lookup.Stored]:
            return lookup.lookup(
                conn,
                ACCOUNT,
                attribute=attribute,
                value=value,
                start=NOW,
                end=NOW + timedelta(days=1),
                after=None,
                limit=50,
            )

        assert [orjson.loads(s.record_json)["seq"] for s in find(None, None)][:3] == [
            1200,
            1199,
            1198,
        ]
        assert [s.event_id for s in find("EventId", str(rows[99]["event_id"]))] == [
            rows[99]["event_id"]
        ]
        assert [s.resources for s in find("ResourceName", "user500")] == [
            [("AWS::IAM::User", "user500")]
        ]
        assert {s.event_name for s in find("ReadOnly", "false")} == {"CreateUser"}
        assert {s.username for s in find("Username", "u1")} == {"u1"}
        # Each trail goes on from exactly where it was.
        for name, delivered in (("none", 0), ("middle", 777), ("all", 1200)):
            trail = trails_store.get(conn, ACCOUNT, name)
            assert trail is not None
            after, _ = follow.since(conn, trail.cursor, limit=5000)
            assert [r["seq"] for r in after] == list(range(delivered + 1, 1201)), name
