"""The AWS API endpoint: one request in, one response out, through the steps of DESIGN.md.

route -> authenticate (SigV4) -> parse and validate -> the runner (checks, authorize,
act, audit: services/runner.py) -> serialize. Every failure on the way is an AwsError
answered in the called protocol's error shape; anything else is a bug, logged and
answered as InternalFailure without leaking its text.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from gatehold import errors, ids, protocol
from gatehold.audit.alarms import key_use
from gatehold.audit.alarms.service import Alarms
from gatehold.audit.alarms.sinks import Notice
from gatehold.auth import sigv4
from gatehold.auth.credentials import ResolvedKey, resolve_access_key, resolve_session
from gatehold.clock import Clock
from gatehold.config import DEFAULT_REGION
from gatehold.context import ANONYMOUS, RequestContext
from gatehold.errors import AwsError, ErrorWithAftermath
from gatehold.protocol.request import HttpResponse
from gatehold.services.registry import is_cheap_read
from gatehold.services.request_audit import RequestAudit
from gatehold.services.runner import MustNotBlock, OpenRead, Refusal, Runner
from gatehold.store import access_keys

log = logging.getLogger("gatehold.api")

# Signed with when the access key is unknown, so that an unknown key and a wrong
# secret cost the same HMAC work (no timing oracle for which keys exist).
_DUMMY_SECRET = "gatehold-dummy-secret-never-matches-anything0"

# Last-used facts are written at most this often per key: writing on every request
# would put a write lock on the hot path. AWS documents last-used data as approximate.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Peer:
    """Facts about the connection, from the HTTP server."""

    source_ip: str
    secure: bool


class AwsApi:
    def __init__(self, runner: Runner, clock: Clock, *, alarms: Alarms | None = None) -> None:
        # Every operation runs through the runner (services/runner.py), as the
        # console's do: transactions, retries, the audit and error wording are its.
        self.runner = runner
        self.store = runner.store
        self.box = runner.box
        self.clock = clock
        # Alarms for use of a deactivated or deleted key (gatehold/audit/alarms/key_use.py).
        self.alarms = alarms
        settings = runner.settings
        self.region = settings.region if settings else DEFAULT_REGION  # for unsigned calls

    def handle(
        self, req: sigv4.HttpRequest, peer: Peer, *, inline: bool = False
    ) -> HttpResponse | None:
        """The response; or, with `inline`, None when the request turns out to need
        more than a few reads (a write, a key-use mark): the caller then runs it in
        a thread, where waiting on the database stalls no one."""
        request_id = ids.new_request_id()
        route: Any = None
        audit = self.runner.audit(host=_header(req, "host"))
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
            # only read, the operation itself; the runner ends it before any write.
            with ExitStack() as reading:
                db = reading.enter_context(self.store.reading())
                resolved = self._authenticate(db, claim, now, peer.source_ip)
                if inline and self._key_use_to_note(resolved, now, claim):
                    return None
                ctx = self._context(request_id, resolved, now, claim, route, req, peer)
                audit.begin(ctx)
                params = audit.params = protocol.parse_input(route, req)
                open_read = OpenRead(db, reading.close)
                result = self.runner.run(
                    ctx, params, audit, reading=open_read, on_event_loop=inline
                )
            if self._key_use_to_note(resolved, now, claim):
                with self.store.transaction() as db:
                    access_keys.mark_used(db, claim.access_key_id, now, claim.service, claim.region)
            return protocol.serialize_output(route, result, request_id)
        except MustNotBlock:
            return None  # it writes: not on the event loop
        except Refusal as refused:
            return protocol.serialize_error(route or req, refused.error, request_id)
        except AwsError as err:  # before the operation ran: routing, signature, parsing
            try:
                answered = self.runner.refused(
                    err, audit, service=route.service.name if route else None, on_event_loop=inline
                )
            except MustNotBlock:
                return None
            return protocol.serialize_error(route or req, answered, request_id)
        except Exception:  # a bug: never a 500 with a stack trace or an HTML page
            log.exception("internal failure in request %s", request_id)
            return protocol.serialize_error(route or req, errors.internal_failure(), request_id)

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
        for by the token or assertion it carries, and authorizes by that alone. It
        reads first (services/read_mostly.py): the token's keys may be fetched from
        its issuer meanwhile, and no write lock is held for that."""
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
        result = self.runner.run(ctx, params, audit)
        return protocol.serialize_output(route, result, request_id)

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
