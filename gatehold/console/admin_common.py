"""What every administration page shares: calling the services as the signed-in
principal (actions.invoke, in a worker thread), the CSRF-checked POST, the notice
shown after a 303, and AWS's error text on a page.

Every change goes through actions.invoke: the same validation, handlers and
enforcement as the API, so a page can never do what the same principal could not
do with boto3, and on a refusal AWS's own message is shown with nothing changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from gatehold.console import actions, sessions
from gatehold.console.actions import Peer
from gatehold.console.web import Web, quote_value, source_ip
from gatehold.errors import AwsError
from gatehold.services.call import Result

# What a page says after a successful POST (its 303 target carries ?done=KEY): keys,
# not texts, in the URL, so a link cannot make the console say anything else.
NOTICES = {
    "user-created": "The user was created.",
    "user-deleted": "The user was deleted.",
    "group-added": "The user was added to the group.",
    "group-removed": "The user was removed from the group.",
    "policy-attached": "The policy was attached.",
    "policy-detached": "The policy was detached.",
    "password-set": "The console password was set.",
    "password-removed": "Console access was removed.",
    "mfa-deactivated": "The MFA device was deactivated.",
    "unlocked": "The user was unlocked: they can sign in again now.",
    "group-created": "The group was created.",
    "group-deleted": "The group was deleted.",
    "member-added": "The user was added.",
    "member-removed": "The user was removed.",
    "role-created": "The role was created.",
    "role-deleted": "The role was deleted.",
    "trust-updated": "The trust policy was updated.",
    "role-updated": "The role was updated.",
    "policy-created": "The policy was created.",
    "policy-deleted": "The policy was deleted.",
    "version-created": "A new version of the policy was saved.",
    "default-set": "The default version was changed.",
    "version-deleted": "The version was deleted.",
}


@dataclass(frozen=True)
class Posted:
    session: sessions.Session
    form: dict[str, str]


def peer(request: Request) -> Peer:
    return Peer(source_ip(request), secure=request.url.scheme == "https")


def error_text(err: AwsError) -> str:
    """AWS's message, and its code for whoever needs to look it up."""
    return f"{err.message} ({err.code})"


def document_error(err: AwsError, text: str) -> str:
    """AWS's refusal of a policy document; when the text is not even JSON, where the
    JSON breaks too (AWS's message says only "Syntax errors in policy.", as the API
    answers, while AWS's console editor also points at the line)."""
    shown = error_text(err)
    if err.code != "MalformedPolicyDocument":
        return shown
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{shown} The JSON is not valid at line {exc.lineno}, column {exc.colno}: {exc.msg}."
    return shown


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


def done(path: str, key: str) -> Response:
    """The 303 after a successful POST, to `path` with the notice to show there."""
    return Web.redirect(f"{path}{'&' if '?' in path else '?'}done={key}")


def q(value: str) -> str:
    return quote_value(value)


def document_text(encoded: str) -> str:
    """A policy document as IAM answers it (URL-encoded JSON), pretty-printed for the
    editor; left as it is when it does not parse."""
    text = unquote(encoded)
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def checked(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("on", "1", "true")


class Pages:
    """Base of the administration page classes: the plumbing above, bound to one Web."""

    def __init__(self, web: Web) -> None:
        self.w = web
        self.c = web.c

    async def call(
        self,
        request: Request,
        session: sessions.Session,
        operation: str,
        params: dict[str, Any] | None = None,
        service: str = "iam",
    ) -> Result:
        """The operation as the signed-in principal; AwsError on a refusal."""
        return await self.w.run(
            actions.invoke, self.c, session, service, operation, params or {}, peer(request)
        )

    async def attempt(
        self,
        request: Request,
        session: sessions.Session,
        operation: str,
        params: dict[str, Any] | None = None,
    ) -> tuple[Result | None, str | None]:
        """A read for one section of a page: its result, or AWS's refusal to show there."""
        try:
            return await self.call(request, session, operation, params), None
        except AwsError as err:
            return None, error_text(err)

    async def posted(self, request: Request) -> Posted | Response:
        """A POST's form and session once its CSRF token checks; else the response."""
        form = await self.w.form(request)
        if form is None:
            return self.w.forbidden(request)
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return Posted(session, form)

    def failed(self, request: Request, err: AwsError, title: str) -> Response:
        """A page that says only what AWS answered, with AWS's HTTP status."""
        return self.w.page(
            request, "admin_error.html", err.status, title=title, error=error_text(err)
        )
