"""The whole console as one Starlette app: the `Console` built from the settings, and
the route table gathered from every page module (each declares `routes(web)`).
console_app also mounts the workload credentials endpoint (/workload/credentials).
"""

from __future__ import annotations

from datetime import timedelta

from starlette.applications import Starlette
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
from gatehold.services.call import Enforcer
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox, load_or_create_key


def console_routes(
    settings: Settings,
    store: Store,
    box: SecretBox,
    clock: Clock,
    enforcer: Enforcer,
    alarms: Alarms | None = None,
) -> list[Route]:
    """The console's routes, for the human-facing Starlette app in app.py."""
    console = Console(
        store=store,
        box=box,
        clock=clock,
        enforcer=enforcer,
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


def console_app(
    settings: Settings,
    store: Store,
    box: SecretBox,
    clock: Clock,
    enforcer: Enforcer,
    alarms: Alarms | None = None,
) -> Starlette:
    from gatehold import workload  # /workload/credentials: role credentials for programs

    return Starlette(
        routes=console_routes(settings, store, box, clock, enforcer, alarms)
        + workload.routes(box, clock)
    )
