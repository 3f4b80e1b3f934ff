"""Root account recovery pages: "Forgot password?" by an emailed single-use link, and the
link the operator's `gatehold root reset-mfa` mails for a lost root MFA device.

Thin: the steps are in steps.py. No enumeration: "Forgot password?" answers the
same page for any address, and answers it before anything is looked up: the lookup, the
link and the mail are handed to a thread of their own and not waited for (not even by a
Starlette background task, which would hold the connection until the mail is sent and
so show the difference to a client that sends its next request on it). Neither the
text nor the time says whether the address belongs to a root user.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console.recovery import steps as recovery_steps
from gatehold.console.recovery.steps import Recovery
from gatehold.console.web import Web, source_ip, user_agent
from gatehold.mail import sender_for
from gatehold.store import recovery_tokens

log = logging.getLogger(__name__)

SENT = (
    "If the address belongs to a root user, we sent a link to reset the password. "
    "The link works once and expires in {minutes} minutes."
)


class RecoveryPages:
    def __init__(self, web: Web, recovery: Recovery) -> None:
        self.w = web
        self.r = recovery
        # Mail work, off the request: two threads are plenty (5 links/hour/account).
        self.mailer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gatehold-recovery")

    def _minutes(self) -> int:
        return int(self.r.lifetime.total_seconds() // 60)

    # ---- forgot password ----

    async def forgot_get(self, request: Request) -> Response:
        return self.w.page(request, "recovery_request.html", title="Forgot your password?")

    async def forgot_post(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        email = form.get("root_email", "").strip()[:320]
        resp = self.w.page(
            request,
            "recovery_sent.html",
            title="Check your email",
            message=SENT.format(minutes=self._minutes()),
        )
        if email:
            self.mailer.submit(self._send_quietly, email, _requester(request))
        return resp

    def _send_quietly(self, email: str, who: recovery_steps.Requester) -> None:
        try:
            recovery_steps.request_password_link(self.r, email, who)
        except Exception:  # the visitor has had the answer already; the operator gets the log
            log.exception("could not send a root recovery link")

    # ---- the password link ----

    async def reset_get(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        if not await self.w.run(
            recovery_steps.link_is_usable, self.r, token, recovery_tokens.PASSWORD
        ):
            return self._expired(request)
        return self._reset_page(request, token)

    def _reset_page(self, request: Request, token: str, error: str | None = None) -> Response:
        return self.w.page(
            request, "recovery_reset.html", title="Choose a new password", token=token, error=error
        )

    def _expired(self, request: Request) -> Response:
        return self.w.page(
            request, "recovery_done.html", 410, title="Link expired", error=recovery_steps.EXPIRED
        )

    async def reset_post(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        token = form.get("token", "")
        error = await self.w.run(
            recovery_steps.reset_password,
            self.r,
            token,
            form.get("new_password", ""),
            form.get("confirm_password", ""),
            _requester(request),
        )
        if error == recovery_steps.EXPIRED:
            return self._expired(request)
        if error:
            return self._reset_page(request, token, error)
        return self.w.page(
            request,
            "recovery_done.html",
            title="Password changed",
            message="Your root user password was changed and every root session was ended.",
        )

    # ---- the lost-MFA link (issued by the operator) ----

    async def mfa_get(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        if not await self.w.run(recovery_steps.link_is_usable, self.r, token, recovery_tokens.MFA):
            return self._expired(request)
        return self.w.page(
            request, "recovery_mfa.html", title="Remove the root user's MFA device", token=token
        )

    async def mfa_post(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        error = await self.w.run(
            recovery_steps.reset_mfa,
            self.r,
            form.get("token", ""),
            form.get("password", ""),
            _requester(request),
        )
        if error:
            return self.w.page(
                request, "recovery_done.html", 400, title="MFA not removed", error=error
            )
        return self.w.page(
            request,
            "recovery_done.html",
            title="MFA device removed",
            message=(
                "The root user's MFA devices were removed and every root session was ended. "
                "Sign in and set up a new MFA device now."
            ),
        )

    def routes(self) -> list[Route]:
        return [
            Route("/signin/forgot", self.forgot_get, methods=["GET"]),
            Route("/signin/forgot", self.forgot_post, methods=["POST"]),
            Route("/signin/recover", self.reset_get, methods=["GET"]),
            Route("/signin/recover", self.reset_post, methods=["POST"]),
            Route("/signin/recover-mfa", self.mfa_get, methods=["GET"]),
            Route("/signin/recover-mfa", self.mfa_post, methods=["POST"]),
        ]


def routes(web: Web) -> list[Route]:
    recovery = recovery_steps.from_settings(
        web.c.store, web.c.clock, sender_for(web.settings), web.settings
    )
    return RecoveryPages(web, recovery).routes()


def _requester(request: Request) -> recovery_steps.Requester:
    return recovery_steps.Requester(source_ip(request), user_agent(request))
