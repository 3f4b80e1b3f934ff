"""What the alarms remember of earlier sign-ins: one row per attempt
(store/signin_attempts.py), read back as the counts rules.Recent holds.

`recall` runs before `note` in the same transaction as the sign-in, and adds the
attempt being judged itself, so the counts include it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from gatehold.audit.alarms.rules import Place, Recent, SignIn, Thresholds
from gatehold.store import signin_attempts


def recall(db: Connection, s: SignIn, t: Thresholds) -> Recent:
    since = s.at - t.window
    if not s.success:
        return _failures(db, s, since)
    return _successes(db, s, s.at - t.lookback)


def _failures(db: Connection, s: SignIn, since: datetime) -> Recent:
    for_principal = signin_attempts.count_for_principal(db, s.principal, since, success=False)
    from_address = signin_attempts.failures_from_address(db, s.source_ip, since)
    principal_seen = signin_attempts.seen_from_address(
        db, s.principal, s.source_ip, since, success=False
    )
    return Recent(
        failures_for_principal=for_principal + 1,
        failures_from_address=from_address[0] + 1,
        principals_failed_from_address=from_address[1] + (0 if principal_seen else 1),
    )


def _successes(db: Connection, s: SignIn, since: datetime) -> Recent:
    count = signin_attempts.count_for_principal(db, s.principal, since, success=True)
    if count == 0:
        return Recent()
    address_seen = signin_attempts.seen_from_address(
        db, s.principal, s.source_ip, since, success=True
    )
    country_seen = (
        signin_attempts.succeeded_in_country(db, s.principal, s.place.country, since)
        if s.place.country
        else False
    )
    last = signin_attempts.last_success(db, s.principal, since)
    return Recent(
        earlier_successes=count,
        address_seen=address_seen,
        country_seen=country_seen,
        previous_success=(last.at, Place(last.country, last.latitude, last.longitude)),
    )


def note(db: Connection, s: SignIn) -> None:
    signin_attempts.add(
        db,
        account_id=s.account_id,
        principal=s.principal,
        source_ip=s.source_ip,
        country=s.place.country,
        latitude=s.place.latitude,
        longitude=s.place.longitude,
        at=s.at,
        success=s.success,
    )


def prune(db: Connection, before: datetime) -> int:
    return signin_attempts.prune(db, before)
