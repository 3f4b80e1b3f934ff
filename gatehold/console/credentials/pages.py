"""The signed-in user's own pages ("My security credentials", /console/credentials):
password, MFA devices (mfa.py), access keys (access_keys.py).

Everything an IAM user does here is an IAM operation run through actions.invoke,
as the signed-in principal: the API's validation, the API's enforcement (the
session carries aws:MultiFactorAuthPresent), AWS's error texts on the page. A
refused operation changes nothing. Root's own password and MFA assignment are
account operations (IAM's API has none for them), in password_checks.py and
mfa.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.auth import password_rules
from gatehold.console.credentials import access_keys, mfa, password_checks
from gatehold.console.credentials.common import BASE, Pages
from gatehold.console.signin.steps import MISMATCH
from gatehold.console.web import Web, source_ip, user_agent
from gatehold.errors import AwsError
from gatehold.store import accounts


class PasswordPages(Pages):
    async def credentials(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return await self.overview(request, session)

    async def change_password(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        old, new = form.get("old_password", ""), form.get("new_password", "")
        if new != form.get("retype_password", ""):
            return await self.overview(request, session, error=MISMATCH, status=400)
        if session.is_root:
            error = await self.w.run(
                lambda: password_checks.change_root_password(
                    self.c.store,
                    session.account_id,
                    old,
                    new,
                    now=self.c.clock.now(),
                    source_ip=source_ip(request),
                    user_agent=user_agent(request),
                )
            )
            if error:
                return await self.overview(request, session, error=error, status=400)
            return self.w.redirect(f"{BASE}?done=password")
        try:
            await self.call(
                request, session, "ChangePassword", {"OldPassword": old, "NewPassword": new}
            )
        except AwsError as err:
            message = await self._explained(session.account_id, err, new)
            return await self.overview(request, session, error=message, status=err.status)
        return self.w.redirect(f"{BASE}?done=password")

    async def _explained(self, account_id: str, err: AwsError, new: str) -> str:
        """AWS's message; for a policy violation, followed by the rules it broke."""
        if err.message != password_rules.VIOLATION_MESSAGE:
            return err.message

        def rules() -> str | None:
            with self.c.store.reading() as db:
                account = accounts.get(db, account_id)
                return password_checks.policy_error(db, account, new) if account else None

        detail = await self.w.run(rules)
        return f"{err.message} {detail}" if detail else err.message

    def routes(self) -> list[Route]:
        return [
            Route(BASE, self.credentials, methods=["GET"]),
            Route(f"{BASE}/password", self.change_password, methods=["POST"]),
        ]


def routes(web: Web) -> list[Route]:
    return [
        *PasswordPages(web).routes(),
        *mfa.MfaPages(web).routes(),
        *access_keys.KeyPages(web).routes(),
    ]
