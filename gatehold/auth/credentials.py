"""From an access key ID to a Principal and the secret that signs its requests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from gatehold.arn import root_arn
from gatehold.context import Principal, PrincipalKind
from gatehold.store import access_keys
from gatehold.store.records import AccessKey
from gatehold.store.secretbox import SecretBox, SecretBoxError


@dataclass(frozen=True)
class ResolvedKey:
    principal: Principal
    secret: str
    key: AccessKey


def resolve_access_key(db: Connection, box: SecretBox, access_key_id: str) -> ResolvedKey | None:
    """The key's owner and secret, or None if the key is unknown, inactive or unreadable.

    The caller must treat None exactly like a wrong signature in cost (see api.py):
    AWS tells the two apart only by error code, never by timing.
    """
    found = access_keys.get_with_owner(db, access_key_id)
    if found is None:
        return None
    key, user_name, user_arn = found
    if key.status != "Active":
        return None
    try:
        secret = box.open(key.secret_sealed, access_keys.secret_aad(access_key_id)).decode()
    except SecretBoxError:
        return None
    if key.user_id is None:
        principal = Principal(
            kind=PrincipalKind.ROOT,
            account_id=key.account_id,
            arn=root_arn(key.account_id),
            user_id=key.account_id,
            access_key_id=access_key_id,
        )
    elif user_arn is None:
        return None
    else:
        principal = Principal(
            kind=PrincipalKind.USER,
            account_id=key.account_id,
            arn=user_arn,
            user_id=key.user_id,
            user_name=user_name,
            access_key_id=access_key_id,
        )
    return ResolvedKey(principal, secret, key)
