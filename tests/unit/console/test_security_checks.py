"""The account security checks, pure: facts in, statuses and fixes out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatehold.console.security.checks import (
    AccountFacts,
    Check,
    KeyFacts,
    PolicyFacts,
    Status,
    UserFacts,
    evaluate,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def by_key(facts: AccountFacts) -> dict[str, Check]:
    return {c.key: c for c in evaluate(facts, NOW)}


def account(*users: UserFacts, **kw: object) -> AccountFacts:
    base: dict[str, object] = {
        "root_mfa": True,
        "root_access_keys": False,
        "policy": PolicyFacts(14),
    }
    base.update(kw)
    return AccountFacts(users=tuple(users), **base)  # type: ignore[arg-type]


def test_a_well_kept_account_passes_every_check() -> None:
    alice = UserFacts(
        "alice", NOW - 200 * DAY, NOW - DAY, 1, (KeyFacts("AKIA1", True, NOW - 10 * DAY, NOW),)
    )
    checks = evaluate(account(alice), NOW)
    assert {c.status for c in checks} == {Status.OK}
    assert len(checks) == 8


def test_thresholds_are_just_past_90_days() -> None:
    fresh = KeyFacts("AKIAFRESH", True, NOW - 90 * DAY, None)
    stale = KeyFacts("AKIASTALE", True, NOW - 91 * DAY, NOW - 91 * DAY)
    off = KeyFacts("AKIAOFF", False, NOW - 400 * DAY, None)
    bob = UserFacts("bob", NOW - 91 * DAY, None, 1, (fresh, stale, off))
    checks = by_key(account(bob))
    old = checks["old-access-keys"]
    assert [f.detail for f in old.findings] == [
        f"access key AKIASTALE created {(NOW - 91 * DAY):%Y-%m-%d}"
    ]
    unused = checks["unused-access-keys"]
    assert [f.detail.split()[2] for f in unused.findings] == ["AKIASTALE"]
    pw = checks["unused-passwords"]
    assert pw.findings[0].fix_url == "/console/iam/users/bob"


def test_users_without_mfa_only_counts_console_users() -> None:
    carol = UserFacts("carol/x", NOW, None, 0)  # a name that needs quoting in a URL
    api_only = UserFacts("robot", None, None, 0)
    check = by_key(account(carol, api_only))["users-without-mfa"]
    assert check.status is Status.ATTENTION
    assert [f.fix_url for f in check.findings] == ["/console/iam/users/carol%2Fx"]


def test_root_and_policy_checks_link_to_their_fix() -> None:
    checks = by_key(account(root_mfa=False, root_access_keys=True, policy=None))
    assert checks["root-mfa"].fix_url == "/console/credentials"
    assert checks["root-access-keys"].status is Status.ATTENTION
    assert checks["password-policy"].status is Status.ATTENTION
    weak = by_key(account(policy=PolicyFacts(13)))["password-policy"]
    assert "at least 14" in weak.summary


def test_locked_for_good_users_are_listed() -> None:
    dave = UserFacts("dave", None, None, 0, locked_for_good=True)
    check = by_key(account(dave))["locked-users"]
    assert [f.subject for f in check.findings] == ["dave"]
