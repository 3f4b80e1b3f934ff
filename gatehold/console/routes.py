"""The whole console's routes: the `Console` built from the settings, and the route
table gathered from every page module (each declares `routes(web)`)."""

from __future__ import annotations

from datetime import timedelta

from starlette.routing import Route

from gatehold.audit.alarms.service import Alarms
from gatehold.auth.lockout import LockoutPolicy
from gatehold.clock import Clock
from gatehold.config import Settings
from gatehold.console import csrf
from gatehold.console.admin import pages as admin
from gatehold.console.core import Console, Limits
from gatehold.console.credentials import pages as credentials
from gatehold.console.credentials import security_keys
from gatehold.console.recovery import pages as recovery
from gatehold.console.security import events
from gatehold.console.security import pages as security
from gatehold.console.signin.pages import SignInPages
from gatehold.console.web import Web
from gatehold.services.runner import Runner
from gatehold.store.secretbox import load_or_create_key


def console_routes(
    settings: Settings,
    runner: Runner,
    clock: Clock,
    alarms: Alarms | None = None,
) -> list[Route]:
    """The console's routes, for the human-facing Starlette app in app.py."""
    console = Console(
        runner=runner,
        clock=clock,
        lockout=LockoutPolicy(
            threshold=settings.lockout_threshold,
            base_minutes=settings.lockout_base_minutes,
            max_minutes=settings.lockout_max_minutes,
            max_failures=settings.lockout_max_failures,
            address_threshold=settings.lockout_address_threshold,
        ),
        limits=Limits(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        ),
        region=settings.region,
        alarms=alarms,
        home_url=(settings.public_url or settings.endpoint).rstrip("/") + "/console/home",
    )
    key = csrf.derive_key(load_or_create_key(settings.data_dir, create=False))
    web = Web(console, key, settings)
    return [
        *SignInPages(web).routes(),
        *credentials.routes(web),
        *security_keys.routes(web),
        *admin.routes(web),
        *security.routes(web),
        *recovery.routes(web),
        *events.routes(web),
    ]
