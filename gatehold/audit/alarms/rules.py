"""The alarm rules: one sign-in (or key use) and its recent history in, findings out.

Pure: history.py gathers the counts from the store, this module only judges, so
every rule is tested by plain values. A counting rule fires when its count
reaches the threshold, not on every attempt after it, so one burst is one
finding (the window slides, so a burst that goes on past the window fires again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

BRUTE_FORCE_USER = "BruteForceOnUser"
BRUTE_FORCE_ADDRESS = "BruteForceFromAddress"
PASSWORD_SPRAYING = "PasswordSpraying"
ROOT_SIGN_IN = "RootSignIn"
NO_MFA = "SignInWithoutMfa"
NEW_ADDRESS = "NewSourceAddress"
NEW_COUNTRY = "NewCountry"
IMPOSSIBLE_TRAVEL = "ImpossibleTravel"
REVOKED_KEY = "RevokedAccessKeyUsed"

ALL_KINDS = (
    BRUTE_FORCE_USER,
    BRUTE_FORCE_ADDRESS,
    PASSWORD_SPRAYING,
    ROOT_SIGN_IN,
    NO_MFA,
    NEW_ADDRESS,
    NEW_COUNTRY,
    IMPOSSIBLE_TRAVEL,
    REVOKED_KEY,
)


@dataclass(frozen=True)
class Thresholds:
    """Operator settings (config.Settings.alarm_*). The defaults are set below
    the console lockout (5 failures lock a user), so an attack is reported while
    the lockout is holding it off, and well above a person's typing mistakes."""

    window: timedelta = timedelta(minutes=15)
    failures_per_user: int = 5
    failures_per_address: int = 20
    sprayed_users_per_address: int = 5
    # A first sign-in has no baseline; addresses and countries are "new" when
    # not seen in a successful sign-in of the same principal within this time.
    lookback: timedelta = timedelta(days=90)
    # Faster than an airliner between two successful sign-ins is not travel.
    max_travel_kmh: float = 900.0
    # Below this distance geolocation noise dominates (same metro, VPN exits).
    min_travel_km: float = 500.0
    disabled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Place:
    """Where an address is, as far as the geo database says (any part unknown)."""

    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class SignIn:
    at: datetime
    account_id: str | None  # None: the account typed at sign-in does not exist
    principal: str  # the lockout subject: "user:<account>:<name>" or "root:<email>"
    display_name: str  # what the finding names: the user name, or "root"
    source_ip: str
    success: bool
    mfa_used: bool
    root: bool
    place: Place = field(default_factory=Place)


@dataclass(frozen=True)
class Recent:
    """What the store remembers, as of this sign-in (the counts include it)."""

    failures_for_principal: int = 0
    failures_from_address: int = 0
    principals_failed_from_address: int = 0
    earlier_successes: int = 0  # of this principal, within the lookback
    address_seen: bool = False  # a successful sign-in of this principal from this address
    country_seen: bool = False  # ... from this country
    previous_success: tuple[datetime, Place] | None = None


@dataclass(frozen=True)
class Finding:
    kind: str
    summary: str
    details: dict[str, Any]


def judge_sign_in(s: SignIn, r: Recent, t: Thresholds) -> list[Finding]:
    found = _failure_findings(s, r, t) if not s.success else _success_findings(s, r, t)
    return [f for f in found if f.kind not in t.disabled]


def _failure_findings(s: SignIn, r: Recent, t: Thresholds) -> list[Finding]:
    minutes = int(t.window.total_seconds() // 60)
    found = []
    if r.failures_for_principal == t.failures_per_user:
        found.append(
            Finding(
                BRUTE_FORCE_USER,
                f"{r.failures_for_principal} failed sign-ins for {s.display_name} "
                f"within {minutes} minutes",
                {"failures": r.failures_for_principal, "windowMinutes": minutes},
            )
        )
    if r.failures_from_address == t.failures_per_address:
        found.append(
            Finding(
                BRUTE_FORCE_ADDRESS,
                f"{r.failures_from_address} failed sign-ins from {s.source_ip} "
                f"within {minutes} minutes",
                {"failures": r.failures_from_address, "windowMinutes": minutes},
            )
        )
    if r.principals_failed_from_address == t.sprayed_users_per_address:
        found.append(
            Finding(
                PASSWORD_SPRAYING,
                f"Failed sign-ins for {r.principals_failed_from_address} different users "
                f"from {s.source_ip} within {minutes} minutes",
                {"users": r.principals_failed_from_address, "windowMinutes": minutes},
            )
        )
    return found


def _success_findings(s: SignIn, r: Recent, t: Thresholds) -> list[Finding]:
    found = []
    if s.root:
        found.append(Finding(ROOT_SIGN_IN, "The root user signed in", {}))
    if not s.mfa_used:
        found.append(Finding(NO_MFA, f"{s.display_name} signed in without MFA", {}))
    if r.earlier_successes > 0:  # a first sign-in has nothing to compare with
        if not r.address_seen:
            found.append(
                Finding(
                    NEW_ADDRESS,
                    f"{s.display_name} signed in from a new address, {s.source_ip}",
                    {},
                )
            )
        if s.place.country and not r.country_seen:
            found.append(
                Finding(
                    NEW_COUNTRY,
                    f"{s.display_name} signed in from a new country, {s.place.country}",
                    {"country": s.place.country},
                )
            )
    travel = _impossible_travel(s, r, t)
    if travel is not None:
        found.append(travel)
    return found


def _impossible_travel(s: SignIn, r: Recent, t: Thresholds) -> Finding | None:
    if r.previous_success is None:
        return None
    then, there = r.previous_success
    km = distance_km(there, s.place)
    if km is None or km < t.min_travel_km:
        return None
    hours = max((s.at - then).total_seconds() / 3600, 1 / 3600)
    speed = km / hours
    if speed <= t.max_travel_kmh:
        return None
    return Finding(
        IMPOSSIBLE_TRAVEL,
        f"{s.display_name} signed in {km:.0f} km from the previous sign-in "
        f"{_duration(s.at - then)} later",
        {
            "distanceKm": round(km),
            "speedKmh": round(speed),
            "previousCountry": there.country,
            "country": s.place.country,
        },
    )


def distance_km(a: Place, b: Place) -> float | None:
    """Great-circle distance (haversine) between two places, if both are located."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lon1 = math.radians(a.latitude), math.radians(a.longitude)
    lat2, lon2 = math.radians(b.latitude), math.radians(b.longitude)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def judge_key_use(key_id: str, state: str, t: Thresholds) -> list[Finding]:
    """A request signed with one of the account's keys that no longer works:
    `state` is "Inactive" (deactivated) or "Deleted"."""
    if REVOKED_KEY in t.disabled:
        return []
    word = "deactivated" if state == "Inactive" else "deleted"
    return [
        Finding(
            REVOKED_KEY,
            f"A request was signed with the {word} access key {key_id}",
            {"accessKeyId": key_id, "keyState": state},
        )
    ]
