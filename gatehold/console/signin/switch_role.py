"""Switch role (/console/switch-role) and "Back to USER": the console acting as a role.

As AWS's console does (IAM User Guide, id_roles_use_switch-role-console, and the role
chaining note: "The AWS Management Console doesn't support role chaining ... uses the
credentials of the IAM or federated user to switch to another role"), a switch always
calls sts:AssumeRole as the signed-in user, never as a role switched to before: the
role's trust policy and the user's own sts:AssumeRole permission decide, and a refusal
shows AWS's AccessDenied text. The session name is the user's name and the session
lasts AssumeRole's default hour (the console's default role session).

`switch` and `exit_role` are the two state changes, kept small and separate from the
pages so the audit can record SwitchRole/ExitRole around them.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.audit import signin_events
from gatehold.audit.recorder import recorder_for
from gatehold.console import actions
from gatehold.console.actions import Peer
from gatehold.console.admin.common import Pages, error_text
from gatehold.console.core import Console
from gatehold.console.signin import role_sessions
from gatehold.console.signin.who import find_account
from gatehold.console.web import Web, peer
from gatehold.errors import AwsError
from gatehold.store import console_sessions, users

# AWS's console answer when the account or role fields name nothing it can use.
INVALID_FIELDS = (
    "Invalid information in one or more fields. Check your information or contact your "
    "administrator."
)


def role_arn(account_id: str, role: str) -> str:
    """The role's ARN from the form's "Role" (a name, or path/name as AWS's console takes)."""
    return f"arn:aws:iam::{account_id}:role/{role.strip().strip('/')}"


def switch(
    c: Console,
    session: console_sessions.Session,
    peer: Peer,
    account: str,
    role: str,
    display_name: str,
) -> role_sessions.RoleSession:
    """AssumeRole as the signed-in user; the session then acts as the role."""
    with c.store.reading() as db:
        found = find_account(db, account) if account.strip() else None
        user = users.get_by_id(db, session.user_id) if session.user_id else None
    if found is None or not role.strip():
        raise AwsError("ValidationError", INVALID_FIELDS, 400)
    own = replace(session, role_session=None)  # the user's credentials, not a role's
    name = user.user_name if user else "root"
    params = {"RoleArn": role_arn(found.account_id, role), "RoleSessionName": name}
    result = actions.invoke(c, own, "sts", "AssumeRole", params, peer)
    token = result["Credentials"]["SessionToken"]
    shown = display_name.strip() or role.strip().strip("/").rsplit("/", 1)[-1]
    sealed = role_sessions.seal(c.box, session, token, shown, account.strip(), name)
    opened = role_sessions.open_role(c.box, replace(session, role_session=sealed))
    assert opened is not None
    user_arn = actions.principal_of(c, own).arn
    with c.store.transaction() as db:
        console_sessions.set_role(db, session.token_hash, sealed)
        _record(db, c, signin_events.SWITCH_ROLE, opened, user_arn, peer)
    return opened


def exit_role(
    c: Console, session: console_sessions.Session, peer: Peer | None = None
) -> role_sessions.RoleSession | None:
    """Back to the signed-in user; the role session that ended, if there was one."""
    ended = role_sessions.open_role(c.box, session)
    user_arn = actions.principal_of(c, replace(session, role_session=None)).arn
    with c.store.transaction() as db:
        console_sessions.set_role(db, session.token_hash, None)
        if ended is not None and peer is not None:
            _record(db, c, signin_events.EXIT_ROLE, ended, user_arn, peer)
    return ended


def _record(
    db: Connection,
    c: Console,
    name: str,
    role: role_sessions.RoleSession,
    user_arn: str,
    peer: Peer,
) -> None:
    """The SwitchRole / ExitRole event, in the transaction that switches."""
    signin_events.role_switch(
        db,
        recorder_for(c.store),
        name=name,
        role=role.principal,
        user_arn=user_arn,
        now=c.clock.now(),
        source_ip=peer.source_ip,
        user_agent=peer.user_agent,
    )


class SwitchRolePages(Pages):
    async def form(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        q = request.query_params
        values = {
            "account": q.get("account", ""),
            "role": q.get("roleName", ""),
            "display_name": q.get("displayName", ""),
        }
        return self.w.page(request, "switch_role.html", title="Switch role", form=values)

    async def post(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        f = posted.form
        try:
            await self.w.run(
                switch,
                self.c,
                posted.session,
                peer(request),
                f.get("account", ""),
                f.get("role", ""),
                f.get("display_name", ""),
            )
        except AwsError as err:
            return self.w.page(
                request,
                "switch_role.html",
                err.status,
                title="Switch role",
                form=f,
                error=error_text(err),
            )
        return self.w.redirect("/console")

    async def exit(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        await self.w.run(exit_role, self.c, posted.session, peer(request))
        return self.w.redirect("/console")

    def routes(self) -> list[Route]:
        return [
            Route("/console/switch-role", self.form, methods=["GET"]),
            Route("/console/switch-role", self.post, methods=["POST"]),
            Route("/console/switch-role/exit", self.exit, methods=["POST"]),
        ]


def routes(web: Web) -> list[Route]:
    return SwitchRolePages(web).routes()
