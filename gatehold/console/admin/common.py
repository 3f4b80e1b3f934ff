"""What every administration page shares (on web.Pages, which calls the services as
the signed-in principal): the notice shown after a 303, AWS's error text on a page,
the paged lists, and the forms on a user's, group's or role's page.

On a refusal AWS's own message is shown, with nothing changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console import web
from gatehold.console.admin import user_access
from gatehold.console.web import Web, quote_value
from gatehold.errors import AwsError
from gatehold.services.call import Result
from gatehold.store import console_sessions

# Users and roles: as many a list page as AWS's console shows.
PAGE_SIZE = 50

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


@dataclass(frozen=True)
class Listed:
    """A list page's read: the result, the next page's marker, or AWS's refusal."""

    result: Result  # {} when refused
    next_marker: str | None
    error: str | None


class Pages(web.Pages):
    """Base of the administration page classes: a section's read, AWS's refusal as a page."""

    async def attempt(
        self,
        request: Request,
        session: console_sessions.Session,
        operation: str,
        params: dict[str, Any] | None = None,
    ) -> tuple[Result | None, str | None]:
        """A read for one section of a page: its result, or AWS's refusal to show there."""
        try:
            return await self.call(request, session, operation, params), None
        except AwsError as err:
            return None, error_text(err)

    async def listing(
        self, request: Request, session: console_sessions.Session, operation: str
    ) -> Listed:
        """One page of a paged IAM list, from the ?marker= the page before gave."""
        params: dict[str, Any] = {"MaxItems": PAGE_SIZE}
        if request.query_params.get("marker"):
            params["Marker"] = request.query_params["marker"]
        result, error = await self.attempt(request, session, operation, params)
        if result is None:
            return Listed({}, None, error)
        marker = result.get("Marker") if result.get("IsTruncated") else None
        return Listed(result, marker, None)

    async def list_page(
        self, request: Request, operation: str, items: str, template: str, title: str
    ) -> Response:
        """A paged list (ListUsers: `items` "Users", shown as `users`) with its notice."""
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        listed = await self.listing(request, session, operation)
        return self.w.page(
            request,
            template,
            title=title,
            next_marker=listed.next_marker,
            error=listed.error,
            notice=notice(request),
            **{items.lower(): listed.result.get(items, [])},
        )

    def failed(self, request: Request, err: AwsError, title: str) -> Response:
        """A page that says only what AWS answered, with AWS's HTTP status."""
        return self.w.page(
            request, "admin_error.html", err.status, title=title, error=error_text(err)
        )


class EntityPages(Pages):
    """A user's, group's or role's page (BASE/{name}) and its forms. Each form is one
    IAM operation on the entity; then a 303 back to its page with the notice (to the
    list after deleting it), or, refused, the page again with AWS's message and status."""

    BASE: ClassVar[str]  # "/console/iam/users"
    NAME: ClassVar[str]  # the operations' parameter naming the entity: "UserName"

    async def entity_page(
        self, request: Request, session: console_sessions.Session, status: int = 200, **values: Any
    ) -> Response:
        """The page of the entity named in the path, with `values` (error, notice)."""
        raise NotImplementedError

    async def show(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return await self.entity_page(request, session, notice=notice(request))

    async def change(
        self,
        request: Request,
        operation: str,
        fields: dict[str, str],
        key: str,
        then: str | None = None,
    ) -> Response:
        """The form's `fields` (parameter: form field) as `operation`'s parameters;
        once done, to `then` (the list, after a delete) or else the entity's page."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        params: dict[str, Any] = {self.NAME: request.path_params["name"]}
        params.update({p: self.field(posted.form, f) for p, f in fields.items()})
        try:
            if operation.startswith("Attach"):  # the form names the policy, the API its ARN
                params["PolicyArn"] = await self.w.run(
                    user_access.policy_arn, self.c, posted.session, params["PolicyArn"]
                )
            self.prepare(operation, params)
            await self.call(request, posted.session, operation, params)
        except (AwsError, ValueError) as err:
            message, status = self.refusal(err, params)
            kept = self.kept(operation, params)
            return await self.entity_page(request, posted.session, status, error=message, **kept)
        return done(then or self.path(request), key)

    def form_route(
        self,
        path: str,
        operation: str,
        fields: dict[str, str],
        key: str,
        then: str | None = None,
    ) -> Route:
        """One form on the entity's page: POST BASE/{name}PATH runs `operation` (change())."""

        async def submit(request: Request) -> Response:
            return await self.change(request, operation, fields, key, then)

        return Route(f"{self.BASE}/{{name}}{path}", submit, methods=["POST"])

    def field(self, form: dict[str, str], name: str) -> str:
        """A form field's value as the operation's parameter."""
        return form.get(name, "")

    def prepare(self, operation: str, params: dict[str, Any]) -> None:
        """Form text made into the operation's parameter types (ValueError if it is not)."""

    def refusal(self, err: AwsError | ValueError, params: dict[str, Any]) -> tuple[str, int]:
        """What the page says about a refused change, and its HTTP status."""
        if not isinstance(err, AwsError):
            raise err  # prepare() turned nothing here: not the form's mistake
        return error_text(err), err.status

    def kept(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """What a refused change keeps in the page's fields (an editor's text)."""
        return {}

    async def refused(
        self, request: Request, session: console_sessions.Session, err: AwsError
    ) -> Response:
        """The entity's page again, saying what AWS answered, with AWS's status."""
        return await self.entity_page(request, session, err.status, error=error_text(err))

    def path(self, request: Request) -> str:
        """The entity's page."""
        return f"{self.BASE}/{q(request.path_params['name'])}"
