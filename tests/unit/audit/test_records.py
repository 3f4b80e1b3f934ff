"""audit/records.py and signin_records.py, pure: member names, redaction of every
secret botocore models, timestamps, userIdentity by principal type and sign-in
events (CloudTrail User Guide shapes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from gatehold.audit import records, signin_records
from gatehold.context import Principal, PrincipalKind, RequestContext, SessionFacts
from gatehold.protocol import get_service

NOW = datetime(2026, 1, 2, 15, 4, 5, 123456, tzinfo=UTC)
SECRET = "s3cr3t-value-that-must-never-appear"


def _ctx(
    principal: Principal, operation: str = "CreateUser", service: str = "iam"
) -> RequestContext:
    return RequestContext(
        request_id="req-1",
        principal=principal,
        now=NOW,
        region="eu-west-1",
        service=service,
        operation=operation,
        source_ip="192.0.2.1",
        user_agent="ua",
        secure_transport=False,
    )


USER = Principal(
    PrincipalKind.USER,
    "111122223333",
    "arn:aws:iam::111122223333:user/alice",
    "AIDAX",
    "alice",
    "AKIAX",
)


def _filled(shape: Any, *, secret: bool = False, depth: int = 0) -> Any:
    """A value for every member of `shape`: SECRET in every string under a member
    botocore marks sensitive (or that carries a code or token botocore does not
    mark), "x" elsewhere."""
    secret = secret or bool(shape.metadata.get("sensitive"))
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        return {
            name: _filled(member, secret=secret or name in records.ALWAYS_REDACTED, depth=depth + 1)
            for name, member in shape.members.items()
        }
    if kind == "list":
        return [_filled(shape.member, secret=secret, depth=depth + 1)]
    if kind == "map":
        return {"k": _filled(shape.value, secret=secret, depth=depth + 1)}
    if kind in ("integer", "long"):
        return 1
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return NOW
    if kind == "blob":
        return SECRET.encode() if secret else b"x"
    return SECRET if secret else "x"


def _sensitive_paths(shape: Any, path: str = "", depth: int = 0) -> list[str]:
    found = []
    if shape.metadata.get("sensitive") or path.rsplit(".", 1)[-1] in records.ALWAYS_REDACTED:
        return [path]
    if shape.type_name == "structure" and depth < 6:
        for name, member in shape.members.items():
            found += _sensitive_paths(member, f"{path}.{name}", depth + 1)
    elif shape.type_name == "list":
        found += _sensitive_paths(shape.member, path, depth + 1)
    return found


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_no_secret_member_survives_scrub(service: str) -> None:
    spec = get_service(service)
    checked = 0
    for name in sorted(spec.operation_names):
        op = spec.operation(name)
        assert op is not None
        for shape in (op.input_shape, op.output_shape):
            if shape is None or not _sensitive_paths(shape):
                continue
            checked += 1
            text = repr(records.scrub(_filled(shape), shape))
            assert SECRET not in text, (name, _sensitive_paths(shape), text)
    assert checked >= 10


def test_scrub_writes_cloudtrails_member_names_and_java_times() -> None:
    op = get_service("iam").operation("CreateUser")
    assert op is not None
    out = records.scrub({"User": {"UserName": "bob", "CreateDate": NOW}}, op.output_shape)
    assert out == {"user": {"userName": "bob", "createDate": "Jan 2, 2026, 3:04:05 PM"}}
    assert records.scrub({"SAMLProviderArn": "arn"}, None) == {"sAMLProviderArn": "arn"}
    assert records.scrub({"AuthenticationCode1": "123456", "TokenCode": "1"}, None) == {}


def test_api_call_record() -> None:
    call = records.ApiCall(
        ctx=_ctx(USER),
        read_only=False,
        params={"UserName": "bob"},
        result={"User": {"UserName": "bob"}},
    )
    r = records.api_call(call, "e-1")
    assert r["eventTime"] == "2026-01-02T15:04:05Z"
    assert r["awsRegion"] == "us-east-1"  # IAM is global, whatever the signing region
    assert r["userIdentity"] == {
        "type": "IAMUser",
        "principalId": "AIDAX",
        "arn": "arn:aws:iam::111122223333:user/alice",
        "accountId": "111122223333",
        "accessKeyId": "AKIAX",
        "userName": "alice",
    }
    assert r["requestParameters"] == {"userName": "bob"}
    assert r["responseElements"] == {"user": {"userName": "bob"}}
    assert (r["eventID"], r["requestID"], r["readOnly"]) == ("e-1", "req-1", False)
    denied = records.api_call(
        records.ApiCall(
            ctx=_ctx(USER),
            read_only=False,
            params={"UserName": "bob"},
            error_code="AccessDenied",
            error_message="no",
        )
    )
    assert (denied["errorCode"], denied["errorMessage"], denied["responseElements"]) == (
        "AccessDenied",
        "no",
        None,
    )
    sts = records.api_call(
        records.ApiCall(ctx=_ctx(USER, "GetCallerIdentity", "sts"), read_only=True)
    )
    assert sts["awsRegion"] == "eu-west-1" and sts["eventSource"] == "sts.amazonaws.com"


def test_assumed_role_identity_with_web_identity_federation() -> None:
    facts = SessionFacts(
        issued_at=NOW,
        expires_at=NOW,
        role_id="AROAX",
        role_arn="arn:aws:iam::111122223333:role/path/deploy",
        session_name="s",
        mfa_at=NOW,
        source_identity="alice@example.com",
        federated_provider="token.example.com",
    )
    p = Principal(
        PrincipalKind.ASSUMED_ROLE,
        "111122223333",
        "arn:aws:sts::111122223333:assumed-role/deploy/s",
        "AROAX:s",
        None,
        "ASIAX",
        facts,
    )
    identity = records.user_identity(p)
    assert identity["type"] == "AssumedRole"
    ctx = identity["sessionContext"]
    assert ctx["sessionIssuer"]["userName"] == "deploy"
    assert ctx["attributes"] == {"creationDate": "2026-01-02T15:04:05Z", "mfaAuthenticated": "true"}
    assert ctx["webIdFederationData"]["federatedProvider"] == "token.example.com"
    assert ctx["sourceIdentity"] == "alice@example.com"


def test_sign_in_records() -> None:
    known = signin_records.SignInSubject(
        "111122223333",
        user_id="AIDAX",
        user_name="alice",
        arn="arn:aws:iam::111122223333:user/alice",
    )
    ok = signin_records.sign_in(
        signin_records.SignIn(
            "ConsoleLogin",
            known,
            NOW,
            "192.0.2.1",
            "ua",
            additional=signin_records.login_data("/c", mfa_used=False),
        )
    )
    assert ok["responseElements"] == {"ConsoleLogin": "Success"}
    assert ok["additionalEventData"] == {"LoginTo": "/c", "MobileVersion": "No", "MFAUsed": "No"}
    assert ok["userIdentity"]["arn"].endswith("user/alice")
    failed = signin_records.sign_in(
        signin_records.SignIn("ConsoleLogin", known, NOW, "", "", success=False)
    )
    assert failed["errorMessage"] == "Failed authentication" and "arn" not in failed["userIdentity"]
    hidden = signin_records.sign_in(
        signin_records.SignIn(
            "ConsoleLogin",
            signin_records.SignInSubject("111122223333"),
            NOW,
            "",
            "",
            success=False,
            error_message=records.NO_SUCH_USER,
        )
    )
    assert hidden["userIdentity"]["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_event_ids_are_time_ordered_uuids() -> None:
    first = records.new_event_id(now_ms=1_700_000_000_000)
    later = records.new_event_id(now_ms=1_700_000_000_001)
    same_ms = {records.new_event_id(now_ms=1_700_000_000_001) for _ in range(1000)}
    parsed = uuid.UUID(first)
    assert str(parsed) == first and parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert int(first.replace("-", "")[:12], 16) == 1_700_000_000_000
    # the log's unique index on eventID appends instead of scattering: later sorts after
    assert first < later and all(first < e for e in same_ms)
    assert len(same_ms) == 1000  # the 74 random bits keep IDs of one millisecond apart
