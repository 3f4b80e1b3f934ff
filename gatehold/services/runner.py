"""The one way to run an AWS operation, for every surface: the API, the console, and
the access portal and SCIM to come.

    runner = Runner(store, box, enforcer, settings, recorder)
    audit = runner.audit(host=..., from_console=...)
    audit.begin(ctx)
    audit.params = params
    try:
        result = runner.run(ctx, params, audit)
    except Refusal as refused:
        ...refused.error: recorded, worded as the called service words it

What every surface gets from it alike, so that none can differ by accident:
- the checks no policy can lift: the limits of GetSessionToken and
  GetFederationToken credentials (auth/session_limits.py) and the regions where the
  operator deactivated STS (services/sts/regions.py);
- read first: an operation that only reads, or writes only now and then
  (read_mostly.py), runs in a read transaction, taking no write lock; one that
  finds it must write after all is run again from the start in a write transaction;
- write with retry: two writers that raced for the same new row (PostgreSQL's READ
  COMMITTED: both saw no tag, both inserted it) leave one with a unique violation;
  the operation runs again and sees the other's row, as if they had come one after
  the other; if it keeps racing, AWS's ConcurrentModification answers;
- after-rollback effects: an ErrorWithAftermath (a wrong MFA code that must still
  count) runs its aftermath in a transaction of its own, then its after-commit step;
- the audit: a change's record commits with the change, a read's goes to the
  batcher, a refusal's is written after the rollback (services/request_audit.py);
- errors as the called service words them (errors.as_service_words_it), with EC2's
  encoded authorization message when the operator turned that on.

How surfaces really differ is said by named arguments: `validate` (the console
passes Python values; the API's protocol layer has parsed and validated already),
`reading` (the API authenticates in a read transaction and runs a read in it too),
`on_event_loop` (the API answers cheap reads on the event loop and must hand back
anything that would write), `handler` (a console action that is one operation in
AWS but has no API handler here, such as root's EnableMFADevice), and the audit's
`host` and `from_console`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from gatehold import errors
from gatehold.audit.recorder import Recorder
from gatehold.auth import session_limits
from gatehold.authz import denials
from gatehold.config import Settings
from gatehold.context import RequestContext
from gatehold.errors import AwsError, ErrorWithAftermath
from gatehold.protocol import VALIDATION_CODE, get_service
from gatehold.protocol.validate import validate as validate_input
from gatehold.services.call import Call, Enforcer, Handler, Params, Result
from gatehold.services.read_mostly import WriteNeeded
from gatehold.services.registry import HANDLERS, reads_first
from gatehold.services.request_audit import RequestAudit
from gatehold.services.sts import regions
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox

log = logging.getLogger("gatehold.runner")

# How often a write that raced another is tried.
WRITE_ATTEMPTS = 3


class Refusal(Exception):
    """The AWS error a call ends with, already recorded and worded for its client.

    Not an AwsError itself, so that a surface cannot mistake it for one not yet
    recorded (and record it twice)."""

    def __init__(self, error: AwsError) -> None:
        super().__init__(error.code)
        self.error = error


class MustNotBlock(Exception):
    """Raised instead of writing when the caller runs on the event loop: it runs the
    call again in a worker thread. Nothing has been recorded for it."""


@dataclass(frozen=True)
class OpenRead:
    """A read transaction the surface already has open (the API authenticated in it):
    the runner runs a read in it, and ends it before it writes anything, so no write
    transaction is ever taken while a read one is held."""

    db: Connection
    end: Callable[[], None]


@dataclass(frozen=True)
class Step:
    """One operation of several run together (Runner.run_all)."""

    ctx: RequestContext
    params: Params
    audit: RequestAudit


class Runner:
    def __init__(
        self,
        store: Store,
        box: SecretBox,
        enforcer: Enforcer,
        settings: Settings | None,
        recorder: Recorder,
    ) -> None:
        self.store = store
        self.box = box
        self.enforcer = enforcer
        # Operations that depend on the operator's settings get them on their Call.
        self.settings = settings
        self.recorder = recorder
        self.sts_disabled_regions = regions.parse(settings.sts_disabled_regions if settings else "")
        # Policy denials carry EC2's encoded message (authz/denials.py).
        self.encode_denials = bool(settings and settings.encode_authorization_messages)

    def audit(self, *, host: str | None = None, from_console: bool = False) -> RequestAudit:
        """A new call's audit: `host` is the Host header the client sent (CloudTrail's
        tlsDetails), `from_console` marks a call the console made for its user."""
        return RequestAudit(self.recorder, host=host, from_console=from_console)

    # ---- one operation ---------------------------------------------------------------

    def run(
        self,
        ctx: RequestContext,
        params: Params,
        audit: RequestAudit,
        *,
        validate: bool = False,
        reading: OpenRead | None = None,
        on_event_loop: bool = False,
        handler: Handler | None = None,
    ) -> Result:
        """Run `ctx.operation` as `ctx.principal`; Refusal with the AWS error it ends
        with. `audit` has begun (audit.begin(ctx)) and holds `params`."""
        try:
            run = handler or self._handler(ctx, params, validate=validate)
            self._check(ctx, params)
            if reads_first(ctx.operation):
                try:
                    result, call = self._read(run, ctx, params, audit, reading)
                except WriteNeeded:  # a read-mostly operation that must write this time
                    pass
                else:
                    if call.recorded:
                        audit.succeeded(None, result)  # a read: batched
                    return result
            if on_event_loop:
                raise MustNotBlock
            _end(reading)
            return self._write(run, ctx, params, audit)
        except ErrorWithAftermath as err:
            if on_event_loop:
                raise MustNotBlock from None
            _end(reading)
            raise Refusal(self._settle(err, audit)) from None
        except AwsError as err:
            _end(reading)
            raise Refusal(self._answer(err, audit, ctx.service)) from None

    def refused(
        self,
        err: AwsError,
        audit: RequestAudit,
        *,
        service: str | None,
        on_event_loop: bool = False,
    ) -> AwsError:
        """An error met before the operation ran (authentication, routing, parsing),
        recorded and worded as run() would; `service` None when it is not known."""
        if isinstance(err, ErrorWithAftermath):
            if on_event_loop:
                raise MustNotBlock
            return self._settle(err, audit)
        return self._answer(err, audit, service)

    # ---- several operations, all or nothing -----------------------------------------

    def run_all(self, steps: Sequence[Step], *, validate: bool = False) -> list[Result]:
        """Several operations in one write transaction, all or nothing (a console
        form that needs two API calls changes nothing when the second is refused).
        Each has its own record, rolled back with the rest if a later one fails; the
        refused one's is written after the rollback. Retried as a whole after a race."""
        handlers = []
        for step in steps:
            try:
                handlers.append(self._handler(step.ctx, step.params, validate=validate))
                self._check(step.ctx, step.params)
            except AwsError as err:
                raise Refusal(self._answer(err, step.audit, step.ctx.service)) from None
        for attempt in range(WRITE_ATTEMPTS):
            current: Step | None = None
            try:
                with self.store.transaction() as db:
                    results = []
                    for handler, step in zip(handlers, steps, strict=True):
                        current = step
                        call = self._call(step.ctx, db, step.audit)
                        result = handler(call, step.params)
                        if call.recorded:
                            step.audit.succeeded(db, result)
                        results.append(result)
                    return results
            except IntegrityError:
                if attempt == WRITE_ATTEMPTS - 1:
                    log.warning("%s kept racing other writers", steps[-1].ctx.operation)
            except ErrorWithAftermath as err:
                assert current is not None
                raise Refusal(self._settle(err, current.audit)) from None
            except AwsError as err:
                assert current is not None
                raise Refusal(self._answer(err, current.audit, current.ctx.service)) from None
        last = steps[-1]
        raise Refusal(self._answer(errors.concurrent_modification(), last.audit, last.ctx.service))

    # ---- the parts -------------------------------------------------------------------

    def _handler(self, ctx: RequestContext, params: Params, *, validate: bool) -> Handler:
        handler = HANDLERS.get((ctx.service, ctx.operation))
        if handler is None:
            raise errors.not_implemented(ctx.service, ctx.operation)
        if validate:
            spec = get_service(ctx.service)
            model = spec.operation(ctx.operation)
            if model is None:
                raise errors.not_implemented(ctx.service, ctx.operation)
            validate_input(params, model.input_shape, VALIDATION_CODE[spec.protocol])
        return handler

    def _check(self, ctx: RequestContext, params: Params) -> None:
        """What no policy can lift: the session's own limits and STS's regions."""
        session_limits.check(ctx.principal, ctx.service, ctx.operation)
        regions.check(
            self.sts_disabled_regions,
            ctx.service,
            ctx.operation,
            ctx.region,
            params,
            ctx.principal.account_id,
        )

    def _call(self, ctx: RequestContext, db: Connection, audit: RequestAudit) -> Call:
        """What the handler is handed, its audit facts fresh for this attempt."""
        call = Call(ctx=ctx, db=db, enforcer=self.enforcer, box=self.box, settings=self.settings)
        return audit.watch(call)

    def _read(
        self,
        handler: Handler,
        ctx: RequestContext,
        params: Params,
        audit: RequestAudit,
        reading: OpenRead | None,
    ) -> tuple[Result, Call]:
        if reading is not None:
            call = self._call(ctx, reading.db, audit)
            return handler(call, params), call
        with self.store.reading() as db:
            call = self._call(ctx, db, audit)
            return handler(call, params), call

    def _write(
        self, handler: Handler, ctx: RequestContext, params: Params, audit: RequestAudit
    ) -> Result:
        """The operation in a write transaction, with its record (they commit together),
        run again after a lost race (the module's docstring)."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.store.transaction() as db:
                    call = self._call(ctx, db, audit)
                    result = handler(call, params)
                    if call.recorded:  # the change and its record commit together
                        audit.succeeded(db, result)
                return result
            except IntegrityError:
                if attempt == WRITE_ATTEMPTS - 1:
                    log.warning("%s kept racing other writers", ctx.operation)
        raise errors.concurrent_modification()

    def _settle(self, err: ErrorWithAftermath, audit: RequestAudit) -> AwsError:
        """The error's aftermath and its record in a transaction of their own (the
        operation's was rolled back), then what may only leave once that committed."""
        with self.store.transaction() as db:
            err.aftermath(db)
            audit.failed(err, db)
        err.after_commit()
        return err

    def _answer(self, err: AwsError, audit: RequestAudit, service: str | None) -> AwsError:
        """`err` as the client gets it, recorded with the message the client got."""
        if self.encode_denials:
            err = denials.with_encoded_message(self.box, err)
        err = errors.as_service_words_it(err, get_service(service).protocol if service else None)
        audit.failed(err)
        return err


def _end(reading: OpenRead | None) -> None:
    if reading is not None:
        reading.end()
