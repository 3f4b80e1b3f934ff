"""Identifiers in AWS's formats.

IAM unique IDs are a four-letter prefix naming the kind of entity and 17 more
characters from the base32 alphabet (21 in all), e.g. AIDA... for a user.
Access key IDs are AKIA (long-term) or ASIA (temporary) and 16 more characters;
since 2019 AWS encodes the owning account in them, which is what
sts:GetAccessKeyInfo reads back. We encode the account the same way so that
clients and tools that decode key IDs get the right account offline.
"""

from __future__ import annotations

import base64
import secrets

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Bits 1..40 of the first 48 bits of the decoded key body hold the account ID.
_ACCOUNT_MASK = 0x7FFFFFFFFF80

PREFIX_USER = "AIDA"
PREFIX_GROUP = "AGPA"
PREFIX_ROLE = "AROA"
PREFIX_POLICY = "ANPA"
PREFIX_INSTANCE_PROFILE = "AIPA"
PREFIX_ACCESS_KEY = "AKIA"
PREFIX_TEMP_ACCESS_KEY = "ASIA"


def new_account_id() -> str:
    """A random 12-digit account ID that does not start with 0."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def new_unique_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_B32) for _ in range(17))


def new_access_key_id(account_id: str, prefix: str = PREFIX_ACCESS_KEY) -> str:
    head = (int(account_id) << 7) | secrets.randbelow(128)
    head |= secrets.randbelow(2) << 47
    body = head.to_bytes(6, "big") + secrets.token_bytes(4)
    return prefix + base64.b32encode(body).decode("ascii")


def account_from_access_key_id(access_key_id: str) -> str | None:
    """The account encoded in a key ID, or None when it is not in the modern form."""
    if len(access_key_id) != 20 or not access_key_id.isalnum():
        return None
    try:
        body = base64.b32decode(access_key_id[4:])
    except ValueError:
        return None
    account = (int.from_bytes(body[:6], "big") & _ACCOUNT_MASK) >> 7
    return f"{account:012d}"


def new_secret_access_key() -> str:
    """40 characters from AWS's secret alphabet (base64 without padding)."""
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def new_request_id() -> str:
    """A UUID-shaped request ID, as AWS's x-amzn-RequestId."""
    h = secrets.token_hex(16)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
