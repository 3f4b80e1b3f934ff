"""Access keys. Secrets are stored sealed; only the verifier ever opens them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select

from gatehold.store import schema
from gatehold.store.records import AccessKey

_t = schema.access_keys


def secret_aad(access_key_id: str) -> bytes:
    """Associated data binding a sealed secret to its key ID (see secretbox)."""
    return b"access_key:" + access_key_id.encode("ascii")


def _record(row: object) -> AccessKey:
    m = row._mapping  # type: ignore[attr-defined]
    return AccessKey(
        access_key_id=m["access_key_id"],
        account_id=m["account_id"],
        user_id=m["user_id"],
        secret_sealed=m["secret_sealed"],
        status=m["status"],
        created_at=m["created_at"],
        last_used_at=m["last_used_at"],
        last_used_service=m["last_used_service"],
        last_used_region=m["last_used_region"],
    )


# The lookup every signed request makes, built once: constructing a fresh select()
# per call costs SQLAlchemy more than running it (cache key, coercions).
_u = schema.users
_KEY_WITH_OWNER = (
    select(_t, _u.c.user_name, _u.c.arn.label("user_arn"))
    .select_from(_t.outerjoin(_u, _u.c.user_id == _t.c.user_id))
    .where(_t.c.access_key_id == bindparam("key_id"))
)


def get_with_owner(
    conn: Connection, access_key_id: str
) -> tuple[AccessKey, str | None, str | None] | None:
    """The key with its user's name and ARN (both None for a root key), in one query."""
    row = conn.execute(_KEY_WITH_OWNER, {"key_id": access_key_id}).first()
    if row is None:
        return None
    m = row._mapping
    return _record(row), m["user_name"], m["user_arn"]


def insert(conn: Connection, key: AccessKey) -> None:
    conn.execute(
        _t.insert().values(
            access_key_id=key.access_key_id,
            account_id=key.account_id,
            user_id=key.user_id,
            secret_sealed=key.secret_sealed,
            status=key.status,
            created_at=key.created_at,
        )
    )


def get(conn: Connection, access_key_id: str) -> AccessKey | None:
    row = conn.execute(select(_t).where(_t.c.access_key_id == access_key_id)).first()
    return _record(row) if row else None


def list_for_user(conn: Connection, user_id: str | None, account_id: str) -> list[AccessKey]:
    cond = _t.c.user_id == user_id if user_id else _t.c.user_id.is_(None)
    rows = conn.execute(
        select(_t).where(cond, _t.c.account_id == account_id).order_by(_t.c.created_at)
    )
    return [_record(r) for r in rows]


def mark_used(
    conn: Connection, access_key_id: str, when: datetime, service: str, region: str
) -> None:
    conn.execute(
        _t.update()
        .where(_t.c.access_key_id == access_key_id)
        .values(last_used_at=when, last_used_service=service, last_used_region=region)
    )


def owner_condition(user_id: str | None) -> Any:
    """Keys of a user, or (None) of the account's root user."""
    return _t.c.user_id == user_id if user_id else _t.c.user_id.is_(None)


def count_for_owner(conn: Connection, account_id: str, user_id: str | None) -> int:
    query = (
        select(func.count())
        .select_from(_t)
        .where(owner_condition(user_id), _t.c.account_id == account_id)
    )
    return int(conn.execute(query).scalar_one())


def listing(account_id: str, user_id: str | None) -> tuple[Select[Any], list[Any]]:
    """The keys ListAccessKeys pages through, and their order."""
    query = select(_t).where(owner_condition(user_id), _t.c.account_id == account_id)
    return query, [_t.c.access_key_id]


def record(row: Any) -> AccessKey:
    return _record(row)


def set_status(conn: Connection, access_key_id: str, status: str) -> None:
    conn.execute(_t.update().where(_t.c.access_key_id == access_key_id).values(status=status))


def delete(conn: Connection, access_key_id: str, now: datetime | None = None) -> None:
    """Delete the key, remembering its ID and owner (retired_access_keys) so a later
    use of it is recognized as a deleted key's (gatehold/audit/alarms/key_use.py)."""
    found = get_with_owner(conn, access_key_id)
    conn.execute(_t.delete().where(_t.c.access_key_id == access_key_id))
    if found is not None:
        key, user_name, _ = found
        conn.execute(
            schema.retired_access_keys.insert().values(
                access_key_id=access_key_id,
                account_id=key.account_id,
                user_name=user_name,
                retired_at=now or datetime.now(UTC),
            )
        )


def retired(conn: Connection, access_key_id: str) -> tuple[str, str | None] | None:
    """(account, user name or None for root) of a deleted key; None if never deleted."""
    t = schema.retired_access_keys
    row = conn.execute(
        select(t.c.account_id, t.c.user_name).where(t.c.access_key_id == access_key_id)
    ).first()
    return (row[0], row[1]) if row else None
