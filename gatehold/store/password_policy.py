"""The account password policy (one row per account, or none: AWS's default applies)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from gatehold.store import schema
from gatehold.store.records import PasswordPolicy

_t = schema.password_policies


def get(conn: Connection, account_id: str) -> PasswordPolicy | None:
    row = conn.execute(select(_t).where(_t.c.account_id == account_id)).first()
    if row is None:
        return None
    m = row._mapping
    return PasswordPolicy(
        minimum_password_length=m["minimum_password_length"],
        require_symbols=m["require_symbols"],
        require_numbers=m["require_numbers"],
        require_uppercase=m["require_uppercase"],
        require_lowercase=m["require_lowercase"],
        allow_users_to_change_password=m["allow_users_to_change_password"],
        max_password_age=m["max_password_age"],
        password_reuse_prevention=m["password_reuse_prevention"],
        hard_expiry=m["hard_expiry"],
    )


def put(conn: Connection, account_id: str, policy: PasswordPolicy) -> None:
    """Create or replace the account's policy."""
    values = {
        "minimum_password_length": policy.minimum_password_length,
        "require_symbols": policy.require_symbols,
        "require_numbers": policy.require_numbers,
        "require_uppercase": policy.require_uppercase,
        "require_lowercase": policy.require_lowercase,
        "allow_users_to_change_password": policy.allow_users_to_change_password,
        "max_password_age": policy.max_password_age,
        "password_reuse_prevention": policy.password_reuse_prevention,
        "hard_expiry": policy.hard_expiry,
    }
    updated = conn.execute(_t.update().where(_t.c.account_id == account_id).values(**values))
    if updated.rowcount == 0:
        conn.execute(_t.insert().values(account_id=account_id, **values))


def delete(conn: Connection, account_id: str) -> bool:
    """Remove the policy; False when there was none."""
    return conn.execute(_t.delete().where(_t.c.account_id == account_id)).rowcount > 0
