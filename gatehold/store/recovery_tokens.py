"""Root recovery links, in the recovery_tokens table: random, hashed, expiring, single-use.

The link carries a 256-bit random token; the table keeps only its SHA-256 (a copy of
the database yields no usable link), and a token is looked up by that hash, so no
comparison of secrets happens in Python. A token is used up by one conditional
UPDATE (used_at still NULL, not expired): of two requests racing with the same link,
exactly one wins. Using a link also uses up every other open link of the same account
and purpose, so an older email cannot be replayed after the newest was used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from gatehold.store import schema

_t = schema.recovery_tokens

PASSWORD = "password"  # forgot password: the link sets a new root password
MFA = "mfa"  # lost MFA device: issued by the operator, removes root's MFA devices


@dataclass(frozen=True)
class Token:
    token_hash: str
    account_id: str
    purpose: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(
    conn: Connection, account_id: str, purpose: str, now: datetime, lifetime: timedelta
) -> str:
    """A new link's token (for the email only)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        _t.insert().values(
            token_hash=hash_token(token),
            account_id=account_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + lifetime,
            used_at=None,
        )
    )
    return token


def usable(conn: Connection, token: str, purpose: str, now: datetime) -> Token | None:
    """The token's row when it is for `purpose`, not used and not expired."""
    if not token:
        return None
    row = conn.execute(select(_t).where(_t.c.token_hash == hash_token(token))).first()
    if row is None:
        return None
    m = row._mapping
    found = Token(**{k: m[k] for k in Token.__dataclass_fields__})
    if found.purpose != purpose or found.used_at is not None or now >= found.expires_at:
        return None
    return found


def use(conn: Connection, found: Token, now: datetime) -> bool:
    """Use the link up; False when another request used it (or it expired) first."""
    won = conn.execute(
        _t.update()
        .where(
            _t.c.token_hash == found.token_hash,
            _t.c.used_at.is_(None),
            _t.c.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if won != 1:
        return False
    conn.execute(
        _t.update()
        .where(
            _t.c.account_id == found.account_id,
            _t.c.purpose == found.purpose,
            _t.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return True


def issued_since(conn: Connection, account_id: str, purpose: str, since: datetime) -> int:
    """How many links were issued since `since` (to bound mail to one address)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(_t)
            .where(
                _t.c.account_id == account_id,
                _t.c.purpose == purpose,
                _t.c.created_at >= since,
            )
        ).scalar_one()
    )
