"""Each alarm rule fires on the event it names, once per burst, and stays quiet otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from gatehold.audit.alarms import rules
from gatehold.audit.alarms.rules import Place, Recent, SignIn, Thresholds

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
T = Thresholds()
BERLIN = Place("DE", 52.52, 13.40)
POTSDAM = Place("DE", 52.39, 13.06)
SYDNEY = Place("AU", -33.87, 151.21)


def attempt(**kw: object) -> SignIn:
    base = SignIn(
        at=NOW,
        account_id="123456789012",
        principal="user:123456789012:alice",
        display_name="alice",
        source_ip="203.0.113.7",
        success=True,
        mfa_used=True,
        root=False,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def kinds(s: SignIn, r: Recent, t: Thresholds = T) -> list[str]:
    return [f.kind for f in rules.judge_sign_in(s, r, t)]


def test_brute_force_on_a_user_fires_once_at_the_threshold() -> None:
    failed = attempt(success=False)
    assert kinds(failed, Recent(failures_for_principal=4)) == []
    assert kinds(failed, Recent(failures_for_principal=5)) == [rules.BRUTE_FORCE_USER]
    assert kinds(failed, Recent(failures_for_principal=6)) == []


def test_brute_force_from_an_address() -> None:
    failed = attempt(success=False)
    assert kinds(failed, Recent(failures_from_address=20)) == [rules.BRUTE_FORCE_ADDRESS]
    assert kinds(failed, Recent(failures_from_address=19)) == []


def test_password_spraying_counts_distinct_users() -> None:
    failed = attempt(success=False)
    assert kinds(failed, Recent(principals_failed_from_address=5)) == [rules.PASSWORD_SPRAYING]
    assert kinds(failed, Recent(principals_failed_from_address=4, failures_from_address=4)) == []


def test_root_sign_in_and_sign_in_without_mfa() -> None:
    assert kinds(attempt(root=True, display_name="root"), Recent()) == [rules.ROOT_SIGN_IN]
    assert kinds(attempt(mfa_used=False), Recent()) == [rules.NO_MFA]
    assert kinds(attempt(), Recent()) == []


def test_a_failed_root_attempt_is_not_a_root_sign_in() -> None:
    assert kinds(attempt(root=True, success=False), Recent(failures_for_principal=1)) == []


def test_new_address_needs_a_baseline() -> None:
    assert kinds(attempt(), Recent(earlier_successes=0)) == []  # first sign-in ever
    assert kinds(attempt(), Recent(earlier_successes=3, address_seen=False)) == [rules.NEW_ADDRESS]
    assert kinds(attempt(), Recent(earlier_successes=3, address_seen=True)) == []


def test_new_country_only_when_the_address_is_located() -> None:
    seen = Recent(earlier_successes=2, address_seen=True, country_seen=False)
    assert kinds(attempt(), seen) == []
    assert kinds(attempt(place=BERLIN), seen) == [rules.NEW_COUNTRY]
    assert kinds(attempt(place=BERLIN), replace(seen, country_seen=True)) == []


def test_impossible_travel() -> None:
    from_berlin = Recent(
        earlier_successes=1,
        address_seen=True,
        country_seen=True,
        previous_success=(NOW - timedelta(hours=2), BERLIN),
    )
    # Berlin to Sydney (~16,000 km) in two hours.
    found = rules.judge_sign_in(attempt(place=SYDNEY), from_berlin, T)
    travel = [f for f in found if f.kind == rules.IMPOSSIBLE_TRAVEL]
    assert len(travel) == 1 and 15_000 < travel[0].details["distanceKm"] < 17_000
    # Berlin to Potsdam in two hours: near, no alarm; Sydney a day later: possible.
    assert rules.IMPOSSIBLE_TRAVEL not in kinds(attempt(place=POTSDAM), from_berlin)
    a_day_later = replace(from_berlin, previous_success=(NOW - timedelta(hours=24), BERLIN))
    assert rules.IMPOSSIBLE_TRAVEL not in kinds(attempt(place=SYDNEY), a_day_later)
    # Unlocated: nothing to say.
    assert rules.IMPOSSIBLE_TRAVEL not in kinds(attempt(), from_berlin)


def test_disabled_rules_stay_quiet() -> None:
    quiet = Thresholds(disabled=frozenset({rules.NO_MFA}))
    assert kinds(attempt(mfa_used=False), Recent(), quiet) == []
    assert (
        rules.judge_key_use(
            "AKIAEXAMPLE", "Inactive", Thresholds(disabled=frozenset({rules.REVOKED_KEY}))
        )
        == []
    )


def test_revoked_key_use() -> None:
    (finding,) = rules.judge_key_use("AKIAEXAMPLE", "Deleted", T)
    assert finding.kind == rules.REVOKED_KEY and "deleted" in finding.summary


def test_distance_is_the_great_circle() -> None:
    km = rules.distance_km(BERLIN, SYDNEY)
    assert km is not None and abs(km - 16_090) < 100
    assert rules.distance_km(BERLIN, Place()) is None
