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

from gatehold import errors, ids, protocol
from gatehold.auth import session_limits, sigv4
from gatehold.auth.credentials import ResolvedKey, resolve_access_key, resolve_session
from gatehold.clock import Clock
from gatehold.context import ANONYMOUS, RequestContext
from gatehold.errors import AwsError, ErrorWithAftermath
from gatehold.protocol.request import HttpResponse
from gatehold.services.call import Call, Enforcer, Handler
from gatehold.services.registry import HANDLERS, is_cheap_read, is_read_only
from gatehold.store import access_keys
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox

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
    def __init__(
        self,
        store: Store,
        box: SecretBox,
        clock: Clock,
        enforcer: Enforcer,
        region: str = "us-east-1",
    ) -> None:
        self.region = region  # for unsigned calls, which name no region
        self.store = store
        self.box = box
        self.clock = clock
        self.enforcer = enforcer

    def handle(
        self, req: sigv4.HttpRequest, peer: Peer, *, inline: bool = False
    ) -> HttpResponse | None:
        """The response; or, with `inline`, None when the request turns out to need
        more than a few reads (a write, a key-use mark): the caller then runs it in
        a thread, where waiting on the database stalls no one."""
        request_id = ids.new_request_id()
        route: Any = None
        try:
            claim, claim_error = _try_parse_signature(req)
            route = protocol.route(req, claim.service if claim else None)
            if inline and not is_cheap_read(route.operation.name):
                return None
            if claim is None:
                assert claim_error is not None
                if route.unsigned_allowed:
                    return self._unsigned(route, req, peer, request_id)
                raise claim_error
            now = self.clock.now()
            sigv4.check_time(claim, now)
            sigv4.check_scope(claim, route.service.signing_name)
            # One read transaction serves authentication and, for operations that
            # only read, the operation itself; writes get their own transaction.
            with self.store.reading() as db:
                resolved = self._authenticate(db, claim, now)
                if inline and self._key_use_to_note(resolved, now, claim):
                    return None
                params = protocol.parse_input(route, req)
                handler = _handler_for(route)
                ctx = self._context(request_id, resolved, now, claim, route, req, peer)
                session_limits.check(ctx.principal, ctx.service, ctx.operation)
                read_only = is_read_only(ctx.operation)
                if read_only:
                    result = handler(self._call(ctx, db), params)
            if not read_only:
                with self.store.transaction() as db:
                    result = handler(self._call(ctx, db), params)
            if self._key_use_to_note(resolved, now, claim):
                with self.store.transaction() as db:
                    access_keys.mark_used(db, claim.access_key_id, now, claim.service, claim.region)
            return protocol.serialize_output(route, result, request_id)
        except ErrorWithAftermath as err:
            with self.store.transaction() as db:
                err.aftermath(db)
            return protocol.serialize_error(route or req, err, request_id)
        except AwsError as err:
            return protocol.serialize_error(route or req, err, request_id)
        except Exception:  # a bug: never a 500 with a stack trace or an HTML page
            log.exception("internal failure in request %s", request_id)
            return protocol.serialize_error(route or req, errors.internal_failure(), request_id)

    def _unsigned(
        self, route: protocol.Route, req: sigv4.HttpRequest, peer: Peer, request_id: str
    ) -> HttpResponse:
        """An operation botocore sends unsigned (AssumeRoleWithWebIdentity,
        AssumeRoleWithSAML): the caller is anonymous; the operation proves who it is
        for by the token or assertion it carries, and authorizes by that alone."""
        params = protocol.parse_input(route, req)
        handler = _handler_for(route)
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
        with self.store.transaction() as db:
            result = handler(self._call(ctx, db), params)
        return protocol.serialize_output(route, result, request_id)

    def _authenticate(self, db: Connection, claim: sigv4.SigV4Claim, now: datetime) -> ResolvedKey:
        if claim.session_token or claim.access_key_id.startswith(ids.PREFIX_TEMP_ACCESS_KEY):
            # Temporary credentials: the token carries the session (auth/session_tokens.py).
            session = resolve_session(self.box, claim.access_key_id, claim.session_token, now)
            if not sigv4.verify(claim, session.secret):
                raise errors.signature_does_not_match()
            return session
        resolved = resolve_access_key(db, self.box, claim.access_key_id)
        matches = sigv4.verify(claim, resolved.secret if resolved else _DUMMY_SECRET)
        if resolved is None:
            raise errors.invalid_client_token_id()
        if not matches:
            raise errors.signature_does_not_match()
        return resolved

    def _call(self, ctx: RequestContext, db: Connection) -> Call:
        return Call(ctx=ctx, db=db, enforcer=self.enforcer, box=self.box)

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
