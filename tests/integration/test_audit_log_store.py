"""The audit log's storage on a real store (SQLite, or PostgreSQL under
GATEHOLD_TEST_STORE=postgres): newest-first lookups with a page position, the
follower cursor (`since`), retention pruning, and the batcher's flush on close."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from gatehold.audit import follow, log, lookup
from gatehold.audit.recorder import Recorder
from gatehold.store import accounts, audit_rows
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


def record(
    at: datetime, name: str = "GetUser", account: str = ACCOUNT, user: str = "alice"
) -> dict[str, Any]:
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


def _lookup(
    db: Any, after: tuple[str, int, int] | None = None, limit: int = 10, **kw: Any
) -> list[lookup.Stored]:
    return lookup.lookup(
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
        page2 = _lookup(db, attribute="ResourceName", value="bob", after=page1[-1].position)
        assert [s.event_id for s in page1 + page2] == [s.event_id for s in found]
        assert [s.username for s in _lookup(db, attribute="Username", value="u0")] == ["u0", "u0"]
        assert len(_lookup(db, account=OTHER)) == 1


def test_a_batch_is_stored_record_for_record_whatever_its_text(store: Store) -> None:
    # The batcher stores many records in one statement, cutting each out of one byte
    # string: multi-byte characters, escapes and sizes must not shift the cuts.
    texts = ["plain", 'Bötø 😀 \u2028 "quoted" \\ back', "x" * 5000, "", "终端 </script>"]
    recs = [
        record(NOW + timedelta(milliseconds=i), user=f"user{i}") | {"userAgent": t}
        for i, t in enumerate(texts)
    ]
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
        cursor = follow.last_seq(db)
    with store.transaction() as db:
        log.append(db, [record(NOW, "First"), record(NOW - timedelta(hours=1), "Second")])
    with store.reading() as db:
        batch, cursor = follow.since(db, cursor)
        assert [r["eventName"] for r in batch] == ["First", "Second"]
        assert follow.since(db, cursor) == ([], cursor)


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
            db,
            Recorder(store, background=False),
            name="PasswordUpdated",
            account=account,
            user=None,
            now=NOW,
            source_ip="192.0.2.1",
            user_agent="Mozilla/5.0",
        )
    with store.reading() as db:
        (stored,) = _lookup(db, attribute="EventName", value="PasswordUpdated")
    r = orjson.loads(stored.record_json)
    assert r["eventSource"] == "signin.amazonaws.com" and r["eventType"] == "AwsConsoleSignIn"
    assert r["responseElements"] == {"PasswordUpdated": "Success"}
    assert r["userIdentity"]["type"] == "Root" and stored.username == "root"
    assert (r["sourceIPAddress"], r["userAgent"]) == ("192.0.2.1", "Mozilla/5.0")


def _page_all(db: Any, limit: int, **kw: Any) -> list[lookup.Stored]:
    """Every page of a lookup, following the page positions as NextToken does."""
    out: list[lookup.Stored] = []
    after = None
    while True:
        page = _lookup(db, after=after, limit=limit, **dict(kw))
        out += page
        if len(page) < limit:
            return out
        after = page[-1].position


def test_lookups_merge_overlapping_segments_newest_first(store: Store) -> None:
    # Five batches whose records interleave in time (as two workers' batches and
    # the changes recorded meanwhile do), and a record an hour older in the middle
    # of one batch: every lookup, paged or not, is the exact newest-first order.
    made: list[tuple[datetime, dict[str, Any]]] = []
    resource_of: dict[str, str] = {}
    for batch in range(5):
        recs, times, res = [], [], []
        for i in range(40):
            at = NOW + timedelta(milliseconds=i * 5 + batch)
            if (batch, i) == (2, 20):
                at -= timedelta(hours=1)
            r = record(
                at, name=("GetUser", "ListUsers", "GetRole")[i % 3], user=f"u{(i + batch) % 4}"
            )
            resource_of[r["eventID"]] = f"t{i % 5}"
            recs.append(r)
            times.append(at)
            res.append([("AWS::IAM::User", f"t{i % 5}")])
            made.append((at, r))
        with store.transaction() as db:
            log.append(db, recs, res, times)
    newest_first = [r for _, r in sorted(made, key=lambda m: m[0], reverse=True)]
    carries: dict[str | None, Callable[[dict[str, Any], str | None], bool]] = {
        None: lambda r, v: True,
        "EventName": lambda r, v: r["eventName"] == v,
        "Username": lambda r, v: r["userIdentity"]["userName"] == v,
        "ResourceName": lambda r, v: resource_of[r["eventID"]] == v,
        "ResourceType": lambda r, v: v == "AWS::IAM::User",
        "ReadOnly": lambda r, v: v == "true",
    }
    cases = [
        (None, None),
        ("EventName", "ListUsers"),
        ("Username", "u3"),
        ("ResourceName", "t2"),
        ("ResourceType", "AWS::IAM::User"),
        ("ReadOnly", "true"),
        ("ReadOnly", "false"),
    ]
    with store.reading() as db:
        for attribute, value in cases:
            expected = [r["eventID"] for r in newest_first if carries[attribute](r, value)]
            paged = [s.event_id for s in _page_all(db, 7, attribute=attribute, value=value)]
            assert paged == expected, (attribute, value)
            whole = _lookup(db, limit=1000, attribute=attribute, value=value)
            assert [s.event_id for s in whole] == expected, (attribute, value)


def test_an_event_id_is_found_with_or_without_the_time_it_carries(store: Store) -> None:
    from gatehold.audit import records

    carrying = record(NOW + timedelta(milliseconds=3), "Carrying") | {
        "eventID": records.new_event_id(records.unix_ms(NOW + timedelta(milliseconds=3)))
    }
    other = record(NOW, "Random")  # version 4: needs a key of its own
    late = record(NOW + timedelta(seconds=5), "Late") | {
        # version 7, but not its record's millisecond (built later than it happened)
        "eventID": records.new_event_id(records.unix_ms(NOW + timedelta(seconds=7)))
    }
    with store.transaction() as db:
        log.append(
            db,
            [carrying, other, late],
            times=[NOW + timedelta(milliseconds=3), NOW, NOW + timedelta(seconds=5)],
        )
    with store.reading() as db:
        for r in (carrying, other, late):
            found = _lookup(db, attribute="EventId", value=r["eventID"])
            assert [s.event_name for s in found] == [r["eventName"]]
        assert _lookup(db, attribute="EventId", value=records.new_event_id()) == []
        assert _lookup(db, attribute="EventId", value="not-an-id") == []
        # Another account's record is not found by its ID.
        assert _lookup(db, attribute="EventId", value=carrying["eventID"], account=OTHER) == []


def test_a_segment_spans_at_most_a_minute_and_one_account() -> None:
    rows = [
        log.row(record(NOW + timedelta(seconds=s), account=a), [], NOW + timedelta(seconds=s))
        for s, a in (
            (0, ACCOUNT),
            (1, OTHER),
            (20, ACCOUNT),
            (29, ACCOUNT),
            (31, ACCOUNT),
            (2, OTHER),
        )
    ]
    segments = audit_rows.segments_of([r for r in rows if r is not None])
    assert [(s.account_id, len(s.records)) for s in segments] == [
        (ACCOUNT, 3),
        (OTHER, 2),
        (ACCOUNT, 1),
    ]
    assert all(
        audit_rows.time_from_text(s.last_time) - audit_rows.time_from_text(s.first_time)
        <= audit_rows.MAX_SPAN
        for s in segments
    )
