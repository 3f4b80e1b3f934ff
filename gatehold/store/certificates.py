"""Keys and certificates stored for IAM users and the account.

SSH public keys and signing certificates belong to a user (a signing certificate
with no user belongs to the account's root user); server certificates belong to
the account and keep their private key sealed with the operator's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from gatehold.store import schema

_ssh = schema.ssh_public_keys
_sign = schema.signing_certificates
_server = schema.server_certificates


# --- SSH public keys ------------------------------------------------------------


@dataclass(frozen=True)
class SshPublicKey:
    key_id: str
    user_id: str
    body: str
    fingerprint: str
    status: str
    uploaded_at: datetime


def _ssh_record(row: Any) -> SshPublicKey:
    m = row._mapping
    return SshPublicKey(
        m["ssh_public_key_id"],
        m["user_id"],
        m["body"],
        m["fingerprint"],
        m["status"],
        m["uploaded_at"],
    )


def insert_ssh_key(conn: Connection, key: SshPublicKey) -> None:
    conn.execute(
        _ssh.insert().values(
            ssh_public_key_id=key.key_id,
            user_id=key.user_id,
            body=key.body,
            fingerprint=key.fingerprint,
            status=key.status,
            uploaded_at=key.uploaded_at,
        )
    )


def ssh_keys_of(conn: Connection, user_id: str) -> list[SshPublicKey]:
    rows = conn.execute(
        select(_ssh)
        .where(_ssh.c.user_id == user_id)
        .order_by(_ssh.c.uploaded_at, _ssh.c.ssh_public_key_id)
    )
    return [_ssh_record(r) for r in rows]


def get_ssh_key(conn: Connection, user_id: str, key_id: str) -> SshPublicKey | None:
    row = conn.execute(
        select(_ssh).where(_ssh.c.user_id == user_id, _ssh.c.ssh_public_key_id == key_id)
    ).first()
    return _ssh_record(row) if row else None


def set_ssh_key_status(conn: Connection, key_id: str, status: str) -> None:
    conn.execute(_ssh.update().where(_ssh.c.ssh_public_key_id == key_id).values(status=status))


def delete_ssh_key(conn: Connection, key_id: str) -> None:
    conn.execute(_ssh.delete().where(_ssh.c.ssh_public_key_id == key_id))


# --- signing certificates ---------------------------------------------------------


@dataclass(frozen=True)
class SigningCertificate:
    certificate_id: str
    account_id: str
    user_id: str | None  # None: the root user's certificate
    body: str
    status: str
    uploaded_at: datetime


def _sign_record(row: Any) -> SigningCertificate:
    m = row._mapping
    return SigningCertificate(
        m["certificate_id"], m["account_id"], m["user_id"], m["body"], m["status"], m["uploaded_at"]
    )


def _owner(query: Select[Any], account_id: str, user_id: str | None) -> Select[Any]:
    owner = _sign.c.user_id == user_id if user_id else _sign.c.user_id.is_(None)
    return query.where(_sign.c.account_id == account_id, owner)


def insert_signing_certificate(conn: Connection, cert: SigningCertificate) -> None:
    conn.execute(
        _sign.insert().values(
            certificate_id=cert.certificate_id,
            account_id=cert.account_id,
            user_id=cert.user_id,
            body=cert.body,
            status=cert.status,
            uploaded_at=cert.uploaded_at,
        )
    )


def signing_certificates_of(
    conn: Connection, account_id: str, user_id: str | None
) -> list[SigningCertificate]:
    query = _owner(select(_sign), account_id, user_id)
    rows = conn.execute(query.order_by(_sign.c.uploaded_at, _sign.c.certificate_id))
    return [_sign_record(r) for r in rows]


def signing_certificate_bodies(conn: Connection, account_id: str) -> list[str]:
    rows = conn.execute(select(_sign.c.body).where(_sign.c.account_id == account_id))
    return [r[0] for r in rows]


def set_signing_certificate_status(conn: Connection, certificate_id: str, status: str) -> None:
    conn.execute(
        _sign.update().where(_sign.c.certificate_id == certificate_id).values(status=status)
    )


def delete_signing_certificate(conn: Connection, certificate_id: str) -> None:
    conn.execute(_sign.delete().where(_sign.c.certificate_id == certificate_id))


# --- server certificates ----------------------------------------------------------


@dataclass(frozen=True)
class ServerCertificate:
    server_certificate_id: str
    account_id: str
    name: str
    path: str
    arn: str
    body: str
    chain: str | None
    private_key_sealed: bytes
    expiration: datetime | None
    uploaded_at: datetime


def server_key_aad(server_certificate_id: str) -> bytes:
    """Associated data binding a sealed private key to its certificate (see secretbox)."""
    return b"server_certificate:" + server_certificate_id.encode("ascii")


def _server_record(row: Any) -> ServerCertificate:
    m = row._mapping
    return ServerCertificate(
        server_certificate_id=m["server_certificate_id"],
        account_id=m["account_id"],
        name=m["name"],
        path=m["path"],
        arn=m["arn"],
        body=m["body"],
        chain=m["chain"],
        private_key_sealed=m["private_key_sealed"],
        expiration=m["expiration"],
        uploaded_at=m["uploaded_at"],
    )


def insert_server_certificate(conn: Connection, cert: ServerCertificate) -> None:
    conn.execute(
        _server.insert().values(
            server_certificate_id=cert.server_certificate_id,
            account_id=cert.account_id,
            name=cert.name,
            name_lower=cert.name.lower(),
            path=cert.path,
            arn=cert.arn,
            body=cert.body,
            chain=cert.chain,
            private_key_sealed=cert.private_key_sealed,
            expiration=cert.expiration,
            uploaded_at=cert.uploaded_at,
        )
    )


def get_server_certificate(
    conn: Connection, account_id: str, name: str
) -> ServerCertificate | None:
    row = conn.execute(
        select(_server).where(
            _server.c.account_id == account_id, _server.c.name_lower == name.lower()
        )
    ).first()
    return _server_record(row) if row else None


def server_certificates_query(account_id: str, path_prefix: str) -> Select[Any]:
    """Server certificates under a path prefix, for keyset paging by (name_lower, id)."""
    query = select(_server).where(_server.c.account_id == account_id)
    if path_prefix != "/":
        query = query.where(_server.c.path.startswith(path_prefix, autoescape=True))
    return query


SERVER_CERTIFICATE_ORDER = [_server.c.name_lower, _server.c.server_certificate_id]


def server_certificate_from_row(row: Any) -> ServerCertificate:
    return _server_record(row)


def rename_server_certificate(
    conn: Connection, server_certificate_id: str, name: str, path: str, arn: str
) -> None:
    conn.execute(
        _server.update()
        .where(_server.c.server_certificate_id == server_certificate_id)
        .values(name=name, name_lower=name.lower(), path=path, arn=arn)
    )


def delete_server_certificate(conn: Connection, server_certificate_id: str) -> None:
    conn.execute(_server.delete().where(_server.c.server_certificate_id == server_certificate_id))


def count_server_certificates(conn: Connection, account_id: str) -> int:
    query = select(func.count()).select_from(_server).where(_server.c.account_id == account_id)
    return int(conn.execute(query).scalar_one())
