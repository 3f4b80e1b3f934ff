"""The console's web plumbing, shared by every page module.

Rendering (Jinja2, autoescaped), the security headers every response carries,
CSRF-checked forms, the session behind a request, and running blocking work
(database, argon2) in a worker thread. The page modules (signin/pages.py,
credentials/pages.py, credentials/security_keys.py, admin/pages.py,
security/pages.py, security/events.py, recovery/pages.py) each declare
`routes(web) -> list[Route]` and hold no plumbing of their own; the
signed-in pages (administration, "My security credentials", security keys) build
on `Pages`, which calls the services as the signed-in principal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gatehold.config import Settings
from gatehold.console import actions, csrf
from gatehold.console.actions import Peer
from gatehold.console.core import Console
from gatehold.console.signin import role_sessions, sessions
from gatehold.console.signin.machine import Stage
from gatehold.services.call import Result
from gatehold.store import console_sessions

_HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html"])
)

SECURITY_HEADERS = {
    # Only our own stylesheet and scripts; never framed (clickjacking).
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
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


class Web:
    """What every console page handler needs: one per worker process."""

    def __init__(self, console: Console, csrf_key: bytes, settings: Settings) -> None:
        self.c = console
        self.csrf_key = csrf_key
        self.settings = settings

    async def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """Blocking work (database, argon2) in a worker thread, off the event loop."""
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kw))

    def page(self, request: Request, template: str, status: int = 200, **values: Any) -> Response:
        cookie = request.cookies.get(csrf.COOKIE) or csrf.new_cookie_value()
        values.setdefault("error", None)
        # The header's "Role: NAME @ ACCOUNT" (session() remembers the request's session).
        session = getattr(request.state, "console_session", None)
        now = self.c.clock.now()
        values.setdefault("console_role", role_sessions.banner(self.c.box, session, now))
        html = templates.get_template(template).render(
            csrf_token=csrf.token_for(self.csrf_key, cookie), **values
        )
        resp = HTMLResponse(html, status_code=status)
        if request.cookies.get(csrf.COOKIE) != cookie:
            self.set_cookie(request, resp, csrf.COOKIE, cookie)
        return secured(resp)

    @staticmethod
    def set_cookie(request: Request, resp: Response, name: str, value: str) -> None:
        resp.set_cookie(
            name,
            value,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    async def form(self, request: Request) -> dict[str, str] | None:
        """The posted form, or None when its CSRF token is missing or wrong."""
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        if not csrf.valid(self.csrf_key, request.cookies.get(csrf.COOKIE), values.get(csrf.FIELD)):
            return None
        return values

    def csrf_ok(self, request: Request, token: str | None) -> bool:
        """For JSON posts (security keys): the token travels in a header."""
        return csrf.valid(self.csrf_key, request.cookies.get(csrf.COOKIE), token)

    def forbidden(self, request: Request) -> Response:
        return self.page(
            request,
            "base.html",
            403,
            title="Request refused",
            error=(
                "This form has expired or did not come from this site. "
                "Reload the page and try again."
            ),
        )

    async def session(self, request: Request) -> console_sessions.Session | None:
        session = await self.run(
            sessions.load_session, self.c, request.cookies.get(console_sessions.COOKIE)
        )
        request.state.console_session = session
        return session

    async def signed_in(self, request: Request) -> console_sessions.Session | Response:
        """The signed-in session, or the redirect to where this visitor belongs."""
        session = await self.session(request)
        if session is None:
            return secured(RedirectResponse("/signin", status_code=303))
        if session.stage != Stage.SIGNED_IN.value:
            return self.to_stage(request, session.stage)
        return session

    def to_stage(self, request: Request, stage: str, token: str | None = None) -> Response:
        resp = secured(RedirectResponse(STAGE_PAGES[stage], status_code=303))
        if token is not None:
            self.set_cookie(request, resp, console_sessions.COOKIE, token)
        return resp

    @staticmethod
    def redirect(target: str) -> Response:
        """303 after every successful POST (no resubmission on reload)."""
        return secured(RedirectResponse(target, status_code=303))


@dataclass(frozen=True)
class Posted:
    """A signed-in principal's POST whose CSRF token checked."""

    session: console_sessions.Session
    form: dict[str, str]


class Pages:
    """Base of the signed-in page classes: the Web, and the services called as the
    signed-in principal through actions.invoke (the API's validation, handlers and
    enforcement, so a page can never do what the same principal could not do with boto3)."""

    def __init__(self, web: Web) -> None:
        self.w = web
        self.c = web.c

    async def call(
        self,
        request: Request,
        session: console_sessions.Session,
        operation: str,
        params: dict[str, Any] | None = None,
        service: str = "iam",
    ) -> Result:
        """The operation as the signed-in principal; AwsError on a refusal."""
        return await self.w.run(
            actions.invoke, self.c, session, service, operation, params or {}, peer(request)
        )

    async def posted(self, request: Request) -> Posted | Response:
        """A POST's form and session once its CSRF token checks; else the response
        (the refusal page, or the redirect to where this visitor belongs)."""
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return Posted(session, form)


def secured(resp: Response, *, cacheable: bool = False) -> Response:
    for name, value in SECURITY_HEADERS.items():
        resp.headers[name] = value
    if not cacheable:
        # Credential pages and session pages alike: never kept by the browser or proxies.
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Pragma"] = "no-cache"
    return resp


def source_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def peer(request: Request) -> Peer:
    """Where a console request comes from, as the services' audit and conditions see it."""
    return Peer(source_ip(request), secure=request.url.scheme == "https")


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def quote_value(value: str) -> str:
    return quote(value, safe="")
