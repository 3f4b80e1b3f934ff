"""The alarms' memory on a real store (SQLite, or PostgreSQL under
GATEHOLD_TEST_STORE=postgres): recall counts what note wrote, within the window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gatehold.audit.alarms import history, rules
from gatehold.audit.alarms.rules import Place, SignIn, Thresholds
from gatehold.store.db import Store, sqlite_url
from gatehold.store.migrations import migrate

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
T = Thresholds()
BERLIN = Place("DE", 52.52, 13.40)


@pytest.fixture
def store(database_url: str | None, tmp_path: Path) -> Store:
    s = Store.open(database_url or sqlite_url(tmp_path))
    migrate(s)
    return s


def signin(**kw: Any) -> SignIn:
    base = SignIn(
        NOW, "123456789012", "user:123456789012:alice", "alice", "198.51.100.1", False, False, False
    )
    return replace(base, **kw)


def judge(store: Store, s: SignIn) -> list[str]:
    with store.transaction() as db:
        recent = history.recall(db, s, T)
        history.note(db, s)
    return [f.kind for f in rules.judge_sign_in(s, recent, T)]


def test_failures_against_one_user_alarm_once(store: Store) -> None:
    found = [judge(store, signin(at=NOW + timedelta(seconds=i))) for i in range(7)]
    assert found[4] == [rules.BRUTE_FORCE_USER]
    assert [k for k in found if k] == [[rules.BRUTE_FORCE_USER]]


def test_failures_outside_the_window_are_forgotten(store: Store) -> None:
    for i in range(4):
        judge(store, signin(at=NOW - timedelta(hours=1, seconds=i)))
    assert judge(store, signin()) == []


def test_spraying_across_users_from_one_address(store: Store) -> None:
    found = []
    for i in range(6):
        name = f"user{i}"
        found += judge(
            store,
            signin(
                principal=f"user:123456789012:{name}",
                display_name=name,
                at=NOW + timedelta(seconds=i),
            ),
        )
    assert found == [rules.PASSWORD_SPRAYING]


def test_new_address_and_country_after_a_baseline(store: Store) -> None:
    ok = signin(success=True, mfa_used=True)
    assert judge(store, ok) == []  # the first sign-in: no baseline
    assert judge(store, replace(ok, at=NOW + timedelta(hours=1))) == []  # same address
    moved = replace(ok, at=NOW + timedelta(hours=2), source_ip="192.0.2.9", place=BERLIN)
    assert judge(store, moved) == [rules.NEW_ADDRESS, rules.NEW_COUNTRY]
    assert judge(store, replace(moved, at=NOW + timedelta(hours=3))) == []


def test_prune_forgets_old_attempts(store: Store) -> None:
    judge(store, signin(at=NOW - timedelta(days=100)))
    judge(store, signin())
    with store.transaction() as db:
        assert history.prune(db, NOW - timedelta(days=90)) == 1
