"""Server-side console sessions: revocable, with idle and absolute timeouts.

The browser holds only a random token (cookie `gatehold_session`, HttpOnly,
SameSite=Lax, Secure behind TLS); the row is keyed by its SHA-256, so reading the
database does not yield usable sessions. Deleting the row revokes the session at
once, in every worker.

A sign-in in progress (password accepted, MFA code or new password still to
come) is a row too, with a short absolute limit; each step to a later stage
issues a new token (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from gatehold.store import schema

_t = schema.console_sessions

COOKIE = "gatehold_session"
# How long a half-finished sign-in may wait for its MFA code or new password.
PENDING_LIMIT = timedelta(minutes=10)
# last_seen_at is written at most this often, to keep writes off most page views.
_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    token_hash: str
    account_id: str
    user_id: str | None  # None: root
    stage: str
    mfa_authenticated: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    # The role switched to, sealed (console/signin/role_sessions.py); None: acting as itself.
    role_session: str | None = None

    @property
    def is_root(self) -> bool:
        return self.user_id is None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(
    conn: Connection,
    account_id: str,
    user_id: str | None,
    stage: str,
    *,
    mfa_authenticated: bool,
    now: datetime,
    expires_at: datetime,
) -> str:
    """A new session row; the token for the cookie."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        _t.insert().values(
            token_hash=hash_token(token),
            account_id=account_id,
            user_id=user_id,
            stage=stage,
            mfa_authenticated=mfa_authenticated,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )
    return token


def find(conn: Connection, token: str | None) -> Session | None:
    if not token:
        return None
    row = conn.execute(select(_t).where(_t.c.token_hash == hash_token(token))).first()
    if row is None:
        return None
    m = row._mapping
    return Session(**{k: m[k] for k in Session.__dataclass_fields__})


def alive(session: Session, now: datetime, idle: timedelta) -> bool:
    """Within its absolute limit and not idle for longer than `idle`."""
    return now < session.expires_at and now - session.last_seen_at < idle


def touch(conn: Connection, session: Session, now: datetime) -> None:
    if now - session.last_seen_at >= _SEEN_RESOLUTION:
        conn.execute(
            _t.update().where(_t.c.token_hash == session.token_hash).values(last_seen_at=now)
        )


def set_role(conn: Connection, token_hash: str, sealed: str | None) -> None:
    """Switch the session to a role (its sealed role session), or back (None)."""
    conn.execute(_t.update().where(_t.c.token_hash == token_hash).values(role_session=sealed))


def delete(conn: Connection, token_hash: str) -> None:
    conn.execute(_t.delete().where(_t.c.token_hash == token_hash))


def delete_for_principal(conn: Connection, account_id: str, user_id: str | None) -> int:
    """Revoke every session of a user (or of root): sign-out everywhere."""
    who = _t.c.user_id == user_id if user_id else _t.c.user_id.is_(None)
    return conn.execute(_t.delete().where(_t.c.account_id == account_id, who)).rowcount
