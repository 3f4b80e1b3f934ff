"""Console passwords of IAM users (argon2id hashes) and the history that
password reuse prevention checks against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from gatehold.store import schema

_t = schema.login_profiles
_h = schema.password_history

# The most any policy remembers (PasswordReusePrevention is 1-24).
HISTORY_LIMIT = 24


@dataclass(frozen=True)
class LoginProfile:
    user_id: str
    password_hash: str
    password_reset_required: bool
    created_at: datetime
    password_changed_at: datetime
    max_signin_session_duration: int | None


def get(conn: Connection, user_id: str) -> LoginProfile | None:
    row = conn.execute(select(_t).where(_t.c.user_id == user_id)).first()
    if row is None:
        return None
    m = row._mapping
    return LoginProfile(
        user_id=m["user_id"],
        password_hash=m["password_hash"],
        password_reset_required=m["password_reset_required"],
        created_at=m["created_at"],
        password_changed_at=m["password_changed_at"],
        max_signin_session_duration=m["max_signin_session_duration"],
    )


def exists(conn: Connection, user_id: str) -> bool:
    return conn.execute(select(_t.c.user_id).where(_t.c.user_id == user_id)).first() is not None


def insert(conn: Connection, profile: LoginProfile) -> None:
    conn.execute(
        _t.insert().values(
            user_id=profile.user_id,
            password_hash=profile.password_hash,
            password_reset_required=profile.password_reset_required,
            created_at=profile.created_at,
            password_changed_at=profile.password_changed_at,
            max_signin_session_duration=profile.max_signin_session_duration,
        )
    )


def update(conn: Connection, user_id: str, **values: object) -> None:
    """Change some of password_hash, password_reset_required, password_changed_at,
    max_signin_session_duration."""
    conn.execute(_t.update().where(_t.c.user_id == user_id).values(**values))


def delete(conn: Connection, user_id: str) -> None:
    conn.execute(_t.delete().where(_t.c.user_id == user_id))


def remember_password(conn: Connection, user_id: str, password_hash: str, now: datetime) -> None:
    """Add a password to the user's history, keeping only the most recent ones."""
    conn.execute(_h.insert().values(user_id=user_id, password_hash=password_hash, created_at=now))
    stale = (
        select(_h.c.id)
        .where(_h.c.user_id == user_id)
        .order_by(_h.c.created_at.desc(), _h.c.id.desc())
        .offset(HISTORY_LIMIT)
    )
    stale_ids = [r[0] for r in conn.execute(stale)]
    if stale_ids:
        conn.execute(_h.delete().where(_h.c.id.in_(stale_ids)))


def recent_password_hashes(conn: Connection, user_id: str, count: int) -> list[str]:
    """The hashes of the user's `count` most recent passwords, newest first."""
    rows = conn.execute(
        select(_h.c.password_hash)
        .where(_h.c.user_id == user_id)
        .order_by(_h.c.created_at.desc(), _h.c.id.desc())
        .limit(count)
    )
    return [r[0] for r in rows]


def forget_history(conn: Connection, user_id: str) -> None:
    conn.execute(_h.delete().where(_h.c.user_id == user_id))
