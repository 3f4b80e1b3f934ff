"""What every console step and page needs: the `Console` (one per worker process) and
its session `Limits`. Built once from the settings by routes.console_routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from gatehold.audit import signin_events
from gatehold.audit.alarms.service import Alarms
from gatehold.auth.lockout import LockoutPolicy
from gatehold.clock import Clock
from gatehold.services.runner import Runner
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox


@dataclass(frozen=True)
class Limits:
    """A signed-in session ends after `idle` without a request, and `absolute` after
    sign-in at the latest (a login profile's MaxSigninSessionDuration may shorten it)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass
class Console:
    """Everything the console's steps need; one per worker process."""

    # Every operation a page makes runs through the runner (services/runner.py), the
    # API's own: the same checks, transactions, retries, audit and error wording.
    runner: Runner
    clock: Clock
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    limits: Limits = field(default_factory=Limits)
    region: str = "us-east-1"
    # Alarms for suspicious sign-ins (gatehold/audit/alarms); None: none are raised.
    alarms: Alarms | None = None
    # Where a sign-in lands: ConsoleLogin's additionalEventData.LoginTo, an absolute
    # URL as AWS writes it (https://console.aws.amazon.com/console/home?...).
    home_url: str = signin_events.CONSOLE_HOME

    @property
    def store(self) -> Store:
        return self.runner.store

    @property
    def box(self) -> SecretBox:
        return self.runner.box
