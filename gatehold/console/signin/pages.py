"""The sign-in pages: /signin (password), /signin/mfa, /signin/new-password,
/console/signout and the console home page (/console), and the stylesheet.

Thin: each handler checks CSRF, reads the form, runs the step from steps.py (or
sessions.py) in a worker thread, and renders a page or redirects (303 after every
POST). Every response carries web.py's security headers; every page is `no-store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gatehold.console.signin import sessions, steps
from gatehold.console.signin.machine import Stage
from gatehold.console.web import Web, quote_value, secured, source_ip, user_agent
from gatehold.store import console_sessions

_CSS = (Path(__file__).parent.parent / "static" / "console.css").read_bytes()


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
        me = await self.w.run(sessions.home, self.c, session)
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
            steps.password_step,
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
        devices = await self.w.run(sessions.pending_choices, self.c, session)
        if not devices:  # the device was removed meanwhile: start over
            await self.w.run(sessions.sign_out, self.c, session)
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
            steps.mfa_step,
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
            steps.new_password_step,
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
            await self.w.run(sessions.sign_out, self.c, session, everywhere=everywhere)
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
