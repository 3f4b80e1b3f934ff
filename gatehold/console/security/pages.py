"""The account security page (/console/security): the seed's best practices as live checks.

Thin: the facts are read here, the checks are judged by checks.py (pure).
Every fact comes through actions.invoke, as the signed-in principal, with the same
enforcement as the API: GetAccountSummary (root's MFA and keys),
GetAccountPasswordPolicy, ListUsers, and per user GetLoginProfile, ListMFADevices,
ListAccessKeys and GetAccessKeyLastUsed. A principal refused any of them sees AWS's
AccessDenied message and no facts. The live IAM reads are used rather than the
credential report, which AWS regenerates at most every four hours.

Lockout state is gatehold's own (IAM has no operation for it): it is read for the users
ListUsers just returned, so it tells nothing about users the principal may not list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold import errors
from gatehold.auth import lockout
from gatehold.console.actions import Peer, invoke
from gatehold.console.core import Console
from gatehold.console.security import alarms as security_alarms
from gatehold.console.security import checks as security_checks
from gatehold.console.security.checks import AccountFacts, KeyFacts, PolicyFacts, UserFacts
from gatehold.console.web import Web
from gatehold.console.web import peer as request_peer
from gatehold.store import console_sessions, signin_failures


class _Reader:
    """IAM reads as the signed-in principal."""

    def __init__(self, c: Console, session: console_sessions.Session, peer: Peer) -> None:
        self.c, self.session, self.peer = c, session, peer

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        return dict(invoke(self.c, self.session, "iam", operation, params, self.peer))

    def optional(self, operation: str, **params: Any) -> dict[str, Any] | None:
        """None for NoSuchEntity (no password policy, no login profile)."""
        try:
            return self(operation, **params)
        except errors.AwsError as err:
            if err.code == "NoSuchEntity":
                return None
            raise

    def users(self) -> Iterator[dict[str, Any]]:
        marker: str | None = None
        while True:
            page = self("ListUsers", **({"Marker": marker} if marker else {}))
            yield from page.get("Users", [])
            if not page.get("IsTruncated"):
                return
            marker = page["Marker"]


def _user_facts(read: _Reader, user: dict[str, Any], *, locked: bool) -> UserFacts:
    name = user["UserName"]
    profile = read.optional("GetLoginProfile", UserName=name)
    keys = []
    for k in read("ListAccessKeys", UserName=name).get("AccessKeyMetadata", []):
        used = read("GetAccessKeyLastUsed", AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
        keys.append(
            KeyFacts(
                k["AccessKeyId"], k["Status"] == "Active", k["CreateDate"], used.get("LastUsedDate")
            )
        )
    return UserFacts(
        name=name,
        password_created_at=profile["LoginProfile"]["CreateDate"] if profile else None,
        password_last_used=user.get("PasswordLastUsed"),
        mfa_devices=len(read("ListMFADevices", UserName=name).get("MFADevices", [])),
        keys=tuple(keys),
        locked_for_good=locked,
    )


def _locked_for_good(c: Console, account_id: str, name: str) -> bool:
    with c.store.reading() as db:
        counter = signin_failures.get(db, lockout.account_subject(account_id, name))
    return counter.locked_until == lockout.FOREVER


def gather(c: Console, session: console_sessions.Session, peer: Peer) -> AccountFacts:
    """Every fact the checks need; AwsError (AccessDenied) as the API would answer."""
    read = _Reader(c, session, peer)
    summary = read("GetAccountSummary")["SummaryMap"]
    policy = read.optional("GetAccountPasswordPolicy")
    users = tuple(
        _user_facts(read, u, locked=_locked_for_good(c, session.account_id, u["UserName"]))
        for u in read.users()
    )
    return AccountFacts(
        root_mfa=bool(summary.get("AccountMFAEnabled")),
        root_access_keys=bool(summary.get("AccountAccessKeysPresent")),
        policy=PolicyFacts(policy["PasswordPolicy"].get("MinimumPasswordLength", 6))
        if policy
        else None,
        users=users,
    )


def checks(
    c: Console, session: console_sessions.Session, peer: Peer
) -> list[security_checks.Check]:
    return security_checks.evaluate(gather(c, session, peer), c.clock.now())


def routes(web: Web) -> list[Route]:
    async def page(request: Request) -> Response:
        session = await web.signed_in(request)
        if isinstance(session, Response):
            return session
        peer = request_peer(request)
        try:
            found = await web.run(checks, web.c, session, peer)
        except errors.AwsError as err:
            return web.page(
                request, "security.html", err.status, title="Account security",
                error=f"{err.code}: {err.message}", checks=[],
            )  # fmt: skip
        attention = sum(1 for ch in found if ch.status is security_checks.Status.ATTENTION)
        alarms = await web.run(security_alarms.recent, web.c, session, peer)
        return web.page(
            request,
            "security.html",
            title="Account security",
            checks=found,
            attention=attention,
            alarms=alarms,
        )

    return [Route("/console/security", page, methods=["GET"])]
