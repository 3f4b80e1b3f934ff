"""The alarms as the sign-in flow and the API use them: judge, record, notify.

`sign_in` and `key_use` run inside the caller's transaction, so a finding is
recorded (in the audit log, with the attempt in the alarms' history) together with
the event that caused it. `notify` is called after that transaction commits and
hands the findings to the sinks' background thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from gatehold.audit import log
from gatehold.audit.alarms import findings, history, rules
from gatehold.audit.alarms.geo import Geo
from gatehold.audit.alarms.rules import SignIn, Thresholds
from gatehold.audit.alarms.sinks import Dispatcher, Notice, dispatcher_for
from gatehold.config import Settings


def thresholds_for(settings: Settings) -> Thresholds:
    disabled = frozenset(k.strip() for k in settings.alarm_disabled.split(",") if k.strip())
    unknown = disabled - set(rules.ALL_KINDS)
    if unknown:
        raise ValueError(f"unknown alarm kinds in alarm_disabled: {', '.join(sorted(unknown))}")
    return Thresholds(
        window=timedelta(minutes=settings.alarm_window_minutes),
        failures_per_user=settings.alarm_failures_per_user,
        failures_per_address=settings.alarm_failures_per_address,
        sprayed_users_per_address=settings.alarm_sprayed_users,
        disabled=disabled,
    )


class Alarms:
    def __init__(self, thresholds: Thresholds, geo: Geo, dispatcher: Dispatcher, region: str):
        self.thresholds = thresholds
        self.geo = geo
        self.dispatcher = dispatcher
        self.region = region

    @classmethod
    def from_settings(cls, settings: Settings) -> Alarms:
        database = Path(settings.geoip_database) if settings.geoip_database else None
        return cls(
            thresholds_for(settings), Geo(database), dispatcher_for(settings), settings.region
        )

    def sign_in(
        self,
        db: Connection,
        attempt: SignIn,
        subject: dict[str, Any],
        cause_event_id: str | None = None,
    ) -> list[Notice]:
        """Judge a console sign-in attempt (its place filled in here) and record
        what it finds; the notices to hand to `notify` after commit."""
        located = replace(attempt, place=self.geo.place(attempt.source_ip))
        recent = history.recall(db, located, self.thresholds)
        history.note(db, located)
        found = rules.judge_sign_in(located, recent, self.thresholds)
        if attempt.account_id is None:  # no account to report to
            return []
        return self._record(
            db, found, attempt.account_id, attempt.at, attempt.source_ip, subject, cause_event_id
        )

    def key_use(
        self,
        db: Connection,
        account_id: str,
        key_id: str,
        state: str,
        now: datetime,
        source_ip: str,
        subject: dict[str, Any],
    ) -> list[Notice]:
        found = rules.judge_key_use(key_id, state, self.thresholds)
        return self._record(db, found, account_id, now, source_ip, subject, None)

    def _record(
        self,
        db: Connection,
        found: Sequence[rules.Finding],
        account_id: str,
        now: datetime,
        source_ip: str,
        subject: dict[str, Any],
        cause_event_id: str | None,
    ) -> list[Notice]:
        notices = [
            findings.record(f, account_id, now, self.region, source_ip, subject, cause_event_id)
            for f in found
        ]
        log.append(db, notices)
        return notices

    def notify(self, notices: list[Notice]) -> None:
        self.dispatcher.send(notices)

    def prune(self, db: Connection, before: datetime) -> int:
        return history.prune(db, before)
