"""Accounts and their root users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from gatehold.store import schema
from gatehold.store.records import Account

_t = schema.accounts


def _record(row: object) -> Account:
    m = row._mapping  # type: ignore[attr-defined]
    return Account(
        account_id=m["account_id"],
        alias=m["alias"],
        root_email=m["root_email"],
        root_password_hash=m["root_password_hash"],
        created_at=m["created_at"],
    )


def create(
    conn: Connection, account_id: str, root_email: str, root_password_hash: str, now: datetime
) -> Account:
    conn.execute(
        _t.insert().values(
            account_id=account_id,
            root_email=root_email,
            root_email_lower=root_email.lower(),
            root_password_hash=root_password_hash,
            created_at=now,
        )
    )
    conn.execute(schema.generations.insert().values(account_id=account_id, value=1))
    return Account(account_id, None, root_email, root_password_hash, now)


def get(conn: Connection, account_id: str) -> Account | None:
    row = conn.execute(select(_t).where(_t.c.account_id == account_id)).first()
    return _record(row) if row else None


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_t)).scalar_one())


def set_alias(conn: Connection, account_id: str, alias: str | None) -> None:
    """Give the account its (one) alias, or remove it with None."""
    conn.execute(_t.update().where(_t.c.account_id == account_id).values(alias=alias))


def set_root_password(conn: Connection, account_id: str, new_hash: str) -> None:
    """Root's new password hash, whatever the current one (a recovery link replaces a
    password nobody knows any more; replace_root_password is the compare-and-set)."""
    conn.execute(
        _t.update().where(_t.c.account_id == account_id).values(root_password_hash=new_hash)
    )


def replace_root_password(
    conn: Connection, account_id: str, expected_hash: str, new_hash: str
) -> bool:
    """Root's new password hash, if its current one is still `expected_hash` (a
    compare-and-set: a concurrent change is not silently overwritten)."""
    result = conn.execute(
        _t.update()
        .where(_t.c.account_id == account_id)
        .where(_t.c.root_password_hash == expected_hash)
        .values(root_password_hash=new_hash)
    )
    return result.rowcount == 1


def by_alias(conn: Connection, alias: str) -> Account | None:
    """The account that holds an alias; aliases are unique across the whole store."""
    row = conn.execute(select(_t).where(_t.c.alias == alias)).first()
    return _record(row) if row else None


def by_root_email(conn: Connection, email: str) -> Account | None:
    """The account whose root user signs in with `email`, regardless of case."""
    row = conn.execute(select(_t).where(_t.c.root_email_lower == email.lower())).first()
    return _record(row) if row else None
