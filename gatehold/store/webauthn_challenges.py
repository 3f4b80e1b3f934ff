"""WebAuthn challenges on the server: random, single-use, short-lived, bound to one
console session.

A challenge is a row keyed by the console session's token hash and its purpose
("register" a key on the credentials page, "authenticate" at the MFA step). Asking
for new options replaces the session's earlier challenge of that purpose, so a
session never holds more than two. `take` deletes the row in the caller's
transaction before anything is verified: a challenge answers one response, right or
wrong, and a captured response cannot be replayed. A challenge left behind (a
cancelled dialog, a session that moved on: each sign-in step issues a new session
token) expires; expired rows are swept whenever a challenge is issued.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from gatehold.store import schema

_t = schema.webauthn_challenges

REGISTER = "register"
AUTHENTICATE = "authenticate"
# The browser's dialog waits up to auth/webauthn.py's TIMEOUT_MS; a little more here
# for the response to reach us.
LIFETIME = timedelta(minutes=3)
_BYTES = 32  # WebAuthn: at least 16 random bytes


def issue(conn: Connection, session_hash: str, purpose: str, now: datetime) -> bytes:
    """A new challenge for this session and purpose (replacing any earlier one)."""
    conn.execute(_t.delete().where(_t.c.expires_at <= now))
    conn.execute(_t.delete().where(_t.c.session_hash == session_hash, _t.c.purpose == purpose))
    challenge = secrets.token_bytes(_BYTES)
    conn.execute(
        _t.insert().values(
            session_hash=session_hash,
            purpose=purpose,
            challenge=challenge,
            expires_at=now + LIFETIME,
        )
    )
    return challenge


def take(conn: Connection, session_hash: str, purpose: str, now: datetime) -> bytes | None:
    """The session's live challenge for `purpose`, used up by this call; None if there
    is none, it expired, or a concurrent request took it first."""
    where = (_t.c.session_hash == session_hash, _t.c.purpose == purpose)
    row = conn.execute(select(_t.c.challenge, _t.c.expires_at).where(*where)).first()
    if row is None:
        return None
    challenge, expires_at = bytes(row[0]), row[1]
    # Deleted only if still the same challenge: of two concurrent takes only one
    # deletes it (the other waits for the row lock, then finds nothing to delete).
    gone = conn.execute(_t.delete().where(*where, _t.c.challenge == challenge)).rowcount
    if gone != 1 or now >= expires_at:
        return None
    return challenge
