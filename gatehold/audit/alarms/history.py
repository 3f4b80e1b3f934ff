"""What the alarms remember of earlier sign-ins: one row per attempt
(signin_attempts), read back as the counts rules.Recent holds.

`recall` runs before `note` in the same transaction as the sign-in, and adds the
attempt being judged itself, so the counts include it. Indexes on (principal, at)
and (source_ip, at) keep each count a short range scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, distinct, exists, func, select

from gatehold.audit.alarms.rules import Place, Recent, SignIn, Thresholds
from gatehold.store import schema

_t = schema.signin_attempts


def recall(db: Connection, s: SignIn, t: Thresholds) -> Recent:
    since = s.at - t.window
    if not s.success:
        return _failures(db, s, since)
    return _successes(db, s, s.at - t.lookback)


def _failures(db: Connection, s: SignIn, since: datetime) -> Recent:
    recent_failure = and_(_t.c.success.is_(False), _t.c.at > since)
    for_principal = db.execute(
        select(func.count()).where(_t.c.principal == s.principal, recent_failure)
    ).scalar_one()
    from_address = db.execute(
        select(func.count(), func.count(distinct(_t.c.principal))).where(
            _t.c.source_ip == s.source_ip, recent_failure
        )
    ).one()
    principal_seen = db.execute(
        select(
            exists().where(
                _t.c.source_ip == s.source_ip, _t.c.principal == s.principal, recent_failure
            )
        )
    ).scalar_one()
    return Recent(
        failures_for_principal=for_principal + 1,
        failures_from_address=from_address[0] + 1,
        principals_failed_from_address=from_address[1] + (0 if principal_seen else 1),
    )


def _successes(db: Connection, s: SignIn, since: datetime) -> Recent:
    earlier = and_(_t.c.principal == s.principal, _t.c.success.is_(True), _t.c.at > since)
    count = db.execute(select(func.count()).where(earlier)).scalar_one()
    if count == 0:
        return Recent()
    address_seen = db.execute(
        select(exists().where(earlier, _t.c.source_ip == s.source_ip))
    ).scalar_one()
    country_seen = (
        bool(s.place.country)
        and db.execute(
            select(exists().where(earlier, _t.c.country == s.place.country))
        ).scalar_one()
    )
    last = db.execute(
        select(_t.c.at, _t.c.country, _t.c.latitude, _t.c.longitude)
        .where(earlier)
        .order_by(_t.c.at.desc())
        .limit(1)
    ).one()
    return Recent(
        earlier_successes=count,
        address_seen=address_seen,
        country_seen=country_seen,
        previous_success=(last.at, Place(last.country, last.latitude, last.longitude)),
    )


def note(db: Connection, s: SignIn) -> None:
    db.execute(
        _t.insert().values(
            account_id=s.account_id,
            principal=s.principal,
            source_ip=s.source_ip,
            country=s.place.country,
            latitude=s.place.latitude,
            longitude=s.place.longitude,
            at=s.at,
            success=s.success,
        )
    )


def prune(db: Connection, before: datetime) -> int:
    return db.execute(_t.delete().where(_t.c.at < before)).rowcount
