"""What temporary credentials may not call, whatever their policies say.

AWS (STS API reference, GetSessionToken and GetFederationToken):
- GetSessionToken credentials cannot call IAM unless the session was created
  with MFA, and no STS operation but AssumeRole and GetCallerIdentity;
- GetFederationToken credentials cannot call IAM at all, and no STS operation
  but GetCallerIdentity.
Without these limits, expiring credentials could mint permanent ones
(iam:CreateAccessKey) or escape their session policy (sts:AssumeRole).
"""

from __future__ import annotations

from gatehold.context import Principal, PrincipalKind
from gatehold.errors import access_denied, invalid_client_token_id


def check(principal: Principal, service: str, operation: str) -> None:
    session = principal.session
    if session is None or session.console or principal.kind is PrincipalKind.ASSUMED_ROLE:
        return
    federated = principal.kind is PrincipalKind.FEDERATED_USER
    if service == "iam" and (federated or session.mfa_at is None):
        # Unconfirmed text: users report IAM answering InvalidClientTokenId to
        # GetSessionToken credentials without MFA.
        raise invalid_client_token_id()
    if service == "sts":
        allowed = {"GetCallerIdentity"} if federated else {"GetCallerIdentity", "AssumeRole"}
        if operation not in allowed:
            raise access_denied(f"Cannot call {operation} with session credentials")
