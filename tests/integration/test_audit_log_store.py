"""The audit log's storage on a real store (SQLite, or PostgreSQL under
GATEHOLD_TEST_STORE=postgres): newest-first lookups with a page position, the
follower cursor (`since`), retention pruning, and the batcher's flush on close."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from gatehold.audit import log
from gatehold.audit.recorder import Recorder
from gatehold.store import accounts
from gatehold.store.db import Store, sqlite_url
from gatehold.store.migrations import migrate

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
OTHER = "210987654321"


@pytest.fixture
def store(database_url: str | None, tmp_path: Path) -> Store:
    s = Store.open(database_url or sqlite_url(tmp_path))
    migrate(s)
    with s.transaction() as db:
        accounts.create(db, ACCOUNT, "a@example.com", "x", NOW)
        accounts.create(db, OTHER, "b@example.com", "x", NOW)
    return s


def record(at: datetime, name: str = "GetUser", account: str = ACCOUNT, user: str = "alice") -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": user, "accessKeyId": "AKIAX"},
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "eventID": str(uuid.uuid4()),
        "readOnly": True,
        "recipientAccountId": account,
    }


def _lookup(db: Any, after: tuple[str, int, int] | None = None, limit: int = 10, **kw: Any) -> list[log.Stored]:
    return log.lookup(
        db,
        kw.pop("account", ACCOUNT),
        attribute=kw.pop("attribute", None),
        value=kw.pop("value", None),
        start=NOW - timedelta(days=90),
        end=NOW + timedelta(days=1),
        after=after,
        limit=limit,
    )


def test_lookups_are_newest_first_per_account_and_page_by_position(store: Store) -> None:
    # Three records in the same second: the exact times order them.
    recs = [record(NOW + timedelta(milliseconds=i), user=f"u{i % 2}") for i in range(3)]
    times = [NOW + timedelta(milliseconds=i) for i in range(3)]
    with store.transaction() as db:
        log.append(db, recs, [[("AWS::IAM::User", "bob")]] * 3, times)
        log.append(db, [record(NOW, account=OTHER)])
    with store.reading() as db:
        found = _lookup(db)
        assert [s.event_id for s in found] == [r["eventID"] for r in reversed(recs)]
        assert found[0].resources == [("AWS::IAM::User", "bob")]
        page1 = _lookup(db, attribute="ResourceName", value="bob", limit=2)
        page2 = _lookup(db, attribute="ResourceName", value="bob",
                        after=page1[-1].position)
        assert [s.event_id for s in page1 + page2] == [s.event_id for s in found]
        assert [s.username for s in _lookup(db, attribute="Username", value="u0")] == ["u0", "u0"]
        assert len(_lookup(db, account=OTHER)) == 1


def test_a_batch_is_stored_record_for_record_whatever_its_text(store: Store) -> None:
    # The batcher stores many records in one statement, cutting each out of one byte
    # string: multi-byte characters, escapes and sizes must not shift the cuts.
    texts = ["plain", "Bötø 😀 \u2028 \"quoted\" \\ back", "x" * 5000, "", "终端 </script>"]
    recs = [record(NOW + timedelta(milliseconds=i), user=f"user{i}") | {"userAgent": t}
            for i, t in enumerate(texts)]
    recorder = Recorder(store, interval=60)
    for r in recs:
        recorder.later_record(r, [("AWS::IAM::User", f"user{recs.index(r)}")])
    recorder.close()
    with store.reading() as db:
        stored = {s.event_id: s for s in _lookup(db, limit=50)}
        assert len(stored) == len(recs)
        for i, r in enumerate(recs):
            s = stored[r["eventID"]]
            assert orjson.loads(s.record_json) == r
            assert s.username == f"user{i}" and s.resources == [("AWS::IAM::User", f"user{i}")]
            found = _lookup(db, attribute="ResourceName", value=f"user{i}")
            assert [f.event_id for f in found] == [r["eventID"]]


def test_since_follows_new_records_in_stored_order(store: Store) -> None:
    with store.reading() as db:
        cursor = log.last_seq(db)
    with store.transaction() as db:
        log.append(db, [record(NOW, "First"), record(NOW - timedelta(hours=1), "Second")])
    with store.reading() as db:
        batch, cursor = log.since(db, cursor)
        assert [r["eventName"] for r in batch] == ["First", "Second"]
        assert log.since(db, cursor) == ([], cursor)


def test_retention_prunes_old_records_and_their_index_rows(store: Store) -> None:
    old, young = record(NOW - timedelta(days=91), "Old"), record(NOW - timedelta(days=89), "Young")
    with store.transaction() as db:
        log.append(db, [old, young])
    recorder = Recorder(store, retention_days=90, background=False)
    assert recorder.prune(NOW) == 1
    with store.reading() as db:
        assert [s.event_name for s in _lookup(db)] == ["Young"]
        assert _lookup(db, attribute="EventName", value="Old") == []


def test_close_flushes_what_the_batcher_holds(store: Store) -> None:
    recorder = Recorder(store, interval=60)  # would not flush on its own for a minute
    recorder.later_record(record(NOW, "Queued"))
    recorder.close()
    with store.reading() as db:
        assert [s.event_name for s in _lookup(db)] == ["Queued"]


def test_account_events_for_other_sign_in_pages(store: Store) -> None:
    """PasswordUpdated and friends, for the pages outside the sign-in steps."""
    import orjson

    from gatehold.audit import signin_events

    with store.transaction() as db:
        account = accounts.get(db, ACCOUNT)
        assert account is not None
        signin_events.account_event(
            db, Recorder(store, background=False), name="PasswordUpdated", account=account,
            user=None, now=NOW, source_ip="192.0.2.1", user_agent="Mozilla/5.0",
        )
    with store.reading() as db:
        (stored,) = _lookup(db, attribute="EventName", value="PasswordUpdated")
    r = orjson.loads(stored.record_json)
    assert r["eventSource"] == "signin.amazonaws.com" and r["eventType"] == "AwsConsoleSignIn"
    assert r["responseElements"] == {"PasswordUpdated": "Success"}
    assert r["userIdentity"]["type"] == "Root" and stored.username == "root"
    assert (r["sourceIPAddress"], r["userAgent"]) == ("192.0.2.1", "Mozilla/5.0")
