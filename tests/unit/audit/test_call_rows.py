"""audit/call_rows.py: a record made from a template is the record records.api_call
builds, byte for byte, for every kind of call that may repeat; and calls that
differ in anything but time, request ID and event ID never share a template."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from gatehold.audit import call_rows, log, records
from gatehold.audit.call_rows import CallRows
from gatehold.audit.records import ApiCall, AuditFacts
from gatehold.context import Principal, PrincipalKind, RequestContext, SessionFacts
from gatehold.services.request_audit import _shapes
from gatehold.store import audit_rows

NOW = datetime(2026, 1, 2, 15, 4, 5, 123456, tzinfo=UTC)
ACCOUNT = "111122223333"
USER = Principal(
    PrincipalKind.USER, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice", "AIDAX", "alice", "AKIAX"
)
ROLE_SESSION = Principal(
    PrincipalKind.ASSUMED_ROLE,
    ACCOUNT,
    f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/alice",
    "AROAX:alice",
    None,
    "ASIAX",
    SessionFacts(
        issued_at=NOW - timedelta(minutes=5),
        expires_at=NOW + timedelta(hours=1),
        role_id="AROAX",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/ops",
        session_name="alice",
        mfa_at=NOW - timedelta(minutes=5),
        source_identity="alice@example.com",
    ),
)
ROOT = Principal(
    PrincipalKind.ROOT, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, None, "AKIAROOT"
)


def _call(
    principal: Principal = USER,
    service: str = "sts",
    operation: str = "GetCallerIdentity",
    params: dict[str, Any] | None = None,
    **fields: Any,
) -> ApiCall:
    ctx_fields = {
        k: fields.pop(k)
        for k in ("user_agent", "source_ip", "secure_transport", "region")
        if k in fields
    }
    ctx = RequestContext(
        request_id=fields.pop("request_id", "8f2f0c3e-0000-4000-8000-000000000001"),
        principal=principal,
        now=fields.pop("now", NOW),
        region=ctx_fields.get("region", "us-east-1"),
        service=service,
        operation=operation,
        source_ip=ctx_fields.get("source_ip", "192.0.2.1"),
        user_agent=ctx_fields.get("user_agent", "aws-cli/2.15.0 Python/3.11"),
        secure_transport=ctx_fields.get("secure_transport", False),
    )
    input_shape, output_shape = _shapes(service, operation)
    return ApiCall(
        ctx=ctx,
        read_only=fields.pop("read_only", True),
        params={} if params is None else params,
        facts=fields.pop("facts", AuditFacts()),
        input_shape=input_shape,
        output_shape=output_shape,
        **fields,
    )


def _again(call: ApiCall, seconds: float, request_id: str) -> ApiCall:
    """The same call made later, with another request ID."""
    ctx = dataclasses.replace(
        call.ctx, now=call.ctx.now + timedelta(seconds=seconds), request_id=request_id
    )
    return dataclasses.replace(call, ctx=ctx)


def _expected(call: ApiCall, event_id: str) -> audit_rows.Row:
    res = records.resources_of(call.ctx.operation, call.params, call.facts)
    row = log.row(records.api_call(call, event_id=event_id, resources=res), res, call.ctx.now)
    assert row is not None
    return row


KINDS = {
    "user": _call(),
    "role session, tls": _call(ROLE_SESSION, secure_transport=True, host="gatehold.example"),
    "root": _call(ROOT),
    "iam read with a resource": _call(
        service="iam", operation="GetUser", params={"UserName": "bob"}
    ),
    "denied": _call(
        service="iam",
        operation="ListUsers",
        error_code="AccessDenied",
        error_message='User: x is not authorized to perform: iam:ListUsers because "no"',
    ),
    "console": _call(service="iam", operation="ListRoles", from_console=True),
    "text that needs escaping": _call(
        user_agent='agent "quoted" \\ \u00e9\u4e2d\U0001f600', request_id='id-with-"quote"'
    ),
    "a timestamp parameter": _call(
        service="cloudtrail",
        operation="LookupEvents",
        params={"StartTime": NOW - timedelta(days=1)},
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_repeat_is_the_record_built_in_full(kind: str) -> None:
    rows = CallRows()
    first = KINDS[kind]
    made = rows.row(first)
    assert made is not None
    assert made == _expected(first, made[0])
    for n in range(1, 4):
        repeat = _again(first, n * 1.000731, f"request-{n}")
        again = rows.row(repeat)
        assert again is not None
        assert again == _expected(repeat, again[0])
        record = orjson.loads(again[10])
        assert record["requestID"] == f"request-{n}"
        assert record["eventTime"] == records.event_time(repeat.ctx.now)
        assert record["eventID"] == again[0] != made[0]


def test_calls_that_differ_get_their_own_records() -> None:
    # One cache, calls alike but for one fact each: none may come out as another.
    base = _call(service="iam", operation="GetUser", params={"UserName": "bob"})
    variants = [
        base,
        _call(service="iam", operation="GetUser", params={"UserName": "carol"}),
        _call(ROLE_SESSION, service="iam", operation="GetUser", params={"UserName": "bob"}),
        _call(
            service="iam", operation="GetUser", params={"UserName": "bob"}, source_ip="198.51.100.7"
        ),
        _call(
            service="iam", operation="GetUser", params={"UserName": "bob"}, user_agent="boto3/1.35"
        ),
        _call(
            service="iam",
            operation="GetUser",
            params={"UserName": "bob"},
            error_code="NoSuchEntity",
            error_message="The user with name bob cannot be found.",
        ),
        _call(service="iam", operation="GetUser", params={"UserName": "bob"}, from_console=True),
        _call(
            service="iam",
            operation="GetUser",
            params={"UserName": "bob"},
            secure_transport=True,
            host="a.example",
        ),
        _call(
            service="iam",
            operation="GetUser",
            params={"UserName": "bob"},
            secure_transport=True,
            host="b.example",
        ),
    ]
    rows = CallRows()
    for _ in range(2):
        for call in variants:
            made = rows.row(call)
            assert made is not None and made == _expected(call, made[0])


def test_changes_and_calls_with_facts_are_built_in_full() -> None:
    facts = AuditFacts(
        additional_event_data={"x": "1"}, resources=[("AWS::IAM::Role", "arn:aws:iam::1:role/r")]
    )
    for call in (
        _call(
            service="iam",
            operation="CreateUser",
            params={"UserName": "bob"},
            read_only=False,
            result={"User": {"UserName": "bob"}},
        ),
        _call(facts=facts),
    ):
        assert call_rows._key(call) is None
        made = CallRows().row(call)
        assert made is not None and made == _expected(call, made[0])


def test_the_cache_starts_over_at_its_limit() -> None:
    rows = CallRows(limit=3)
    for n in range(10):
        call = _call(service="iam", operation="GetUser", params={"UserName": f"user{n}"})
        made = rows.row(call)
        assert made is not None and made == _expected(call, made[0])
        assert len(rows._templates) <= 3


def test_event_ids_carry_the_calls_millisecond() -> None:
    call = _call(now=datetime(2026, 1, 2, 15, 4, 5, 123999, tzinfo=UTC))
    made = CallRows().row(call)
    assert made is not None
    assert int(made[0].replace("-", "")[:12], 16) == records.unix_ms(call.ctx.now)
    assert records.unix_ms(datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)) == 1


@pytest.mark.parametrize(
    "at",
    [
        NOW,
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 1, 2, 3, 5, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_times_are_the_records_and_the_rows(at: datetime) -> None:
    assert call_rows.times(at) == (
        records.event_time(at),
        audit_rows.text_time(at),
        records.unix_ms(at),
    )
