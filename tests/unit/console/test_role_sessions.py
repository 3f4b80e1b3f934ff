"""A switched role on a console session row: sealed, bound to that session, and
refused once its credentials have expired."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gatehold.auth import session_tokens
from gatehold.console.signin import role_sessions
from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.errors import AwsError
from gatehold.store.console_sessions import Session
from gatehold.store.secretbox import SecretBox

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ROLE_ARN = "arn:aws:sts::123456789012:assumed-role/ops/alice"


def _token(box: SecretBox) -> str:
    facts = SessionFacts(
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        role_id="AROA1",
        role_arn="arn:aws:iam::123456789012:role/ops",
        session_name="alice",
    )
    principal = Principal(
        PrincipalKind.ASSUMED_ROLE,
        "123456789012",
        ROLE_ARN,
        "AROA1:alice",
        access_key_id="ASIA1",
        session=facts,
    )
    return session_tokens.seal(box, session_tokens.Session("ASIA1", "secret", principal))


def _console_session(token_hash: str) -> Session:
    return Session(
        token_hash, "123456789012", "AIDA1", "signed_in", False, NOW, NOW, NOW + timedelta(hours=12)
    )


def test_sealed_role_opens_on_its_own_session_only() -> None:
    box = SecretBox(secrets.token_bytes(32))
    mine = _console_session("a" * 64)
    sealed = role_sessions.seal(box, mine, _token(box), "Ops", "my-alias", "alice")
    assert "Ops" not in sealed and "secret" not in sealed  # nothing readable at rest
    opened = role_sessions.open_role(box, replace(mine, role_session=sealed))
    assert opened is not None and opened.principal.arn == ROLE_ARN
    assert (opened.display_name, opened.account, opened.back_to) == ("Ops", "my-alias", "alice")
    # Copied onto another console session's row, it does not open.
    theirs = replace(_console_session("b" * 64), role_session=sealed)
    assert role_sessions.open_role(box, theirs) is None
    with pytest.raises(AwsError) as exc:
        role_sessions.principal(box, theirs, NOW)
    assert exc.value.code == "InvalidClientTokenId"


def test_an_expired_role_session_answers_expired_token() -> None:
    box = SecretBox(secrets.token_bytes(32))
    session = _console_session("c" * 64)
    session = replace(
        session,
        role_session=role_sessions.seal(box, session, _token(box), "Ops", "123456789012", "alice"),
    )
    assert role_sessions.principal(box, session, NOW + timedelta(minutes=59)).arn == ROLE_ARN
    with pytest.raises(AwsError) as exc:
        role_sessions.principal(box, session, NOW + timedelta(hours=1))
    assert (exc.value.code, exc.value.status) == ("ExpiredToken", 403)
    shown = role_sessions.banner(box, session, NOW + timedelta(hours=1))
    assert shown is not None and shown.expired
