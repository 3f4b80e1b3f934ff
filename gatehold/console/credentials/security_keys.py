"""FIDO2/WebAuthn security keys: the registration page and the sign-in step.

Thin handlers over webauthn_keys.py (the keys as MFA devices, run in a worker
thread) and auth/webauthn.py (py_webauthn). Routes:

    GET  /console/credentials/security-keys          your keys; register, remove
    POST /console/credentials/security-keys/options  JSON: creation options
    POST /console/credentials/security-keys          form: name + attestation
    POST /console/credentials/security-keys/remove   form: DeactivateMFADevice
    POST /signin/mfa/security-key/options            JSON: request options
    POST /signin/mfa/security-key                    form: the assertion
    GET  /static/security-keys.js

The browser half is static/security-keys.js (no inline script: the CSP forbids
it). Options come from JSON POSTs, CSRF-checked by a token in the X-CSRF-Token
header (Web.csrf_ok); the key's answer then goes back in an ordinary CSRF-checked
form POST, so the server answers with a page exactly as for an MFA code: the next
stage of sign-in, or the MFA page again with the same message as a wrong code
(a refused assertion counts toward lockout as a wrong code does).

The relying party ID and origin are Settings.webauthn_rp_id/webauthn_origin, or
else the host and scheme the console is opened on (WebAuthn allows http only on
localhost; tests open http://localhost:PORT).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehold.auth import webauthn
from gatehold.console.credentials import webauthn_keys
from gatehold.console.signin import sessions, steps
from gatehold.console.signin.machine import Stage
from gatehold.console.web import Pages, Web, peer, secured, source_ip, user_agent
from gatehold.errors import AwsError
from gatehold.store import console_sessions

_JS = (Path(__file__).parent.parent / "static" / "security-keys.js").read_bytes()
PAGE = "/console/credentials/security-keys"
CSRF_HEADER = "x-csrf-token"
TITLE = "Security keys"
# ?done=<key> after a 303: fixed texts only, nothing from the URL is echoed.
NOTICES = {
    "registered": "The security key is registered. It can be used at your next sign-in.",
    "removed": "The security key was removed.",
}
NO_KEYS = "There is no security key to use for this sign-in."
REFUSED = "This request was refused. Reload the page and try again."


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return secured(JSONResponse(data, status_code=status))


class SecurityKeyPages(Pages):
    def _rp(self, request: Request) -> webauthn.RelyingParty:
        s = self.w.settings
        return webauthn.relying_party(
            request.url.scheme, request.url.netloc, s.webauthn_rp_id, s.webauthn_origin
        )

    async def _json_body(self, request: Request) -> dict[str, Any] | None:
        """The posted JSON object, or None when the CSRF header is missing or wrong."""
        if not self.w.csrf_ok(request, request.headers.get(CSRF_HEADER)):
            return None
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    # ---- registration: a signed-in principal ----

    async def _page(
        self,
        request: Request,
        session: console_sessions.Session,
        error: str | None = None,
        key_name: str = "",
        status: int = 200,
    ) -> Response:
        try:
            keys = await self.w.run(webauthn_keys.my_keys, self.c, session, peer(request))
        except AwsError as err:
            keys, error = [], error or err.message
        notice = NOTICES.get(request.query_params.get("done", ""))
        return self.w.page(
            request,
            "security_keys.html",
            status,
            title=TITLE,
            keys=keys,
            key_name=key_name,
            notice=None if error else notice,
            error=error,
        )

    async def page(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return await self._page(request, session)

    async def registration_options(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return _json({"error": REFUSED}, 403)
        body = await self._json_body(request)
        if body is None:
            return _json({"error": REFUSED}, 403)
        name = body.get("name")
        try:
            options = await self.w.run(
                webauthn_keys.registration_options,
                self.c,
                session,
                peer(request),
                self._rp(request),
                name if isinstance(name, str) else "",
            )
        except AwsError as err:
            return _json({"error": err.message}, err.status)
        return _json(options)

    async def register(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        name = form.get("key_name", "")
        try:
            done = await self.w.run(
                webauthn_keys.register,
                self.c,
                session,
                peer(request),
                self._rp(request),
                name,
                form.get("credential", ""),
            )
        except AwsError as err:
            return await self._page(request, session, err.message, name, err.status)
        if done.error:
            return await self._page(request, session, done.error, name, 400)
        return self.w.redirect(PAGE + "?done=registered")

    async def remove(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        try:
            await self.w.run(
                webauthn_keys.remove, self.c, session, peer(request), form.get("serial_number", "")
            )
        except AwsError as err:
            return await self._page(request, session, err.message, status=err.status)
        return self.w.redirect(PAGE + "?done=removed")

    # ---- the MFA step of sign-in ----

    async def _pending(self, request: Request) -> console_sessions.Session | None:
        session = await self.w.session(request)
        return session if session and session.stage == Stage.NEED_MFA.value else None

    async def signin_options(self, request: Request) -> Response:
        session = await self._pending(request)
        body = await self._json_body(request)
        if session is None or body is None:
            return _json({"error": REFUSED}, 403)
        options = await self.w.run(
            webauthn_keys.authentication_options, self.c, session, self._rp(request)
        )
        if options is None:
            return _json({"error": NO_KEYS}, 400)
        return _json(options)

    async def signin(self, request: Request) -> Response:
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        session = await self._pending(request)
        if session is None:
            current = await self.w.session(request)
            return self.w.to_stage(request, current.stage if current else Stage.NEED_PASSWORD.value)
        credential = form.get("credential", "")
        serial = await self.w.run(webauthn_keys.claimed_serial, self.c, session, credential)
        outcome = await self.w.run(
            steps.second_factor_step,
            self.c,
            session,
            source_ip(request),
            webauthn_keys.assertion_proof(session, self._rp(request), credential),
            serial_number=serial,
            user_agent=user_agent(request),
        )
        t = outcome.transition
        if t.error and t.stage is Stage.NEED_MFA:
            return await self._mfa_page(request, session, t.error)
        if t.error:
            # Locked meanwhile, or a hard-expired password: the sign-in starts over.
            title = "Root user sign in" if session.is_root else "IAM user sign in"
            return self.w.page(
                request,
                "signin.html",
                title=title,
                root=session.is_root,
                account="",
                user_name="",
                root_email="",
                error=t.error,
            )
        return self.w.to_stage(request, t.stage.value, outcome.token)

    async def _mfa_page(
        self, request: Request, session: console_sessions.Session, error: str
    ) -> Response:
        """The MFA page again, as signin/pages.py renders it after a wrong code."""
        devices = await self.w.run(sessions.pending_choices, self.c, session)
        return self.w.page(
            request,
            "mfa.html",
            title="Multi-factor authentication",
            devices=devices,
            chosen="",
            error=error,
        )

    async def script(self, request: Request) -> Response:
        resp = Response(_JS, media_type="text/javascript")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return secured(resp, cacheable=True)

    def routes(self) -> list[Route]:
        return [
            Route(PAGE, self.page, methods=["GET"]),
            Route(PAGE, self.register, methods=["POST"]),
            Route(PAGE + "/options", self.registration_options, methods=["POST"]),
            Route(PAGE + "/remove", self.remove, methods=["POST"]),
            Route("/signin/mfa/security-key/options", self.signin_options, methods=["POST"]),
            Route("/signin/mfa/security-key", self.signin, methods=["POST"]),
            Route("/static/security-keys.js", self.script, methods=["GET"]),
        ]


def routes(web: Web) -> list[Route]:
    return SecurityKeyPages(web).routes()
