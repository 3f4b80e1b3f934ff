"""The log rows of API calls, the repeated ones from templates.

Most read-only calls repeat: the same caller, from the same address and client,
asks the same thing again and again (a CI job's GetCallerIdentity, a dashboard's
polling). Their records differ only in eventTime, requestID and eventID, so the
recorder's batcher builds such a record once, keeps its JSON cut around those three
values, and makes each repeat by joining the pieces with the new values: a fraction
of building the record's dicts, identity and parameters anew (bench/README.md,
audit_cost.py, has what it saved).

What may repeat is decided by `_key`: everything `records.api_call` reads, except
the three values, is in the key, so a repeat's record is byte for byte the record
`records.api_call` would have built (tests/unit/audit/test_call_rows.py checks it).
Only read-only calls without handler facts qualify; changes (whose
responseElements differ every time) and calls with facts are built in full.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta

import orjson

from gatehold.audit import log, records
from gatehold.audit.records import ApiCall
from gatehold.store.audit_rows import Row, second_text

# Stand-ins for the three values while a template is made: random per process, so
# no text a caller sends can be mistaken for one.
_MARK = secrets.token_hex(12)
_TIME = f"{_MARK}:eventTime"
_REQUEST = f"{_MARK}:requestID"
_EVENT = f"{_MARK}:eventID"
_ORDER = (_TIME, _REQUEST, _EVENT)  # the order records.api_call writes them in

# Templates kept per process; past this the cache starts over (a burst of distinct
# calls costs one full build each, never unbounded memory).
CACHE_LIMIT = 4096
_UNMADE = object()


class Template:
    """A record's JSON cut around its three changing values, and its row's columns."""

    __slots__ = ("pieces", "row")

    def __init__(self, pieces: tuple[bytes, bytes, bytes, bytes], row: Row) -> None:
        self.pieces = pieces  # the JSON around eventTime, requestID and eventID
        self.row = row  # the row's columns (event_id, event_time and record are replaced)

    def fill(self, at: datetime, request_id: str) -> Row:
        """The row of the call this template is for, made at `at` as `request_id`."""
        event_time, exact, ms = times(at)
        event_id = records.new_event_id(ms)
        p = self.pieces
        record = b"".join(
            (
                p[0],
                event_time.encode(),
                p[1],
                orjson.dumps(request_id),
                p[2],
                event_id.encode(),
                p[3],
            )
        )
        r = self.row
        return (event_id, r[1], exact, r[3], r[4], r[5], r[6], r[7], r[8], r[9], record)


def times(at: datetime) -> tuple[str, str, int]:
    """A call's moment as its record and row carry it: eventTime (whole seconds, Z),
    the row's exact time (audit_rows.text_time's text) and the Unix time in ms (for the
    eventID)."""
    us = (at - _EPOCH) // _US
    whole, fraction = divmod(us, 1_000_000)
    second = second_text(whole)
    return f"{second[:10]}T{second[11:]}Z", f"{second}.{fraction:06d}", us // 1000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class CallRows:
    """Rows of calls, with a cache of templates (one per recorder; a plain dict, as
    the batcher is its only regular user and a lost race only builds twice)."""

    def __init__(self, limit: int = CACHE_LIMIT) -> None:
        self._limit = limit
        self._templates: dict[Hashable, Template | None] = {}

    def template(self, call: ApiCall) -> Template | None:
        """The template `call` repeats, if one is made (None: not yet, or never).
        Cheap enough for the request's own path: a key and a dict lookup."""
        key = _key(call)
        return self._templates.get(key) if key is not None else None

    def row(self, call: ApiCall) -> Row | None:
        """The row of `call`: from its template, made now if it is the first of its
        kind."""
        key = _key(call)
        if key is None:
            return built(call)
        template = self._templates.get(key, _UNMADE)
        if template is _UNMADE:
            if len(self._templates) >= self._limit:
                self._templates.clear()
            template = self._templates[key] = _template(call)
        if not isinstance(template, Template):  # its record does not cut into a template
            return built(call)
        return template.fill(call.ctx.now, call.ctx.request_id)


def built(call: ApiCall) -> Row | None:
    """The row of `call`, its record built in full."""
    res = records.resources_of(call.ctx.operation, call.params, call.facts)
    record = records.api_call(call, resources=res)
    return log.row(record, res, call.ctx.now)


def _key(call: ApiCall) -> Hashable | None:
    """What the record of `call` is made of, but for its three changing values; None
    for a call that is never templated."""
    facts = call.facts
    if not call.read_only or (facts is not None and not facts.empty):
        return None
    ctx = call.ctx
    if not ctx.principal.account_id:
        return None  # the record's account would come from the call's result
    try:
        params = orjson.dumps(call.params)
    except TypeError:  # something JSON does not carry as it is (bytes): build in full
        return None
    p = ctx.principal
    return (
        # The principal's fields rather than the principal: a tuple of strings hashes
        # and compares in C (a dataclass's __hash__ and __eq__ run Python code).
        p.kind.value,
        p.account_id,
        p.arn,
        p.user_id,
        p.user_name,
        p.access_key_id,
        p.session,
        ctx.service,
        ctx.operation,
        ctx.region,
        ctx.source_ip,
        ctx.user_agent,
        ctx.secure_transport,
        call.host,
        call.from_console,
        call.error_code,
        call.error_message,
        params,
    )


def _template(call: ApiCall) -> Template | None:
    res = records.resources_of(call.ctx.operation, call.params, call.facts)
    record = records.api_call(call, event_id=_EVENT, resources=res)
    record["eventTime"] = _TIME
    record["requestID"] = _REQUEST
    row = log.row(record, res, call.ctx.now)
    if row is None:
        return None
    data = row[10]
    pieces: list[bytes] = []
    rest = data
    for mark in _ORDER:
        quoted = orjson.dumps(mark)
        before, found, rest = rest.partition(quoted)
        if not found or quoted in rest:
            return None
        pieces.append(before + b'"')
        rest = b'"' + rest
    pieces.append(rest)
    # eventTime and eventID are written unescaped (their text never needs escaping);
    # requestID goes in as a JSON string, so its piece boundaries drop the quotes.
    pieces[1] = pieces[1][:-1]
    pieces[2] = pieces[2][1:]
    return Template((pieces[0], pieces[1], pieces[2], pieces[3]), row)
