"""The console's one way into IAM, STS and every other service: the API's runner
(services/runner.py) with the API's handlers, validation and enforcement (no
console-only back door).

A console page calls `invoke(c, session, "iam", "CreateUser", {...}, peer)`. The
parameters are validated against botocore's input shape exactly as a request's
would be (`validate=True`: the page passes Python values, not a wire request), the
principal is the signed-in one (root, an IAM user, or the role a user switched to),
and the runner runs the operation as it runs the API's: reads in a read transaction,
writes retried after a lost race, the record marked as the console's. Errors come
back as the AwsError the API would answer, so a page can show AWS's own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehold import arn, errors, ids
from gatehold.console.core import Console
from gatehold.console.signin import role_sessions
from gatehold.context import Principal, PrincipalKind, RequestContext, SessionFacts
from gatehold.services.call import Handler, Result
from gatehold.services.request_audit import RequestAudit
from gatehold.services.runner import Refusal, Step
from gatehold.store import console_sessions, users

# What CloudTrail shows as the userAgent of calls made from AWS's own console.
CONSOLE_USER_AGENT = "AWS Internal"


@dataclass(frozen=True)
class Peer:
    source_ip: str
    user_agent: str = CONSOLE_USER_AGENT
    secure: bool = False


def principal_of(c: Console, session: console_sessions.Session) -> Principal:
    """The signed-in principal. A console session is a session: its facts carry the
    sign-in time as aws:TokenIssueTime and, when MFA was used, aws:MultiFactorAuthPresent
    with its age, so MFA-conditioned policies decide for the console as for the API.

    After a switch role it is the role's session (role_sessions.py) until the user goes
    back; once those credentials expire every action answers ExpiredToken (rather than
    quietly acting as the user again) until the user switches again or goes back."""
    if session.role_session is not None:
        return role_sessions.principal(c.box, session, c.clock.now())
    facts = SessionFacts(
        issued_at=session.created_at,
        expires_at=session.expires_at,
        mfa_at=session.created_at if session.mfa_authenticated else None,
        user_id=session.user_id,
        console=True,
    )
    if session.user_id is None:
        account = session.account_id
        return Principal(PrincipalKind.ROOT, account, arn.root_arn(account), account, session=facts)
    with c.store.reading() as db:
        user = users.get_by_id(db, session.user_id)
    if user is None:  # deleted meanwhile: load_session ends such sessions
        raise errors.AwsError("AccessDenied", "Your session has ended.", 403)
    return Principal(
        PrincipalKind.USER,
        session.account_id,
        user.arn,
        user.user_id,
        user.user_name,
        session=facts,
    )


def invoke(
    c: Console,
    session: console_sessions.Session,
    service: str,
    operation: str,
    params: dict[str, Any],
    peer: Peer,
) -> Result:
    """Run `operation` as the signed-in principal; AwsError as the API would answer."""
    ctx = context(c, session, service, operation, peer)
    try:
        return c.runner.run(ctx, params, _audit(c, ctx, params), validate=True)
    except Refusal as refused:
        raise refused.error from None


def invoke_all(
    c: Console,
    session: console_sessions.Session,
    service: str,
    steps: list[tuple[str, dict[str, Any]]],
    peer: Peer,
) -> list[Result]:
    """Several operations in one transaction, all or nothing: a console form that
    needs two API calls (create a user and its password) changes nothing when the
    second is refused."""
    run = []
    for operation, params in steps:
        ctx = context(c, session, service, operation, peer)
        run.append(Step(ctx, params, _audit(c, ctx, params)))
    try:
        return c.runner.run_all(run, validate=True)
    except Refusal as refused:
        raise refused.error from None


def act(
    c: Console,
    session: console_sessions.Session,
    operation: str,
    params: dict[str, Any],
    peer: Peer,
    handler: Handler,
) -> Result:
    """A console action that is one IAM operation in AWS but has no API handler here
    (root's EnableMFADevice: IAM's API cannot name root; a security key's
    registration), run by the runner as `operation` with the console's own `handler`,
    and recorded as the API records it."""
    ctx = context(c, session, "iam", operation, peer)
    try:
        return c.runner.run(ctx, params, _audit(c, ctx, params), handler=handler)
    except Refusal as refused:
        raise refused.error from None


def _audit(c: Console, ctx: RequestContext, params: dict[str, Any]) -> RequestAudit:
    audit = c.runner.audit(from_console=True)
    audit.begin(ctx)
    audit.params = params
    return audit


def context(
    c: Console, session: console_sessions.Session, service: str, operation: str, peer: Peer
) -> RequestContext:
    """A request as the signed-in principal: for invoke, and for the console actions
    that are not API operations but are authorized as one (the administrator's Unlock)."""
    return RequestContext(
        request_id=ids.new_request_id(),
        principal=principal_of(c, session),
        now=c.clock.now(),
        region=c.region,
        service=service,
        operation=operation,
        source_ip=peer.source_ip,
        user_agent=peer.user_agent,
        secure_transport=peer.secure,
    )
