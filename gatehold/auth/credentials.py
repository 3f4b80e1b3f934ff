"""From an access key ID to a Principal and the secret that signs its requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from gatehold import errors
from gatehold.arn import root_arn
from gatehold.auth import session_tokens
from gatehold.context import Principal, PrincipalKind
from gatehold.errors import AwsError
from gatehold.store import access_keys
from gatehold.store.records import AccessKey
from gatehold.store.secretbox import SecretBox, SecretBoxError


@dataclass(frozen=True)
class ResolvedKey:
    principal: Principal
    secret: str
    key: AccessKey | None  # None for temporary credentials (nothing stored to mark used)


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


def expired_token() -> AwsError:
    # AWS's answer to a request signed with expired temporary credentials (as quoted
    # in many boto3/aws-cli bug reports: "An error occurred (ExpiredToken) when calling
    # the GetCallerIdentity operation: The security token included in the request is
    # expired"), HTTP 403.
    return AwsError("ExpiredToken", "The security token included in the request is expired", 403)


def resolve_session(
    box: SecretBox, access_key_id: str, token: str | None, now: datetime
) -> ResolvedKey:
    """The principal and secret of temporary credentials: one decrypt, no query.

    A missing, forged or tampered token, or one issued for another key id, is
    InvalidClientTokenId; a genuine token past its expiry is ExpiredToken.
    """
    if not token:
        raise errors.invalid_client_token_id()
    try:
        session = session_tokens.open_token(box, token)
    except session_tokens.BadToken:
        raise errors.invalid_client_token_id() from None
    if session.access_key_id != access_key_id:
        raise errors.invalid_client_token_id()
    facts = session.principal.session
    assert facts is not None
    if now >= facts.expires_at:
        raise expired_token()
    return ResolvedKey(session.principal, session.secret, None)
