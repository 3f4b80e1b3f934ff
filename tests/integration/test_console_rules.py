"""The console's pure rules, without a server: the lockout policy's numbers and the
sign-in state machine's transitions (what the HTTP tests cannot reach quickly:
growing cooldowns, the 100-failure limit, expiry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatehold.auth import lockout
from gatehold.auth.lockout import FOREVER, Counter, LockoutPolicy
from gatehold.console.signin import machine as signin
from gatehold.console.signin.machine import Effect, PrincipalFacts, Stage

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
POLICY = LockoutPolicy()


def fail(counter: Counter, times: int, now: datetime) -> Counter:
    for _ in range(times):
        counter = lockout.account_failure(counter, now, POLICY)
    return counter


def test_five_failures_lock_for_15_minutes_then_30() -> None:
    c = fail(Counter(), 4, T0)
    assert not lockout.is_locked(c, T0)
    c = fail(c, 1, T0)
    assert c.locked_until == T0 + timedelta(minutes=15)
    assert lockout.is_locked(c, T0 + timedelta(minutes=14))
    later = T0 + timedelta(minutes=15)
    assert not lockout.is_locked(c, later)
    c = fail(c, 5, later)
    assert c.locked_until == later + timedelta(minutes=30)
    c = fail(c, 5, later)  # grows no further than the maximum
    assert c.locked_until == later + timedelta(minutes=30)


def test_hundred_consecutive_failures_lock_until_an_administrator_unlocks() -> None:
    c = fail(Counter(), 99, T0)
    assert c.locked_until != FOREVER
    c = fail(c, 1, T0)
    assert c.failures == 100 and c.locked_until == FOREVER
    assert lockout.is_locked(c, T0 + timedelta(days=3650))


def test_address_counter_lapses_after_a_quiet_period_only() -> None:
    c = Counter()
    for _ in range(POLICY.address_threshold - 1):
        c = lockout.address_failure(c, T0, POLICY)
    quiet = T0 + timedelta(minutes=POLICY.max_minutes)
    assert lockout.address_failure(c, quiet, POLICY).failures == 1
    assert lockout.is_locked(lockout.address_failure(c, T0, POLICY), T0)


def facts(**kw: bool) -> PrincipalFacts:
    base = {
        "exists": True,
        "locked": False,
        "has_mfa": False,
        "reset_required": False,
        "expired": False,
        "hard_expiry": False,
    }
    base.update(kw)
    return PrincipalFacts(**base)


def test_wrong_unknown_and_locked_answer_alike() -> None:
    wrong = signin.after_password(password_ok=False, facts=facts())
    unknown = signin.after_password(password_ok=True, facts=signin.NOBODY)
    locked = signin.after_password(password_ok=True, facts=facts(locked=True))
    assert wrong.error == unknown.error == locked.error == signin.INCORRECT
    assert {wrong.stage, unknown.stage, locked.stage} == {Stage.NEED_PASSWORD}
    # A locked account's attempts are not counted (no push towards the hard limit).
    assert Effect.COUNT_FAILURE not in locked.effects


def test_stages_in_aws_order() -> None:
    t = signin.after_password(password_ok=True, facts=facts(has_mfa=True, reset_required=True))
    assert t.stage is Stage.NEED_MFA and Effect.CLEAR_FAILURES not in t.effects
    t = signin.after_mfa(code_ok=True, facts=facts(has_mfa=True, reset_required=True))
    assert t.stage is Stage.NEED_NEW_PASSWORD and Effect.CLEAR_FAILURES in t.effects
    assert signin.after_new_password(changed=True).stage is Stage.SIGNED_IN
    assert signin.after_password(password_ok=True, facts=facts()).stage is Stage.SIGNED_IN


def test_expired_password_must_be_changed_unless_hard_expiry() -> None:
    assert (
        signin.after_password(password_ok=True, facts=facts(expired=True)).stage
        is Stage.NEED_NEW_PASSWORD
    )
    hard = signin.after_password(password_ok=True, facts=facts(expired=True, hard_expiry=True))
    assert hard.stage is Stage.NEED_PASSWORD and hard.error == signin.EXPIRED_HARD


def test_a_correct_password_recorded_after_a_lock_is_refused() -> None:
    """The decision as recorded (steps.judge_password): the lock state re-read under
    lock when the outcome is written wins over the first look taken before hashing.
    A parallel burst may lock the account while a correct password is being hashed."""
    from gatehold.console.signin import steps

    t = steps.judge_password(password_ok=True, facts=facts(), locked_now=True)
    assert t.error == signin.INCORRECT and t.stage is Stage.NEED_PASSWORD
    assert t.effects == ()  # no session, neither counted nor cleared
    # A wrong password judged after the lock is not counted either.
    assert steps.judge_password(password_ok=False, facts=facts(), locked_now=True).effects == ()
    # Locked at the first look: refused even if unlocked meanwhile.
    assert (
        steps.judge_password(password_ok=True, facts=facts(locked=True), locked_now=False).effects
        == ()
    )
    # Not locked at either point: the usual outcomes.
    assert (
        steps.judge_password(password_ok=True, facts=facts(), locked_now=False).stage
        is Stage.SIGNED_IN
    )
    wrong = steps.judge_password(password_ok=False, facts=facts(), locked_now=False)
    assert wrong.effects == (Effect.COUNT_FAILURE,)
