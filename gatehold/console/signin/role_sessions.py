"""The role a console session switched to: sealed on the session row, opened per request.

AWS's console "Switch role" (IAM User Guide, id_roles_use_switch-role-console) calls
sts:AssumeRole with the signed-in user's own credentials and then acts with the role's
temporary credentials until the user goes back or they expire. gatehold keeps those
credentials as the STS session token itself (gatehold/auth/session_tokens.py: the token
is the whole session, principal and expiry included), so a role session in the console
is decided exactly as the same credentials would be through the API.

At rest the column holds the token together with what the header shows (display name,
account as typed, the user to go back to), sealed once more with the operator's key,
with the console session's token hash as associated data: no plaintext credentials in
the database, and a value copied onto another console session's row does not open.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from gatehold import errors
from gatehold.auth import session_tokens
from gatehold.auth.credentials import expired_token
from gatehold.context import Principal
from gatehold.store.console_sessions import Session
from gatehold.store.secretbox import SecretBox, SecretBoxError

_AAD = b"console-role-session:"


@dataclass(frozen=True)
class RoleSession:
    token: str  # the STS session token AssumeRole answered
    display_name: str
    account: str  # as the user typed it: account ID or alias
    back_to: str  # the signed-in user's name ("Back to <name>")
    principal: Principal  # the assumed-role session the token carries

    @property
    def expires_at(self) -> datetime:
        assert self.principal.session is not None
        return self.principal.session.expires_at

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def seal(
    box: SecretBox, session: Session, token: str, display_name: str, account: str, back_to: str
) -> str:
    body = {"t": token, "d": display_name, "a": account, "b": back_to}
    raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(box.seal(raw, _aad(session))).decode("ascii")


def open_role(box: SecretBox, session: Session) -> RoleSession | None:
    """The session's role, None when it acts as itself or the value does not open
    (sealed for another session or under another key)."""
    if session.role_session is None:
        return None
    try:
        raw = box.open(base64.b64decode(session.role_session), _aad(session))
        body = json.loads(raw)
        sts = session_tokens.open_token(box, body["t"])
    except (ValueError, KeyError, SecretBoxError, session_tokens.BadToken):
        return None
    return RoleSession(body["t"], body["d"], body["a"], body["b"], sts.principal)


def principal(box: SecretBox, session: Session, now: datetime) -> Principal:
    """The role session's principal, as its credentials would authenticate through
    the API: ExpiredToken once they have expired (auth/credentials.py's answer)."""
    role = open_role(box, session)
    if role is None:
        raise errors.invalid_client_token_id()
    if role.expired(now):
        raise expired_token()
    return role.principal


def _aad(session: Session) -> bytes:
    return _AAD + session.token_hash.encode("ascii")


@dataclass(frozen=True)
class Banner:
    """What the console's header shows while a session acts as a role."""

    display_name: str
    account: str
    back_to: str
    session_arn: str
    expired: bool


def banner(box: SecretBox, session: Session | None, now: datetime) -> Banner | None:
    role = open_role(box, session) if session is not None else None
    if role is None:
        return None
    return Banner(
        role.display_name, role.account, role.back_to, role.principal.arn, role.expired(now)
    )
