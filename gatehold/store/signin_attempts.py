"""Console sign-in attempts as the alarms remember them (schema.signin_attempts):
one row per attempt, counted back from a time; audit/alarms/history.py turns the
counts into what the rules judge.

Every count is over the attempts strictly after `since`, failed ones or successful
ones (`success`). Indexes on (principal, at) and (source_ip, at) keep each count a
short range scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, distinct, exists, func, select

from gatehold.store import schema

_t = schema.signin_attempts


@dataclass(frozen=True)
class LastSuccess:
    """When and from where a principal last signed in (any part of the place unknown)."""

    at: datetime
    country: str | None
    latitude: float | None
    longitude: float | None


def _after(since: datetime, *, success: bool) -> Any:
    return and_(_t.c.success.is_(success), _t.c.at > since)


def count_for_principal(db: Connection, principal: str, since: datetime, *, success: bool) -> int:
    """The principal's attempts."""
    return int(
        db.execute(
            select(func.count()).where(_t.c.principal == principal, _after(since, success=success))
        ).scalar_one()
    )


def failures_from_address(db: Connection, source_ip: str, since: datetime) -> tuple[int, int]:
    """Failed attempts from the address, and how many principals they were for."""
    found = db.execute(
        select(func.count(), func.count(distinct(_t.c.principal))).where(
            _t.c.source_ip == source_ip, _after(since, success=False)
        )
    ).one()
    return int(found[0]), int(found[1])


def seen_from_address(
    db: Connection, principal: str, source_ip: str, since: datetime, *, success: bool
) -> bool:
    """Whether the principal has an attempt from the address."""
    return bool(
        db.execute(
            select(
                exists().where(
                    _t.c.source_ip == source_ip,
                    _t.c.principal == principal,
                    _after(since, success=success),
                )
            )
        ).scalar_one()
    )


def succeeded_in_country(db: Connection, principal: str, country: str, since: datetime) -> bool:
    """Whether the principal signed in from the country."""
    return bool(
        db.execute(
            select(
                exists().where(
                    _t.c.principal == principal,
                    _after(since, success=True),
                    _t.c.country == country,
                )
            )
        ).scalar_one()
    )


def last_success(db: Connection, principal: str, since: datetime) -> LastSuccess:
    """The principal's latest successful sign-in; only asked once count_for_principal
    has found one."""
    last = db.execute(
        select(_t.c.at, _t.c.country, _t.c.latitude, _t.c.longitude)
        .where(_t.c.principal == principal, _after(since, success=True))
        .order_by(_t.c.at.desc())
        .limit(1)
    ).one()
    return LastSuccess(last.at, last.country, last.latitude, last.longitude)


def add(
    db: Connection,
    *,
    account_id: str | None,
    principal: str,
    source_ip: str,
    country: str | None,
    latitude: float | None,
    longitude: float | None,
    at: datetime,
    success: bool,
) -> None:
    """Remember one attempt (account_id None: the account typed does not exist)."""
    db.execute(
        _t.insert().values(
            account_id=account_id,
            principal=principal,
            source_ip=source_ip,
            country=country,
            latitude=latitude,
            longitude=longitude,
            at=at,
            success=success,
        )
    )


def prune(db: Connection, before: datetime) -> int:
    """Forget attempts older than `before`; returns how many went."""
    return db.execute(_t.delete().where(_t.c.at < before)).rowcount
