"""Account settings: the account password policy and the account alias, as on AWS's
IAM console "Account settings" page.

Every read and change goes through actions.invoke (Pages.call): the same
validation, handlers and enforcement as the API, so a principal that may only read
(IAMReadOnlyAccess) sees the settings and is refused a change with AWS's message,
and an invalid value (a minimum length of 5) gets IAM's own ValidationError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console.admin.common import Pages, checked, done, error_text, q
from gatehold.console.web import Web
from gatehold.errors import AwsError
from gatehold.store import console_sessions

PAGE = "/console/iam/account-settings"

# What the page says after a successful POST (?done=KEY), as admin_common.NOTICES.
NOTICES = {
    "policy-updated": "The password policy was updated.",
    "policy-deleted": "The custom password policy was deleted: the default applies again.",
    "alias-created": "The account alias was created.",
    "alias-deleted": "The account alias was deleted.",
}


@dataclass(frozen=True)
class NumberField:
    """A whole-number field of the policy form: its parameter, label and the checkbox
    that turns it on (None: always sent when filled in)."""

    param: str
    name: str
    label: str
    switch: str | None


NUMBER_FIELDS = (
    NumberField("MinimumPasswordLength", "minimum_length", "Password minimum length", None),
    NumberField("MaxPasswordAge", "max_password_age", "Expire passwords in (days)", "expire"),
    NumberField(
        "PasswordReusePrevention",
        "reuse_prevention",
        "Number of passwords to remember",
        "prevent_reuse",
    ),
)

# Checkbox -> parameter. UpdateAccountPasswordPolicy replaces the whole policy (API
# reference: "does not support partial updates"), so each is sent, true or false.
FLAGS = {
    "require_uppercase": "RequireUppercaseCharacters",
    "require_lowercase": "RequireLowercaseCharacters",
    "require_numbers": "RequireNumbers",
    "require_symbols": "RequireSymbols",
    "allow_change": "AllowUsersToChangePassword",
}


class NotANumber(ValueError):
    def __init__(self, field: NumberField) -> None:
        super().__init__(f"{field.label} must be a whole number.")


def policy_params(form: dict[str, str]) -> dict[str, Any]:
    """The UpdateAccountPasswordPolicy parameters the form asks for; NotANumber when a
    number field in use is not one. The range checks are IAM's (ValidationError)."""
    params: dict[str, Any] = {param: checked(form, name) for name, param in FLAGS.items()}
    for field in NUMBER_FIELDS:
        if field.switch is not None and not checked(form, field.switch):
            continue  # left out: the API's default (never expire, reuse allowed)
        text = form.get(field.name, "").strip()
        if field.switch is None and not text:
            continue  # the API's default minimum length
        try:
            params[field.param] = int(text)
        except ValueError as exc:
            raise NotANumber(field) from exc
    # AWS's console offers administrator reset only with expiration turned on.
    if "MaxPasswordAge" in params:
        params["HardExpiry"] = checked(form, "hard_expiry")
    return params


def form_values(policy: dict[str, Any] | None) -> dict[str, Any]:
    """The form pre-filled from GetAccountPasswordPolicy's PasswordPolicy (or empty)."""
    p = policy or {}
    values: dict[str, Any] = {name: bool(p.get(param)) for name, param in FLAGS.items()}
    values.update(
        minimum_length=str(p.get("MinimumPasswordLength", "")),
        expire="MaxPasswordAge" in p,
        max_password_age=str(p.get("MaxPasswordAge", "")),
        hard_expiry=bool(p.get("HardExpiry")),
        prevent_reuse="PasswordReusePrevention" in p,
        reuse_prevention=str(p.get("PasswordReusePrevention", "")),
    )
    return values


def posted_values(form: dict[str, str]) -> dict[str, Any]:
    """The form as it was posted, kept in the fields when IAM refuses it."""
    values: dict[str, Any] = {name: checked(form, name) for name in FLAGS}
    for field in NUMBER_FIELDS:
        values[field.name] = form.get(field.name, "")
        if field.switch:
            values[field.switch] = checked(form, field.switch)
    values["hard_expiry"] = checked(form, "hard_expiry")
    return values


