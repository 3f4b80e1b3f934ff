"""Identity providers: OpenID Connect and SAML 2.0 provider entities.

Both are keyed by their ARN, which AWS derives from what identifies them (the
issuer URL without its scheme for OIDC, the name for SAML), so the ARN is the
natural unique key. List columns (client IDs, thumbprints, private keys) are
JSON text: they are small, read and written whole, never queried into.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from gatehold.store import schema

_oidc = schema.oidc_providers
_saml = schema.saml_providers


@dataclass(frozen=True)
class OidcProvider:
    arn: str
    account_id: str
    url: str  # without the scheme, as AWS stores and returns it
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]
    created_at: datetime
    context_provider: dict[str, Any] | None
    identity_center_instance_arn: str | None

    def with_changes(self, **changes: Any) -> OidcProvider:
        return replace(self, **changes)


@dataclass(frozen=True)
class SamlPrivateKey:
    key_id: str
    created_at: datetime
    sealed: bytes


@dataclass(frozen=True)
class SamlProvider:
    arn: str
    account_id: str
    name: str
    metadata_document: str
    valid_until: datetime | None
    created_at: datetime
    uuid: str
    assertion_encryption_mode: str
    private_keys: tuple[SamlPrivateKey, ...]
    context_provider: dict[str, Any] | None
    identity_center_instance_arn: str | None

    def with_changes(self, **changes: Any) -> SamlProvider:
        return replace(self, **changes)


def _json_or_none(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value) if value is not None else None


# --- OpenID Connect -------------------------------------------------------------


def _oidc_record(row: Any) -> OidcProvider:
    m = row._mapping
    return OidcProvider(
        arn=m["arn"],
        account_id=m["account_id"],
        url=m["url"],
        client_ids=tuple(json.loads(m["client_ids"])),
        thumbprints=tuple(json.loads(m["thumbprints"])),
        created_at=m["created_at"],
        context_provider=json.loads(m["context_provider"]) if m["context_provider"] else None,
        identity_center_instance_arn=m["identity_center_instance_arn"],
    )


def _oidc_values(p: OidcProvider) -> dict[str, Any]:
    return {
        "url": p.url,
        "client_ids": json.dumps(list(p.client_ids)),
        "thumbprints": json.dumps(list(p.thumbprints)),
        "context_provider": _json_or_none(p.context_provider),
        "identity_center_instance_arn": p.identity_center_instance_arn,
    }


def insert_oidc(conn: Connection, p: OidcProvider) -> None:
    conn.execute(
        _oidc.insert().values(
            arn=p.arn, account_id=p.account_id, created_at=p.created_at, **_oidc_values(p)
        )
    )


def update_oidc(conn: Connection, p: OidcProvider) -> None:
    conn.execute(_oidc.update().where(_oidc.c.arn == p.arn).values(**_oidc_values(p)))


def get_oidc(conn: Connection, account_id: str, arn: str) -> OidcProvider | None:
    row = conn.execute(
        select(_oidc).where(_oidc.c.arn == arn, _oidc.c.account_id == account_id)
    ).first()
    return _oidc_record(row) if row else None


def list_oidc(conn: Connection, account_id: str) -> list[OidcProvider]:
    rows = conn.execute(select(_oidc).where(_oidc.c.account_id == account_id).order_by(_oidc.c.arn))
    return [_oidc_record(r) for r in rows]


def count_oidc(conn: Connection, account_id: str) -> int:
    query = select(func.count()).select_from(_oidc).where(_oidc.c.account_id == account_id)
    return int(conn.execute(query).scalar_one())


def delete_oidc(conn: Connection, arn: str) -> None:
    conn.execute(_oidc.delete().where(_oidc.c.arn == arn))


# --- SAML -------------------------------------------------------------------------


def _keys_from_json(text: str) -> tuple[SamlPrivateKey, ...]:
    return tuple(
        SamlPrivateKey(k["id"], datetime.fromisoformat(k["created_at"]), bytes.fromhex(k["sealed"]))
        for k in json.loads(text)
    )


def _keys_to_json(keys: tuple[SamlPrivateKey, ...]) -> str:
    return json.dumps(
        [
            {"id": k.key_id, "created_at": k.created_at.isoformat(), "sealed": k.sealed.hex()}
            for k in keys
        ]
    )


def _saml_record(row: Any) -> SamlProvider:
    m = row._mapping
    return SamlProvider(
        arn=m["arn"],
        account_id=m["account_id"],
        name=m["name"],
        metadata_document=m["metadata_document"],
        valid_until=m["valid_until"],
        created_at=m["created_at"],
        uuid=m["saml_provider_uuid"],
        assertion_encryption_mode=m["assertion_encryption_mode"],
        private_keys=_keys_from_json(m["private_keys"]),
        context_provider=json.loads(m["context_provider"]) if m["context_provider"] else None,
        identity_center_instance_arn=m["identity_center_instance_arn"],
    )


def _saml_values(p: SamlProvider) -> dict[str, Any]:
    return {
        "metadata_document": p.metadata_document,
        "valid_until": p.valid_until,
        "assertion_encryption_mode": p.assertion_encryption_mode,
        "private_keys": _keys_to_json(p.private_keys),
        "context_provider": _json_or_none(p.context_provider),
        "identity_center_instance_arn": p.identity_center_instance_arn,
    }


def insert_saml(conn: Connection, p: SamlProvider) -> None:
    conn.execute(
        _saml.insert().values(
            arn=p.arn,
            account_id=p.account_id,
            name=p.name,
            created_at=p.created_at,
            saml_provider_uuid=p.uuid,
            **_saml_values(p),
        )
    )


def update_saml(conn: Connection, p: SamlProvider) -> None:
    conn.execute(_saml.update().where(_saml.c.arn == p.arn).values(**_saml_values(p)))


def get_saml(conn: Connection, account_id: str, arn: str) -> SamlProvider | None:
    row = conn.execute(
        select(_saml).where(_saml.c.arn == arn, _saml.c.account_id == account_id)
    ).first()
    return _saml_record(row) if row else None


def list_saml(conn: Connection, account_id: str) -> list[SamlProvider]:
    rows = conn.execute(select(_saml).where(_saml.c.account_id == account_id).order_by(_saml.c.arn))
    return [_saml_record(r) for r in rows]


def count_saml(conn: Connection, account_id: str) -> int:
    query = select(func.count()).select_from(_saml).where(_saml.c.account_id == account_id)
    return int(conn.execute(query).scalar_one())


def delete_saml(conn: Connection, arn: str) -> None:
    conn.execute(_saml.delete().where(_saml.c.arn == arn))
