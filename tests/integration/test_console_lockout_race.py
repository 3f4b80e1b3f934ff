"""Parallel sign-ins against the console lockout (a guessing burst), on the store under
test (SQLite, or PostgreSQL with GATEHOLD_TEST_STORE=postgres).

Every failure of a burst must be counted (no lost update of the counter), attempts
judged after the lock are neither counted nor let through, and a correct password
whose outcome is recorded after a lock was set does not sign in."""

from __future__ import annotations

import html.parser
import http.client
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gatehold.audit.recorder import recorder_for
from gatehold.auth import lockout
from gatehold.auth.lockout import Counter, LockoutPolicy
from gatehold.auth.password import verify_password
from gatehold.authz.enforcer import PolicyEnforcer
from gatehold.clock import SystemClock
from gatehold.console.core import Console
from gatehold.console.signin import machine, steps
from gatehold.services.runner import Runner
from gatehold.store import schema, signin_failures
from gatehold.store.db import Store, sqlite_url
from gatehold.store.migrations import migrate
from tests.support.console import INCORRECT, PASSWORD, make_user, unlock
from tests.support.pg import until_a_lock_is_awaited
from tests.support.servers import RunningServer

BURST = 12
THRESHOLD = LockoutPolicy().threshold  # the server runs with the default policy


class _Inputs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            self.inputs[a["name"] or ""] = a.get("value") or ""


class _Attempt:
    """One sign-in form, fetched ahead (CSRF cookie and token) and posted on a signal."""

    def __init__(self, port: int, account: str, user: str, password: str) -> None:
        self.port = port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/signin")
        r = conn.getresponse()
        body = r.read().decode()
        conn.close()
        cookies = [h.split(";", 1)[0] for k, h in r.getheaders() if k.lower() == "set-cookie"]
        self.cookie = "; ".join(cookies)
        p = _Inputs()
        p.feed(body)
        fields = dict(p.inputs)
        fields.update(account=account, user_name=user, password=password)
        self.body = urllib.parse.urlencode(fields)
        self.status = 0
        self.location = ""
        self.answer = ""
        self.set_session = False

    def post(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(
            "POST",
            "/signin",
            body=self.body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.cookie,
            },
        )
        r = conn.getresponse()
        self.status = r.status
        self.location = r.getheader("Location") or ""
        self.set_session = any(
            k.lower() == "set-cookie" and v.startswith("gatehold_session=")
            for k, v in r.getheaders()
        )
        self.answer = r.read().decode()
        conn.close()

    @property
    def signed_in(self) -> bool:
        return self.set_session or urllib.parse.urlsplit(self.location).path.startswith("/console")


def _burst(attempts: list[_Attempt]) -> None:
    """All posts at once: every thread waits at a barrier, then sends."""
    gate = threading.Barrier(len(attempts))

    def run(a: _Attempt) -> None:
        gate.wait()
        a.post()

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(a.status for a in attempts), "a request did not finish"


@pytest.fixture
def store(server: RunningServer) -> Iterator[Store]:
    s = Store.open(server.database_url or sqlite_url(server.data_dir))
    try:
        yield s
    finally:
        s.dispose()


def _counter(store: Store, subject: str) -> Counter:
    with store.reading() as db:
        return signin_failures.get(db, subject)


def _forget_address(store: Store) -> None:
    """Each test starts with the test client's address unthrottled."""
    with store.transaction() as db:
        signin_failures.clear(db, lockout.address_subject("127.0.0.1"))


def test_a_parallel_burst_of_wrong_passwords_locks_the_account(
    server: RunningServer, store: Store
) -> None:
    _forget_address(store)
    name = make_user(server)
    attempts = [_Attempt(server.port, server.account_id, name, "wrong") for _ in range(BURST)]
    _burst(attempts)
    for a in attempts:
        assert not a.signed_in
        assert INCORRECT in a.answer
    # Counted one after another, each judged by the counter before it: the burst
    # reaches the threshold (no failure lost), and the attempts judged after the lock
    # was set are refused without being counted (lockout.py).
    subject = lockout.account_subject(server.account_id, name)
    counter = _counter(store, subject)
    assert counter.failures == THRESHOLD, counter
    assert lockout.is_locked(counter, datetime.now(UTC))
    # The address saw every counted failure too.
    address = _counter(store, lockout.address_subject("127.0.0.1"))
    assert address.failures == THRESHOLD, address
    # Locked: the correct password is refused with the same answer.
    right = _Attempt(server.port, server.account_id, name, PASSWORD)
    right.post()
    assert not right.signed_in and INCORRECT in right.answer
    unlock(server, name)
    again = _Attempt(server.port, server.account_id, name, PASSWORD)
    again.post()
    assert again.signed_in, (again.status, again.location)


