"""The console's one way into IAM, STS and every other service: the same handlers,
the same validation and the same enforcement as the API (no console-only back door).

A console page calls `invoke(c, session, "iam", "CreateUser", {...}, peer)`. The
parameters are validated against botocore's input shape exactly as a request's
would be, the principal is the signed-in one (root, an IAM user, or the role a
user switched to), and the operation runs in one transaction (reads in a read
transaction). Errors come back as the AwsError the API would answer, so a page can
show AWS's own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehold import arn, errors, ids
from gatehold.audit.recorder import recorder_for
from gatehold.console.core import Console
from gatehold.console.signin import role_sessions
from gatehold.context import Principal, PrincipalKind, RequestContext, SessionFacts
from gatehold.protocol import get_service
from gatehold.protocol.validate import validate
from gatehold.services.call import Call, Handler, Result
from gatehold.services.registry import HANDLERS, is_read_only
from gatehold.services.request_audit import RequestAudit
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
    handler = _checked(service, operation, params)
    ctx = context(c, session, service, operation, peer)
    # Audited as the API audits (services/request_audit.py): a change's record in its transaction.
    audit = _audit(c, ctx, params)
    try:
        if is_read_only(operation):
            with c.store.reading() as db:
                result = handler(audit.watch(Call(ctx, db, c.enforcer, c.box)), params)
            audit.succeeded(None, result)
            return result
        with c.store.transaction() as db:
            result = handler(audit.watch(Call(ctx, db, c.enforcer, c.box)), params)
            audit.succeeded(db, result)
        return result
    except errors.AwsError as err:
        answered = errors.as_service_words_it(err, get_service(service).protocol)
        audit.failed(answered)
        raise answered from None


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
    handlers = [_checked(service, operation, params) for operation, params in steps]
    audit: RequestAudit | None = None
    try:
        with c.store.transaction() as db:
            results = []
            for handler, (operation, params) in zip(handlers, steps, strict=True):
                ctx = context(c, session, service, operation, peer)
                audit = _audit(c, ctx, params)
                result = handler(audit.watch(Call(ctx, db, c.enforcer, c.box)), params)
                audit.succeeded(db, result)  # rolled back with the rest if a later step fails
                results.append(result)
            return results
    except errors.AwsError as err:
        answered = errors.as_service_words_it(err, get_service(service).protocol)
        if audit is not None:
            audit.failed(answered)  # the refused step, in a transaction of its own
        raise answered from None


def audit_of(
    c: Console,
    session: console_sessions.Session,
    service: str,
    operation: str,
    params: dict[str, Any],
    peer: Peer,
) -> RequestAudit:
    """The audit of a console action that is an API operation in AWS but has no
    handler here (root's EnableMFADevice: IAM's API cannot name root), recorded
    as the API records it: `succeeded(db, result)` in the change's transaction."""
    return _audit(c, context(c, session, service, operation, peer), params)


def _audit(c: Console, ctx: RequestContext, params: dict[str, Any]) -> RequestAudit:
    audit = RequestAudit(recorder_for(c.store), from_console=True)
    audit.begin(ctx)
    audit.params = params
    return audit


def _checked(service: str, operation: str, params: dict[str, Any]) -> Handler:
    model = get_service(service).operation(operation)
    handler = HANDLERS.get((service, operation))
    if model is None or handler is None:
        raise errors.not_implemented(service, operation)
    validate(params, model.input_shape, "ValidationError")
    return handler


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
