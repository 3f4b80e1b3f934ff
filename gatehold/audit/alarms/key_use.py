"""Was a refused request signed with one of an account's keys that no longer work?

Asked only after authentication failed (api.py), so it costs nothing on the hot
path. A deactivated key counts only when the request's signature is right (its
secret still opens): knowing a key ID is not holding the key, and key IDs appear
in logs. A deleted key's secret is gone, so its ID alone is enough: the ID of a
deleted key in a request is a sign that the key leaked (retired_access_keys).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from gatehold.auth import sigv4
from gatehold.store import access_keys
from gatehold.store.secretbox import SecretBox, SecretBoxError

INACTIVE = "Inactive"
DELETED = "Deleted"


@dataclass(frozen=True)
class RevokedKey:
    account_id: str
    access_key_id: str
    state: str  # INACTIVE or DELETED
    user_name: str | None  # None: the root user's key


def revoked_key(db: Connection, box: SecretBox, claim: sigv4.SigV4Claim) -> RevokedKey | None:
    key_id = claim.access_key_id
    found = access_keys.get_with_owner(db, key_id)
    if found is not None:
        key, user_name, _ = found
        if key.status == "Active":
            return None
        try:
            secret = box.open(key.secret_sealed, access_keys.secret_aad(key_id)).decode()
        except SecretBoxError:
            return None
        if not sigv4.verify(claim, secret):
            return None
        return RevokedKey(key.account_id, key_id, INACTIVE, user_name)
    retired = access_keys.retired(db, key_id)
    if retired is None:
        return None
    return RevokedKey(retired[0], key_id, DELETED, retired[1])