def test_a_correct_password_in_a_burst_that_crosses_the_threshold(
    server: RunningServer, store: Store
) -> None:
    """One correct password among wrong ones, the account one failure short of the
    lock. Whichever order the store records them in, the counter never loses a failure,
    and the correct one signs in only if it was recorded before the lock (then it
    cleared the run, and the failures after it start a new one)."""
    _forget_address(store)
    name = make_user(server)
    for _ in range(THRESHOLD - 1):
        a = _Attempt(server.port, server.account_id, name, "wrong")
        a.post()
        assert INCORRECT in a.answer
    wrong = [_Attempt(server.port, server.account_id, name, "wrong") for _ in range(BURST - 1)]
    right = _Attempt(server.port, server.account_id, name, PASSWORD)
    _burst([*wrong[:5], right, *wrong[5:]])
    assert all(INCORRECT in a.answer and not a.signed_in for a in wrong)
    counter = _counter(store, lockout.account_subject(server.account_id, name))
    if right.signed_in:
        # Recorded before the fifth failure: the run restarted at it, and the wrong
        # guesses recorded after it count from zero (at most BURST - 1 of them).
        assert counter.failures <= BURST - 1
    else:
        assert INCORRECT in right.answer
        assert counter.failures == THRESHOLD, counter
        assert lockout.is_locked(counter, datetime.now(UTC))
    unlock(server, name)


def test_a_lock_set_while_the_password_is_hashed_refuses_the_correct_password(
    server: RunningServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic: the lock is committed by "another request" exactly while this
    one hashes the correct password (between the first look and the recording). The
    outcome is the locked account's: INCORRECT, nothing counted, no session."""
    _forget_address(store)
    name = make_user(server)
    subject = lockout.account_subject(server.account_id, name)
    now = datetime.now(UTC)
    locked = Counter(THRESHOLD, now, now + timedelta(minutes=15))

    def verify_while_a_burst_locks(password_hash: str | None, password: str) -> bool:
        ok = verify_password(password_hash, password)
        with store.transaction() as db:
            signin_failures.put(db, subject, locked)
        return ok

    monkeypatch.setattr("gatehold.console.signin.steps.verify_password", verify_while_a_burst_locks)
    # password_step needs no secret box.
    runner = Runner(store, None, PolicyEnforcer(), None, recorder_for(store))  # type: ignore[arg-type]
    c = Console(runner=runner, clock=SystemClock())
    users = schema.users
    with store.reading() as db:
        user_id = db.execute(select(users.c.user_id).where(users.c.user_name == name)).scalar_one()
    sessions_before = _session_count(store, user_id)

    out = steps.password_step(c, "127.0.0.1", PASSWORD, account=server.account_id, user_name=name)

    assert out.token is None
    assert out.transition.stage is machine.Stage.NEED_PASSWORD
    assert out.transition.error == machine.INCORRECT
    assert _counter(store, subject) == locked  # neither counted nor cleared
    assert _session_count(store, user_id) == sessions_before
    unlock(server, name)


def _session_count(store: Store, user_id: str) -> int:
    t = schema.console_sessions
    with store.reading() as db:
        return len(db.execute(select(t.c.token_hash).where(t.c.user_id == user_id)).all())


def test_hold_waits_out_a_cleared_counter_and_still_holds_the_row(
    database_url: str | None, tmp_path: Path
) -> None:
    """A sign-in waiting to lock a counter that the transaction it waits on deletes (a
    correct password clears it) must still come away holding the row: without it,
    two sign-ins took the account and address rows in opposite orders and deadlocked
    on PostgreSQL (seen in CI)."""
    if database_url is None:
        pytest.skip("SQLite runs one write transaction at a time: there is no wait to race")
    s = Store.open(database_url)
    migrate(s)
    subject = "user:123456789012:held"
    now = datetime.now(UTC)
    held = threading.Event()
    try:
        with s.engine.connect() as first, s.engine.connect() as probe:
            tx = first.begin()
            signin_failures.hold(first, subject, now)
            signin_failures.put(first, subject, Counter(4, now, None))
            tx.commit()
            tx = first.begin()
            signin_failures.hold(first, subject, now)  # the correct password's transaction

            def second() -> None:
                with s.transaction() as db:
                    signin_failures.hold(db, subject, now)  # waits for `first`
                    held.set()
                    time.sleep(2)  # keeps the row while the probe looks

            waiting = threading.Thread(target=second)
            waiting.start()
            until_a_lock_is_awaited(probe)  # the waiter has found the row, and waits on it
            signin_failures.clear(first, subject)
            tx.commit()  # the row is gone; the waiter must take a new one
            assert held.wait(20)
            # The waiter's new row is not committed, so the probe cannot see it; but
            # inserting the same subject must wait for the waiter (it holds the key).
            with probe.begin(), pytest.raises(OperationalError, match="lock timeout"):
                probe.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                signin_failures.hold(probe, subject, now)
            waiting.join(30)
    finally:
        s.dispose()
