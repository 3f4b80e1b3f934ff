"""Service-specific credentials: per-user passwords or API keys for one AWS service.

The password (or API-key secret) is sealed with the operator's key; it is shown
once, when it is created or reset, and never read back by the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from gatehold.store import schema

_t = schema.service_specific_credentials
_users = schema.users


@dataclass(frozen=True)
class ServiceCredential:
    credential_id: str
    user_id: str
    service_name: str
    service_user_name: str
    password_sealed: bytes
    status: str
    created_at: datetime
    expires_at: datetime | None
    alias: str | None


def password_aad(credential_id: str) -> bytes:
    """Associated data binding a sealed password to its credential (see secretbox)."""
    return b"service_credential:" + credential_id.encode("ascii")


def _record(row: Any) -> ServiceCredential:
    m = row._mapping
    return ServiceCredential(
        credential_id=m["credential_id"],
        user_id=m["user_id"],
        service_name=m["service_name"],
        service_user_name=m["service_user_name"],
        password_sealed=m["password_sealed"],
        status=m["status"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        alias=m["service_credential_alias"],
    )


def insert(conn: Connection, cred: ServiceCredential) -> None:
    conn.execute(
        _t.insert().values(
            credential_id=cred.credential_id,
            user_id=cred.user_id,
            service_name=cred.service_name,
            service_user_name=cred.service_user_name,
            password_sealed=cred.password_sealed,
            status=cred.status,
            created_at=cred.created_at,
            expires_at=cred.expires_at,
            service_credential_alias=cred.alias,
        )
    )


def of_user(conn: Connection, user_id: str) -> list[ServiceCredential]:
    rows = conn.execute(
        select(_t).where(_t.c.user_id == user_id).order_by(_t.c.created_at, _t.c.credential_id)
    )
    return [_record(r) for r in rows]


def get(conn: Connection, user_id: str, credential_id: str) -> ServiceCredential | None:
    row = conn.execute(
        select(_t).where(_t.c.user_id == user_id, _t.c.credential_id == credential_id)
    ).first()
    return _record(row) if row else None


def set_status(conn: Connection, credential_id: str, status: str) -> None:
    conn.execute(_t.update().where(_t.c.credential_id == credential_id).values(status=status))


def set_password(conn: Connection, credential_id: str, sealed: bytes) -> None:
    conn.execute(
        _t.update().where(_t.c.credential_id == credential_id).values(password_sealed=sealed)
    )


def delete(conn: Connection, credential_id: str) -> None:
    conn.execute(_t.delete().where(_t.c.credential_id == credential_id))


def account_query(account_id: str, service_name: str | None) -> Select[Any]:
    """Every credential in an account with its user's name, for AllUsers listing.

    Paged by (user_name_lower, credential_id): see ACCOUNT_ORDER.
    """
    query = (
        select(_t, _users.c.user_name, _users.c.user_name_lower)
        .join(_users, _users.c.user_id == _t.c.user_id)
        .where(_users.c.account_id == account_id)
    )
    if service_name:
        query = query.where(_t.c.service_name == service_name)
    return query


ACCOUNT_ORDER = [_users.c.user_name_lower, _t.c.credential_id]


def from_row(row: Any) -> ServiceCredential:
    return _record(row)
