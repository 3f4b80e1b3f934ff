"""STS session tokens: self-contained, sealed, verifiable by any gatehold instance.

Design (issue 5): the token IS the session. Everything a request made with
temporary credentials needs — the ASIA key id, its secret, the principal, the
expiry, MFA facts, source identity, session tags and session policies — is
serialized as JSON and sealed with AES-256-GCM under the operator's key
(SecretBox, with associated data of its own, b"sts-session", so no other sealed
value of the store can be passed off as a token and vice versa).

Why not a table of sessions: a lookup would put a database read (and, for
AssumeRole at scale, a growing table to expire) on every request made with
temporary credentials. A sealed token costs one AES-GCM decrypt, needs no
write when it is issued, and every instance sharing the operator key can verify
it — which is what AWS's own tokens do (they are opaque, encrypted blobs that
embed the session). Tampering with any byte fails the GCM tag (InvalidClientTokenId).
The cost: a token cannot be revoked one by one; revocation is AWS's way, a Deny
on aws:TokenIssueTime (authz/context_keys.py puts it in the context), or removing the role.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.store.secretbox import SecretBox, SecretBoxError

AAD = b"sts-session"
# A leading marker so that a token from another system (or a format we change
# later) is refused before we try to open it.
_PREFIX = "GH1"


class BadToken(Exception):
    """The token does not open: forged, tampered with, or sealed under another key."""


@dataclass(frozen=True)
class Session:
    access_key_id: str
    secret: str
    principal: Principal  # with .session set


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def seal(box: SecretBox, session: Session) -> str:
    p, s = session.principal, session.principal.session
    assert s is not None
    body: dict[str, Any] = {
        "k": session.access_key_id,
        "s": session.secret,
        "pk": p.kind.value,
        "a": p.account_id,
        "arn": p.arn,
        "uid": p.user_id,
        "un": p.user_name,
        "ia": _ts(s.issued_at),
        "ea": _ts(s.expires_at),
        "ri": s.role_id,
        "ra": s.role_arn,
        "sn": s.session_name,
        "mfa": _ts(s.mfa_at),
        "si": s.source_identity,
        "t": [list(t) for t in s.tags],
        "tt": list(s.transitive_tag_keys),
        "pol": list(s.policies),
        "lu": s.user_id,
        "fp": s.federated_provider,
    }
    raw = zlib.compress(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return _PREFIX + base64.b64encode(box.seal(raw, AAD)).decode("ascii")


def open_token(box: SecretBox, token: str) -> Session:
    """The session a token carries; BadToken if it is not one of ours, untouched."""
    if not token.startswith(_PREFIX):
        raise BadToken("unknown token format")
    try:
        sealed = base64.b64decode(token[len(_PREFIX) :], validate=True)
        body = json.loads(zlib.decompress(box.open(sealed, AAD)))
    except (ValueError, SecretBoxError, zlib.error) as exc:
        raise BadToken(str(exc)) from exc
    facts = SessionFacts(
        issued_at=_dt(body["ia"]),  # type: ignore[arg-type]
        expires_at=_dt(body["ea"]),  # type: ignore[arg-type]
        role_id=body["ri"],
        role_arn=body["ra"],
        session_name=body["sn"],
        mfa_at=_dt(body["mfa"]),
        source_identity=body["si"],
        tags=tuple((k, v) for k, v in body["t"]),
        transitive_tag_keys=tuple(body["tt"]),
        policies=tuple(body["pol"]),
        user_id=body["lu"],
        federated_provider=body.get("fp"),
    )
    principal = Principal(
        kind=PrincipalKind(body["pk"]),
        account_id=body["a"],
        arn=body["arn"],
        user_id=body["uid"],
        user_name=body["un"],
        access_key_id=body["k"],
        session=facts,
    )
    return Session(body["k"], body["s"], principal)
