"""Console sign-in throttling: the policy, pure (no I/O; store/signin_failures.py counts).

Two subjects are counted for every failed sign-in: the account being signed in to
(an IAM user name in an account, or a root email — known or not, so that throttling
says nothing about which names exist) and the source address.

- A subject with `threshold` consecutive failures is locked for `base` minutes; each
  further lock of the same run lasts `base` more, up to `max` (defaults 5 failures,
  15 minutes growing to 30: the seed's "unlocked after 15-30 minutes").
- Attempts while locked are refused without being counted (they are not evidence
  of anything new, and counting them would let an attacker push an account to the
  hard limit quickly).
- An account reaching `max_failures` consecutive failures (NIST SP 800-63B 5.2.2:
  no more than 100) stays locked until an administrator unlocks it
  (`gatehold users unlock`).
- A correct sign-in clears the account's counter. A source address's counter is
  not cleared by a success (an attacker holding one valid account could otherwise
  reset it at will); it lapses after `max` minutes without failures instead.
- Concurrent attempts are judged one after another: the outcome is decided on the
  counters as they stand when it is recorded (read under a row lock,
  console/signin/steps.py), so a parallel burst loses no failure, and an attempt
  recorded after the lock was set is an attempt while locked, a correct password
  included.

What a locked user is told: nothing. A locked account answers exactly as a wrong
password does, even when the password given is correct, and the password is still
hashed so the answer takes the same time. Telling "try again at 10:45" after a
correct password would confirm the password to whoever is guessing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# A subject's run of consecutive failures, as store/signin_failures.py keeps it.
from gatehold.store.records import Counter as Counter

# A lock that only an administrator lifts.
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int = 5
    base_minutes: int = 15
    max_minutes: int = 30
    max_failures: int = 100
    address_threshold: int = 50


def is_locked(counter: Counter, now: datetime) -> bool:
    return counter.locked_until is not None and now < counter.locked_until


def cooldown(lock_number: int, policy: LockoutPolicy) -> timedelta:
    """How long the n-th lock of a run lasts (n >= 1)."""
    minutes = min(policy.base_minutes * lock_number, policy.max_minutes)
    return timedelta(minutes=minutes)


def after_failure(
    counter: Counter,
    now: datetime,
    policy: LockoutPolicy,
    *,
    threshold: int,
    hard_limit: int | None,
) -> Counter:
    """The counter after one more (counted) failure."""
    failures = counter.failures + 1
    locked_until = counter.locked_until
    if hard_limit is not None and failures >= hard_limit:
        locked_until = FOREVER
    elif failures % threshold == 0:
        locked_until = now + cooldown(failures // threshold, policy)
    return Counter(failures=failures, last_failure_at=now, locked_until=locked_until)


def account_failure(counter: Counter, now: datetime, policy: LockoutPolicy) -> Counter:
    return after_failure(
        counter, now, policy, threshold=policy.threshold, hard_limit=policy.max_failures
    )


def address_failure(counter: Counter, now: datetime, policy: LockoutPolicy) -> Counter:
    return after_failure(
        lapsed(counter, now, policy),
        now,
        policy,
        threshold=policy.address_threshold,
        hard_limit=None,
    )


def lapsed(counter: Counter, now: datetime, policy: LockoutPolicy) -> Counter:
    """An address's run starts over after a quiet `max_minutes` with no lock in force."""
    quiet = timedelta(minutes=policy.max_minutes)
    if (
        counter.last_failure_at is not None
        and now - counter.last_failure_at >= quiet
        and not is_locked(counter, now)
    ):
        return Counter()
    return counter


def account_subject(account_id: str, user_name: str) -> str:
    return f"user:{account_id}:{user_name.lower()}"


def root_subject(email: str) -> str:
    return f"root:{email.lower()}"


def address_subject(address: str) -> str:
    return f"ip:{address}"
