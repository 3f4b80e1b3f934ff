"""Who is calling and under what circumstances: the typed facts every operation sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class PrincipalKind(Enum):
    ROOT = "Root"
    USER = "IAMUser"
    # Temporary credentials (STS): a role session and a GetFederationToken session.
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    # The caller of an unsigned operation (AssumeRoleWithWebIdentity/SAML): no
    # identity until the operation has checked the token or assertion it carries.
    ANONYMOUS = "AnonymousPrincipal"


@dataclass(frozen=True)
class SessionFacts:
    """What a session token carries (gatehold/auth/session_tokens.py): the facts
    condition keys and session policies are built from. None for long-term keys."""

    issued_at: datetime
    expires_at: datetime
    role_id: str | None = None  # assumed-role sessions: the role's AROA id
    role_arn: str | None = None  # ... and its ARN (with path)
    session_name: str | None = None
    mfa_at: datetime | None = None  # when the MFA code was checked, if it was
    source_identity: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    # Session policies (inline text and the documents of PolicyArns, as of issue time).
    policies: tuple[str, ...] = ()
    # The long-term user behind a GetSessionToken/GetFederationToken session.
    user_id: str | None = None
    # Sessions from AssumeRoleWithWebIdentity / AssumeRoleWithSAML: the identity
    # provider (the OIDC issuer host or the SAML provider ARN), for CloudTrail's
    # sessionContext.webIdFederationData and the audit's userIdentity.
    federated_provider: str | None = None
    # A console sign-in's session (console/actions.py): its facts give the condition
    # keys a session has, but it is no temporary credential, so the limits of
    # GetSessionToken credentials (auth/session_limits.py) do not apply to it.
    console: bool = False


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    account_id: str
    arn: str
    # AIDA... for a user; the account ID for root (what GetCallerIdentity answers).
    user_id: str
    user_name: str | None = None
    access_key_id: str | None = None
    # Temporary credentials only: the session's facts.
    session: SessionFacts | None = None


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    principal: Principal
    now: datetime
    region: str
    service: str
    operation: str
    source_ip: str
    user_agent: str
    secure_transport: bool
    # Condition keys that come from the request itself (tags, etc.), added by operations.
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)


# Who calls an unsigned operation: no account, no identity, never authorized.
ANONYMOUS = Principal(PrincipalKind.ANONYMOUS, "", "", "anonymous")
