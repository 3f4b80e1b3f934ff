"""Session tokens open only untouched, under the key that sealed them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from gatehold.auth import session_tokens
from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.store.secretbox import SecretBox

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _session() -> session_tokens.Session:
    facts = SessionFacts(
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        role_id="AROAEXAMPLE",
        role_arn="arn:aws:iam::123456789012:role/r",
        session_name="s",
        mfa_at=NOW,
        source_identity="alice",
        tags=(("team", "blue"),),
        transitive_tag_keys=("team",),
        policies=('{"Version":"2012-10-17","Statement":[]}',),
    )
    principal = Principal(
        kind=PrincipalKind.ASSUMED_ROLE,
        account_id="123456789012",
        arn="arn:aws:sts::123456789012:assumed-role/r/s",
        user_id="AROAEXAMPLE:s",
        access_key_id="ASIAEXAMPLE",
        session=facts,
    )
    return session_tokens.Session("ASIAEXAMPLE", "secret", principal)


def test_round_trip_keeps_every_fact() -> None:
    box = SecretBox(secrets.token_bytes(32))
    token = session_tokens.seal(box, _session())
    assert session_tokens.open_token(box, token) == _session()


def test_tampered_or_foreign_tokens_do_not_open() -> None:
    box = SecretBox(secrets.token_bytes(32))
    token = session_tokens.seal(box, _session())
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for bad in (flipped, token[:-4], "GH1" + "x" * 50, "not-a-token", ""):
        with pytest.raises(session_tokens.BadToken):
            session_tokens.open_token(box, bad)
    with pytest.raises(session_tokens.BadToken):
        session_tokens.open_token(SecretBox(secrets.token_bytes(32)), token)
