"""The console's sign-in pages (/console, /signin...), and the whole console's routes.

Thin: each handler checks CSRF, reads the form, runs the step from flow.py in a
worker thread, and renders a page or redirects (303 after every POST). Every
response carries web.py's security headers; every page is `no-store`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gatehold.audit.alarms.service import Alarms
from gatehold.auth.lockout import LockoutPolicy
from gatehold.clock import Clock
from gatehold.config import Settings
from gatehold.console import csrf
from gatehold.console.admin import pages as admin
from gatehold.console.credentials import pages as self_service
from gatehold.console.credentials import security_keys
from gatehold.console.recovery import pages as recovery
from gatehold.console.security import events
from gatehold.console.security import pages as security
from gatehold.console.signin import steps as flow
from gatehold.console.signin.machine import Stage
from gatehold.console.signin.steps import Console, Limits
from gatehold.console.web import Web, quote_value, secured, source_ip, user_agent
from gatehold.services.call import Enforcer
from gatehold.store import console_sessions
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox, load_or_create_key

_CSS = (Path(__file__).parent / "static" / "console.css").read_bytes()


class SignInPages:
    """Sign-in, the MFA step, the forced password change, sign-out and the home page."""

    def __init__(self, web: Web) -> None:
        self.w = web
        self.c = web.c

    # ---- pages ----

    async def console(self, request: Request) -> Response:
        session = await self.w.session(request)
        if session is None:
            account = request.query_params.get("account")
            target = "/signin" + (f"?account={quote_value(account)}" if account else "")
            return secured(RedirectResponse(target, status_code=303))
        if session.stage != Stage.SIGNED_IN.value:
            return self.w.to_stage(request, session.stage)
        me = await self.w.run(flow.home, self.c, session)
        return self.w.page(request, "home.html", title="Console home", me=me)

    def _signin_page(self, request: Request, status: int = 200, **values: Any) -> Response:
        q = request.query_params
        defaults = {
            "root": q.get("type") == "root",
            "account": q.get("account", ""),
            "user_name": "",
            "root_email": "",
        }
        defaults.update(values)
        title = "Root user sign in" if defaults["root"] else "IAM user sign in"
        return self.w.page(request, "signin.html", status, title=title, **defaults)

    async def signin_get(self, request: Request) -> Response:
        return self._signin_page(request)

    async def signin_post(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        root = form.get("signin_type") == "root"
        outcome = await self.w.run(
            flow.password_step,
            self.c,
            source_ip(request),
            form.get("password", ""),
            account=form.get("account", ""),
            user_name=form.get("user_name", ""),
            root_email=form.get("root_email", "") if root else "",
            user_agent=user_agent(request),
        )
        t = outcome.transition
        if t.error:
            return self._signin_page(
                request,
                200,
                root=root,
                account=form.get("account", ""),
                user_name=form.get("user_name", ""),
                root_email=form.get("root_email", ""),
                error=t.error,
            )
        return self.w.to_stage(request, t.stage.value, outcome.token)

    async def _pending(self, request: Request, stage: Stage) -> console_sessions.Session | Response:
        session = await self.w.session(request)
        if session is None:
            return self.w.to_stage(request, Stage.NEED_PASSWORD.value)
        if session.stage != stage.value:
            return self.w.to_stage(request, session.stage)
        return session

    async def mfa_get(self, request: Request) -> Response:
        session = await self._pending(request, Stage.NEED_MFA)
        if isinstance(session, Response):
            return session
        return await self._mfa_page(request, session)

    async def _mfa_page(
        self,
        request: Request,
        session: console_sessions.Session,
        error: str | None = None,
        chosen: str = "",
    ) -> Response:
        devices = await self.w.run(flow.pending_choices, self.c, session)
        if not devices:  # the device was removed meanwhile: start over
            await self.w.run(flow.sign_out, self.c, session)
            return self.w.to_stage(request, Stage.NEED_PASSWORD.value)
        return self.w.page(
            request,
            "mfa.html",
            title="Multi-factor authentication",
            devices=devices,
            chosen=chosen,
            error=error,
        )

    async def mfa_post(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        session = await self._pending(request, Stage.NEED_MFA)
        if isinstance(session, Response):
            return session
        serial = form.get("serial_number", "")
        outcome = await self.w.run(
            flow.mfa_step,
            self.c,
            session,
            source_ip(request),
            serial,
            form.get("mfa_code", ""),
            user_agent=user_agent(request),
        )
        t = outcome.transition
        if t.error and t.stage is Stage.NEED_MFA:
            return await self._mfa_page(request, session, t.error, serial)
        if t.error:
            return self._signin_page(request, error=t.error)
        return self.w.to_stage(request, t.stage.value, outcome.token)

    async def new_password_get(self, request: Request) -> Response:
        session = await self._pending(request, Stage.NEED_NEW_PASSWORD)
        if isinstance(session, Response):
            return session
        return self.w.page(request, "new_password.html", title="Change your password")

    async def new_password_post(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        session = await self._pending(request, Stage.NEED_NEW_PASSWORD)
        if isinstance(session, Response):
            return session
        outcome = await self.w.run(
            flow.new_password_step,
            self.c,
            session,
            source_ip(request),
            form.get("old_password", ""),
            form.get("new_password", ""),
            form.get("retype_password", ""),
            user_agent=user_agent(request),
        )
        t = outcome.transition
        if t.error:
            return self.w.page(
                request, "new_password.html", title="Change your password", error=t.error
            )
        return self.w.to_stage(request, t.stage.value, outcome.token)

    async def signout(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        session = await self.w.session(request)
        if session is not None:
            everywhere = form.get("everywhere") == "1" and session.stage == Stage.SIGNED_IN.value
            await self.w.run(flow.sign_out, self.c, session, everywhere=everywhere)
        resp = self.w.to_stage(request, Stage.NEED_PASSWORD.value)
        resp.delete_cookie(console_sessions.COOKIE, path="/")
        return resp

    async def stylesheet(self, request: Request) -> Response:
        resp = Response(_CSS, media_type="text/css")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return secured(resp, cacheable=True)

    def routes(self) -> list[Route]:
        return [
            Route("/console", self.console, methods=["GET"]),
            Route("/console/signout", self.signout, methods=["POST"]),
            Route("/signin", self.signin_get, methods=["GET"]),
            Route("/signin", self.signin_post, methods=["POST"]),
            Route("/signin/mfa", self.mfa_get, methods=["GET"]),
            Route("/signin/mfa", self.mfa_post, methods=["POST"]),
            Route("/signin/new-password", self.new_password_get, methods=["GET"]),
            Route("/signin/new-password", self.new_password_post, methods=["POST"]),
            Route("/static/console.css", self.stylesheet, methods=["GET"]),
        ]


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
        *self_service.routes(web),
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