class AccountPages(Pages):
    async def show(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        key = request.query_params.get("done", "")
        return await self._page(request, session, notice=NOTICES.get(key))

    async def _page(
        self,
        request: Request,
        session: console_sessions.Session,
        status: int = 200,
        form: dict[str, Any] | None = None,
        **values: Any,
    ) -> Response:
        policy: dict[str, Any] | None = None
        policy_error = None
        try:
            policy = (await self.call(request, session, "GetAccountPasswordPolicy"))[
                "PasswordPolicy"
            ]
        except AwsError as err:
            if err.code != "NoSuchEntity":  # NoSuchEntity: no custom policy, the default applies
                policy_error = error_text(err)
        aliases, alias_error = await self.attempt(request, session, "ListAccountAliases")
        alias = next(iter((aliases or {}).get("AccountAliases", [])), None)
        return self.w.page(
            request,
            "admin_account.html",
            status,
            title="Account settings",
            policy=policy,
            policy_error=policy_error,
            form=form if form is not None else form_values(policy),
            alias=alias,
            alias_error=alias_error,
            account_id=session.account_id,
            signin_url=self._signin_url(alias or session.account_id),
            **values,
        )

    def _signin_url(self, account: str) -> str:
        # The console URL `gatehold init` prints, with the account the sign-in page
        # pre-fills (signin/pages.py, ?account=): AWS's https://ALIAS.signin.aws.amazon.com/console.
        base = (self.w.settings.public_url or self.w.settings.endpoint).rstrip("/")
        return f"{base}/console?account={q(account)}"

    async def update_policy(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        try:
            params = policy_params(posted.form)
            await self.call(request, posted.session, "UpdateAccountPasswordPolicy", params)
        except NotANumber as exc:
            return await self._refused(request, posted.session, 400, str(exc), posted.form)
        except AwsError as err:
            return await self._refused(
                request, posted.session, err.status, error_text(err), posted.form
            )
        return done(PAGE, "policy-updated")

    async def _refused(
        self,
        request: Request,
        session: console_sessions.Session,
        status: int,
        message: str,
        form: dict[str, str] | None = None,
        **values: Any,
    ) -> Response:
        """The page again with what was refused and why; nothing was changed."""
        kept = posted_values(form) if form is not None else None
        return await self._page(request, session, status, kept, error=message, **values)

    async def _change(self, request: Request, operation: str, key: str) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        params: dict[str, Any] = {}
        if operation != "DeleteAccountPasswordPolicy":
            params["AccountAlias"] = posted.form.get("account_alias", "").strip()
        try:
            await self.call(request, posted.session, operation, params)
        except AwsError as err:
            return await self._refused(
                request,
                posted.session,
                err.status,
                error_text(err),
                account_alias=params.get("AccountAlias", ""),
            )
        return done(PAGE, key)

    async def delete_policy(self, request: Request) -> Response:
        return await self._change(request, "DeleteAccountPasswordPolicy", "policy-deleted")

    async def create_alias(self, request: Request) -> Response:
        return await self._change(request, "CreateAccountAlias", "alias-created")

    async def delete_alias(self, request: Request) -> Response:
        return await self._change(request, "DeleteAccountAlias", "alias-deleted")

    def routes(self) -> list[Route]:
        return [
            Route(PAGE, self.show, methods=["GET"]),
            Route(PAGE + "/password-policy", self.update_policy, methods=["POST"]),
            Route(PAGE + "/password-policy/delete", self.delete_policy, methods=["POST"]),
            Route(PAGE + "/alias", self.create_alias, methods=["POST"]),
            Route(PAGE + "/alias/delete", self.delete_alias, methods=["POST"]),
        ]


def routes(web: Web) -> list[Route]:
    return AccountPages(web).routes()
