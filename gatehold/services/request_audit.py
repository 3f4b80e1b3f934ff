"""The audit's view of one API request (or one console-made call), filled in as the
request goes, so the request pipeline needs one line per step and no audit logic:

    audit = RequestAudit(recorder, host=..., from_console=False)
    audit.begin(ctx)                     # once the caller is known
    audit.params = params                # once the input parsed
    call = audit.watch(Call(...))        # handlers write AuditFacts to call.audit
    result = handler(call, params)
    audit.succeeded(db, result)          # db: the write transaction (None: a read)
    ...
    except AwsError as err:
        audit.failed(err)                # or failed(err, db) inside a transaction

Which transaction a record goes in (recorder.py): a change's record in the change's
own transaction; a read's record (success or failure) to the batcher; a failed
write's record in a transaction of its own, after the rollback — so nothing that
did not happen is ever recorded as having happened.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from gatehold.audit.recorder import Recorder
from gatehold.audit.records import ApiCall, AuditFacts
from gatehold.context import RequestContext
from gatehold.errors import AwsError
from gatehold.services.call import Call
from gatehold.services.registry import is_read_only

_log = logging.getLogger("gatehold.audit")


class RequestAudit:
    def __init__(self, recorder: Recorder, *, host: str | None = None, from_console: bool = False):
        self.recorder = recorder
        self.host = host
        self.from_console = from_console
        self.ctx: RequestContext | None = None
        self.params: dict[str, Any] | None = None
        self.facts = AuditFacts()
        self.read_only = True

    def begin(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.read_only = is_read_only(ctx.operation)

    def watch(self, call: Call) -> Call:
        """`call`, sharing this request's AuditFacts with its handler. Each call is
        one attempt (a read-first operation run again to write, a write retried after
        a race): the facts start afresh, so a record never carries what an attempt
        that was thrown away had noted."""
        self.facts = AuditFacts()
        call.audit = self.facts
        return call

    def _call(self, result: Any = None, err: AwsError | None = None) -> ApiCall:
        # Only the facts, on the request path: the record (dicts, JSON) is built by
        # whoever stores it, for reads the batcher thread (recorder.py).
        assert self.ctx is not None
        input_shape, output_shape = _shapes(self.ctx.service, self.ctx.operation)
        facts: AuditFacts | None = self.facts
        if self.read_only and self.ctx.principal.account_id:
            # A read's record has no responseElements and a signed caller's account:
            # nothing in it comes from the result, so the queue need not keep it
            # (nor empty facts): fewer objects kept alive, less for the GC to chase.
            result = None
            if self.facts.empty:
                facts = None
        return ApiCall(
            ctx=self.ctx,
            read_only=self.read_only,
            params=self.params,
            result=result,
            error_code=err.code if err else None,
            error_message=err.message if err else None,
            facts=facts,
            host=self.host,
            from_console=self.from_console,
            input_shape=input_shape,
            output_shape=output_shape,
        )

    def succeeded(self, db: Connection | None, result: Any) -> None:
        """After the handler returned: in `db` (the write transaction) or batched."""
        if self.ctx is None or not self.recorder.enabled:
            return
        if db is not None:
            self.recorder.api_call_now(db, self._call(result))
        else:
            self.recorder.later(self._call(result))

    def failed(self, err: AwsError, db: Connection | None = None) -> None:
        """After the handler (or parsing, or authorization) raised."""
        if self.ctx is None or not self.recorder.enabled:
            return
        call = self._call(err=err)
        if db is not None:
            self.recorder.api_call_now(db, call)
        elif self.read_only:
            self.recorder.later(call)
        else:
            try:
                with self.recorder.store.transaction() as own:
                    self.recorder.api_call_now(own, call)
            except SQLAlchemyError:
                # The caller still gets the AWS error it earned, not an internal failure;
                # the lost record is logged (a database that refuses a write now would
                # have refused the change too, so no change goes unrecorded).
                _log.exception("audit record of a failed %s not stored", call.ctx.operation)


# (service, operation) -> botocore's (input shape, output shape): looked up once per
# operation, not on every call.
_SHAPES: dict[tuple[str, str], tuple[Any, Any]] = {}


def _shapes(service: str, operation: str) -> tuple[Any, Any]:
    found = _SHAPES.get((service, operation))
    if found is None:
        model = _model(service, operation)
        found = (model.input_shape, model.output_shape) if model else (None, None)
        _SHAPES[(service, operation)] = found
    return found


def _model(service: str, operation: str) -> Any:
    from gatehold.protocol import get_service

    try:
        return get_service(service).operation(operation)
    except KeyError:  # an unknown service: no shapes, the explicit redactions still apply
        return None
