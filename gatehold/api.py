"""The AWS API endpoint: one request in, one response out, through the steps of DESIGN.md.

route -> authenticate (SigV4) -> parse and validate -> operation (authorize, act,
in one transaction) -> serialize. Every failure on the way is an AwsError answered
in the called protocol's error shape; anything else is a bug, logged and answered
as InternalFailure without leaking its text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from gatehold import errors, ids, protocol
from gatehold.audit.alarms import key_use
from gatehold.audit.alarms.service import Alarms
from gatehold.audit.alarms.sinks import Notice
from gatehold.audit.recorder import Recorder, recorder_for
from gatehold.auth import session_limits, sigv4
from gatehold.auth.credentials import ResolvedKey, resolve_access_key, resolve_session
from gatehold.authz import denials
from gatehold.clock import Clock
from gatehold.config import DEFAULT_REGION, Settings
from gatehold.context import ANONYMOUS, RequestContext
from gatehold.errors import AwsError, ErrorWithAftermath
from gatehold.protocol.request import HttpResponse
from gatehold.services.call import Call, Enforcer, Handler
from gatehold.services.read_mostly import WriteNeeded
from gatehold.services.registry import HANDLERS, is_cheap_read, reads_first
from gatehold.services.request_audit import RequestAudit
from gatehold.services.sts import regions
from gatehold.store import access_keys
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox

log = logging.getLogger("gatehold.api")

# Signed with when the access key is unknown, so that an unknown key and a wrong
# secret cost the same HMAC work (no timing oracle for which keys exist).
_DUMMY_SECRET = "gatehold-dummy-secret-never-matches-anything0"

# How often a write that raced another is tried (see AwsApi._write).
_WRITE_ATTEMPTS = 3

# Last-used facts are written at most this often per key: writing on every request
# would put a write lock on the hot path. AWS documents last-used data as approximate.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Peer:
    """Facts about the connection, from the HTTP server."""

    source_ip: str
    secure: bool


class AwsApi:
    def __init__(
        self,
        store: Store,
        box: SecretBox,
        clock: Clock,
        enforcer: Enforcer,
        settings: Settings | None = None,
        *,
        recorder: Recorder | None = None,
        alarms: Alarms | None = None,
    ) -> None:
        # Alarms for use of a deactivated or deleted key (gatehold/audit/alarms/key_use.py).
        self.alarms = alarms
        # The operator's settings; operations that need them get them on their Call.
        self.settings = settings
        self.region = settings.region if settings else DEFAULT_REGION  # for unsigned calls
        # Every call is audited (gatehold/services/request_audit.py says in which transaction).
        self.recorder = recorder or recorder_for(store)
        self.store = store
        self.box = box
        self.clock = clock
        self.enforcer = enforcer
        # services/sts/regions.py: regions where STS is deactivated.
        self.sts_disabled_regions = regions.parse(settings.sts_disabled_regions if settings else "")
        # Policy denials carry EC2's encoded message (authz/denials.py).
        self.encode_authorization_messages = bool(
            settings and settings.encode_authorization_messages
        )

    def handle(
        self, req: sigv4.HttpRequest, peer: Peer, *, inline: bool = False
    ) -> HttpResponse | None:
        """The response; or, with `inline`, None when the request turns out to need
        more than a few reads (a write, a key-use mark): the caller then runs it in
        a thread, where waiting on the database stalls no one."""
        request_id = ids.new_request_id()
        route: Any = None
        audit = RequestAudit(self.recorder, host=_header(req, "host"))
        try:
            claim, claim_error = _try_parse_signature(req)
            route = protocol.route(req, claim.service if claim else None)
            if inline and not is_cheap_read(route.operation.name):
                return None
            if claim is None:
                assert claim_error is not None
                if route.unsigned_allowed:
                    return self._unsigned(route, req, peer, request_id, audit)
                raise claim_error
            now = self.clock.now()
            sigv4.check_time(claim, now)
            sigv4.check_scope(claim, route.service.signing_name)
            # One read transaction serves authentication and, for operations that
            # only read, the operation itself; writes get their own transaction.
            with self.store.reading() as db:
                resolved = self._authenticate(db, claim, now, peer.source_ip)
                if inline and self._key_use_to_note(resolved, now, claim):
                    return None
                ctx = self._context(request_id, resolved, now, claim, route, req, peer)
                audit.begin(ctx)
                params = audit.params = protocol.parse_input(route, req)
                handler = _handler_for(route)
                session_limits.check(ctx.principal, ctx.service, ctx.operation)
                self._check_sts_region(ctx, params)
                read_only = reads_first(ctx.operation)
                if read_only:
                    try:
                        result = handler(audit.watch(self._call(ctx, db)), params)
                    except WriteNeeded:  # a read-mostly operation that must write this time
                        read_only = False
            if not read_only:
                result = self._write(handler, ctx, params, audit)
            else:
                audit.succeeded(None, result)  # a read: batched
            if self._key_use_to_note(resolved, now, claim):
                with self.store.transaction() as db:
                    access_keys.mark_used(db, claim.access_key_id, now, claim.service, claim.region)
            return protocol.serialize_output(route, result, request_id)
        except ErrorWithAftermath as err:
            if inline:
                return None  # its aftermath writes: not on the event loop
            with self.store.transaction() as db:
                err.aftermath(db)
                audit.failed(err, db)
            err.after_commit()
            return protocol.serialize_error(route or req, err, request_id)
        except AwsError as err:
            if self.encode_authorization_messages:
                err = denials.with_encoded_message(self.box, err)
            err = errors.as_service_words_it(err, route.protocol if route else None)
            audit.failed(err)  # with the message the client got
            return protocol.serialize_error(route or req, err, request_id)
        except Exception:  # a bug: never a 500 with a stack trace or an HTML page
            log.exception("internal failure in request %s", request_id)
            return protocol.serialize_error(route or req, errors.internal_failure(), request_id)

    def _write(
        self, handler: Handler, ctx: RequestContext, params: dict[str, Any], audit: RequestAudit
    ) -> Any:
        """The operation in a write transaction, with its record. Two writers that
        raced for the same new row (PostgreSQL's READ COMMITTED: both saw no tag,
        both inserted it) leave one with a unique violation: the operation runs again
        and sees the other's row, as if they had come one after the other; if it keeps
        racing, AWS's ConcurrentModification answers."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with self.store.transaction() as db:
                    result = handler(audit.watch(self._call(ctx, db)), params)
                    audit.succeeded(db, result)  # the change and its record commit together
                return result
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS - 1:
                    log.warning("%s kept racing other writers", ctx.operation)
        raise errors.concurrent_modification()

    def _unsigned(
        self,
        route: protocol.Route,
        req: sigv4.HttpRequest,
        peer: Peer,
        request_id: str,
        audit: RequestAudit,
    ) -> HttpResponse:
        """An operation botocore sends unsigned (AssumeRoleWithWebIdentity,
        AssumeRoleWithSAML): the caller is anonymous; the operation proves who it is
        for by the token or assertion it carries, and authorizes by that alone."""
        ctx = RequestContext(
            request_id=request_id,
            principal=ANONYMOUS,
            now=self.clock.now(),
            region=self.region,
            service=route.service.name,
            operation=route.operation.name,
            source_ip=peer.source_ip,
            user_agent=_header(req, "user-agent"),
            secure_transport=peer.secure,
        )
        audit.begin(ctx)
        params = audit.params = protocol.parse_input(route, req)
        handler = _handler_for(route)
        self._check_sts_region(ctx, params)
        # Read first, as AssumeRole (services/read_mostly.py): the token's keys may
        # be fetched from its issuer meanwhile, and no write lock is held for that.
        if reads_first(ctx.operation):
            try:
                with self.store.reading() as db:
                    result = handler(audit.watch(self._call(ctx, db)), params)
                audit.succeeded(None, result)
                return protocol.serialize_output(route, result, request_id)
            except WriteNeeded:
                pass
        result = self._write(handler, ctx, params, audit)
        return protocol.serialize_output(route, result, request_id)

    def _check_sts_region(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        regions.check(
            self.sts_disabled_regions,
            ctx.service,
            ctx.operation,
            ctx.region,
            params,
            ctx.principal.account_id,
        )

    def _authenticate(
        self, db: Connection, claim: sigv4.SigV4Claim, now: datetime, source_ip: str
    ) -> ResolvedKey:
        if claim.session_token or claim.access_key_id.startswith(ids.PREFIX_TEMP_ACCESS_KEY):
            # Temporary credentials: the token carries the session (auth/session_tokens.py).
            session = resolve_session(self.box, claim.access_key_id, claim.session_token, now)
            if not sigv4.verify(claim, session.secret):
                raise errors.signature_does_not_match()
            return session
        resolved = resolve_access_key(db, self.box, claim.access_key_id)
        matches = sigv4.verify(claim, resolved.secret if resolved else _DUMMY_SECRET)
        if resolved is None:
            revoked = key_use.revoked_key(db, self.box, claim) if self.alarms else None
            if revoked is not None:
                raise self._revoked_key_alarm(revoked, now, source_ip)
            raise errors.invalid_client_token_id()
        if not matches:
            raise errors.signature_does_not_match()
        return resolved

    def _revoked_key_alarm(
        self, revoked: key_use.RevokedKey, now: datetime, source_ip: str
    ) -> ErrorWithAftermath:
        """InvalidClientTokenId, as for any unknown key, with an alarm raised and
        recorded in a transaction of its own, and sent once that has committed."""
        alarms = self.alarms
        assert alarms is not None
        notices: list[Notice] = []
        subject: dict[str, Any] = (
            {"type": "IAMUser", "userName": revoked.user_name}
            if revoked.user_name
            else {"type": "Root"}
        )

        def raise_alarm(db: Connection) -> None:
            notices.extend(
                alarms.key_use(
                    db,
                    revoked.account_id,
                    revoked.access_key_id,
                    revoked.state,
                    now,
                    source_ip,
                    subject,
                )
            )

        return ErrorWithAftermath(
            errors.invalid_client_token_id(), raise_alarm, lambda: alarms.notify(notices)
        )

    def _call(self, ctx: RequestContext, db: Connection) -> Call:
        return Call(ctx=ctx, db=db, enforcer=self.enforcer, box=self.box, settings=self.settings)

    @staticmethod
    def _context(
        request_id: str,
        resolved: ResolvedKey,
        now: datetime,
        claim: sigv4.SigV4Claim,
        route: protocol.Route,
        req: sigv4.HttpRequest,
        peer: Peer,
    ) -> RequestContext:
        return RequestContext(
            request_id=request_id,
            principal=resolved.principal,
            now=now,
            region=claim.region,
            service=route.service.name,
            operation=route.operation.name,
            source_ip=peer.source_ip,
            user_agent=_header(req, "user-agent"),
            secure_transport=peer.secure,
        )

    @staticmethod
    def _key_use_to_note(resolved: ResolvedKey, now: datetime, claim: sigv4.SigV4Claim) -> bool:
        """Whether this request should update the key's last-used facts."""
        key = resolved.key
        if key is None:  # temporary credentials: nothing stored to mark
            return False
        return not (
            key.last_used_at is not None
            and now - key.last_used_at < _LAST_USED_RESOLUTION
            and key.last_used_service == claim.service
            and key.last_used_region == claim.region
        )


def _handler_for(route: protocol.Route) -> Handler:
    service, operation = route.service.name, route.operation.name
    handler = HANDLERS.get((service, operation))
    if handler is None:
        raise errors.not_implemented(service, operation)
    return handler


def _try_parse_signature(
    req: sigv4.HttpRequest,
) -> tuple[sigv4.SigV4Claim | None, AwsError | None]:
    try:
        return sigv4.parse(req), None
    except AwsError as err:
        return None, err


def _header(req: sigv4.HttpRequest, name: str) -> str:
    for key, value in req.headers:
        if key.lower() == name:
            return value
    return ""
