"""The console's HTTP surface: /console, /signin..., /static/console.css.

Thin: each handler checks CSRF, reads the form, runs the step from flow.py in a
worker thread, and renders a page or redirects (303 after every POST). Every
response carries the security headers below; every page is `no-store`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from gatehold.clock import Clock
from gatehold.config import Settings
from gatehold.console import csrf, flow, sessions
from gatehold.console.flow import Console, Limits
from gatehold.console.lockout import LockoutPolicy
from gatehold.console.signin import Stage
from gatehold.services.call import Enforcer
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox, load_or_create_key

_HERE = Path(__file__).parent
_templates = Environment(
    loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html"])
)
_CSS = (_HERE / "static" / "console.css").read_bytes()

SECURITY_HEADERS = {
    # Only our own stylesheet; no scripts yet; never framed (clickjacking).
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

STAGE_PAGES = {
    Stage.NEED_PASSWORD.value: "/signin",
    Stage.NEED_MFA.value: "/signin/mfa",
    Stage.NEED_NEW_PASSWORD.value: "/signin/new-password",
    Stage.SIGNED_IN.value: "/console",
}

T = TypeVar("T")


class ConsoleRoutes:
    def __init__(self, console: Console, csrf_key: bytes) -> None:
        self.c = console
        self.csrf_key = csrf_key

    # ---- plumbing ----

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """Blocking work (database, argon2) in a worker thread, off the event loop."""
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kw))

    def _page(self, request: Request, template: str, status: int = 200, **values: Any) -> Response:
        cookie = request.cookies.get(csrf.COOKIE) or csrf.new_cookie_value()
        values.setdefault("error", None)
        html = _templates.get_template(template).render(
            csrf_token=csrf.token_for(self.csrf_key, cookie), **values
        )
        resp = HTMLResponse(html, status_code=status)
        if request.cookies.get(csrf.COOKIE) != cookie:
            self._set_cookie(request, resp, csrf.COOKIE, cookie)
        return _secured(resp)

    @staticmethod
    def _set_cookie(request: Request, resp: Response, name: str, value: str) -> None:
        resp.set_cookie(
            name,
            value,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    async def _form(self, request: Request) -> dict[str, str] | None:
        """The posted form, or None when its CSRF token is missing or wrong."""
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        if not csrf.valid(self.csrf_key, request.cookies.get(csrf.COOKIE), values.get(csrf.FIELD)):
            return None
        return values

    def _forbidden(self, request: Request) -> Response:
        return self._page(
            request,
            "base.html",
            403,
            title="Request refused",
            error="This form has expired or did not come from this site. Reload the page and try again.",
        )

    async def _session(self, request: Request) -> sessions.Session | None:
        return await self._run(flow.load_session, self.c, request.cookies.get(sessions.COOKIE))

    def _to_stage(self, request: Request, stage: str, token: str | None = None) -> Response:
        resp = _secured(RedirectResponse(STAGE_PAGES[stage], status_code=303))
        if token is not None:
            self._set_cookie(request, resp, sessions.COOKIE, token)
        return resp

    # ---- pages ----

    async def console(self, request: Request) -> Response:
        session = await self._session(request)
        if session is None:
            account = request.query_params.get("account")
            target = "/signin" + (f"?account={_quote(account)}" if account else "")
            return _secured(RedirectResponse(target, status_code=303))
        if session.stage != Stage.SIGNED_IN.value:
            return self._to_stage(request, session.stage)
        me = await self._run(flow.home, self.c, session)
        return self._page(request, "home.html", title="Console home", me=me)

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
        return self._page(request, "signin.html", status, title=title, **defaults)

    async def signin_get(self, request: Request) -> Response:
        return self._signin_page(request)

    async def signin_post(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self._forbidden(request)
        root = form.get("signin_type") == "root"
        outcome = await self._run(
            flow.password_step,
            self.c,
            _source_ip(request),
            form.get("password", ""),
            account=form.get("account", ""),
            user_name=form.get("user_name", ""),
            root_email=form.get("root_email", "") if root else "",
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
        return self._to_stage(request, t.stage.value, outcome.token)

    async def _pending(self, request: Request, stage: Stage) -> sessions.Session | Response:
        session = await self._session(request)
        if session is None:
            return self._to_stage(request, Stage.NEED_PASSWORD.value)
        if session.stage != stage.value:
            return self._to_stage(request, session.stage)
        return session

    async def mfa_get(self, request: Request) -> Response:
        session = await self._pending(request, Stage.NEED_MFA)
        if isinstance(session, Response):
            return session
        return await self._mfa_page(request, session)

    async def _mfa_page(
        self,
        request: Request,
        session: sessions.Session,
        error: str | None = None,
        chosen: str = "",
    ) -> Response:
        devices = await self._run(flow.pending_choices, self.c, session)
        if not devices:  # the device was removed meanwhile: start over
            await self._run(flow.sign_out, self.c, session)
            return self._to_stage(request, Stage.NEED_PASSWORD.value)
        return self._page(
            request,
            "mfa.html",
            title="Multi-factor authentication",
            devices=devices,
            chosen=chosen,
            error=error,
        )

    async def mfa_post(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self._forbidden(request)
        session = await self._pending(request, Stage.NEED_MFA)
        if isinstance(session, Response):
            return session
        serial = form.get("serial_number", "")
        outcome = await self._run(
            flow.mfa_step, self.c, session, _source_ip(request), serial, form.get("mfa_code", "")
        )
        t = outcome.transition
        if t.error and t.stage is Stage.NEED_MFA:
            return await self._mfa_page(request, session, t.error, serial)
        if t.error:
            return self._signin_page(request, error=t.error)
        return self._to_stage(request, t.stage.value, outcome.token)

    async def new_password_get(self, request: Request) -> Response:
        session = await self._pending(request, Stage.NEED_NEW_PASSWORD)
        if isinstance(session, Response):
            return session
        return self._page(request, "new_password.html", title="Change your password")

    async def new_password_post(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self._forbidden(request)
        session = await self._pending(request, Stage.NEED_NEW_PASSWORD)
        if isinstance(session, Response):
            return session
        outcome = await self._run(
            flow.new_password_step,
            self.c,
            session,
            _source_ip(request),
            form.get("old_password", ""),
            form.get("new_password", ""),
            form.get("retype_password", ""),
        )
        t = outcome.transition
        if t.error:
            return self._page(
                request, "new_password.html", title="Change your password", error=t.error
            )
        return self._to_stage(request, t.stage.value, outcome.token)

    async def signout(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self._forbidden(request)
        session = await self._session(request)
        if session is not None:
            everywhere = form.get("everywhere") == "1" and session.stage == Stage.SIGNED_IN.value
            await self._run(flow.sign_out, self.c, session, everywhere)
        resp = self._to_stage(request, Stage.NEED_PASSWORD.value)
        resp.delete_cookie(sessions.COOKIE, path="/")
        return resp

    async def stylesheet(self, request: Request) -> Response:
        resp = Response(_CSS, media_type="text/css")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return _secured(resp, cacheable=True)

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


def _secured(resp: Response, cacheable: bool = False) -> Response:
    for name, value in SECURITY_HEADERS.items():
        resp.headers[name] = value
    if not cacheable:
        # Credential pages and session pages alike: never kept by the browser or proxies.
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Pragma"] = "no-cache"
    return resp


def _source_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _quote(value: str) -> str:
    return quote(value, safe="")


def console_routes(
    settings: Settings, store: Store, box: SecretBox, clock: Clock, enforcer: Enforcer
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
    )
    key = csrf.derive_key(load_or_create_key(settings.data_dir, create=False))
    return ConsoleRoutes(console, key).routes()


def console_app(
    settings: Settings, store: Store, box: SecretBox, clock: Clock, enforcer: Enforcer
) -> Starlette:
    from gatehold import workload  # /workload/credentials: role credentials for programs

    return Starlette(routes=console_routes(settings, store, box, clock, enforcer)
                     + workload.routes(box, clock))
