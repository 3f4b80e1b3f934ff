"""GetSessionToken and GetFederationToken: temporary credentials for a user (or root).

AWS (API_GetSessionToken, API_GetFederationToken): DurationSeconds 900..129600
(the protocol layer checks the range), default 43200; for the root user at most
3600 — a longer request is cut to one hour, not refused. Neither can be called
with temporary credentials. GetSessionToken needs no permission (AWS: IAM
policies cannot allow or deny it); GetFederationToken needs
sts:GetFederationToken on the federated user's ARN.
"""

from __future__ import annotations

from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.errors import access_denied
from gatehold.services.call import Call, Params, Result
from gatehold.services.sts.common import (
    check_mfa,
    expiry,
    is_temporary,
    mint,
    packed_size,
    request_tags,
    session_policy_texts,
    tag_context,
)

DEFAULT_SECONDS = 43200
ROOT_MAX_SECONDS = 3600


def _duration(p: Principal, params: Params) -> int:
    seconds = params.get("DurationSeconds") or DEFAULT_SECONDS
    if p.kind is PrincipalKind.ROOT:
        seconds = min(seconds, ROOT_MAX_SECONDS)
    return int(seconds)


def get_session_token(call: Call, params: Params) -> Result:
    p = call.ctx.principal
    if is_temporary(p):
        # AWS's text (API_GetSessionToken, Errors, and CLI reports).
        raise access_denied("Cannot call GetSessionToken with session credentials")
    mfa_at = check_mfa(call, params.get("SerialNumber"), params.get("TokenCode"))
    issued, expires = expiry(call, _duration(p, params))
    facts = SessionFacts(
        issued_at=issued,
        expires_at=expires,
        mfa_at=mfa_at,
        user_id=p.user_id if p.kind is PrincipalKind.USER else None,
    )
    _, credentials = mint(call, p, facts)
    return {"Credentials": credentials}


def get_federation_token(call: Call, params: Params) -> Result:
    p = call.ctx.principal
    name = params["Name"]
    arn = f"arn:aws:sts::{p.account_id}:federated-user/{name}"
    tags = request_tags(params)
    call.authorize("sts:GetFederationToken", arn, tag_context(tags))
    if is_temporary(p):
        raise access_denied("Cannot call GetFederationToken with session credentials")
    policies = session_policy_texts(call, params)
    size = packed_size(policies, tags)
    issued, expires = expiry(call, _duration(p, params))
    # The federated user acts with its creator's permissions intersected with the
    # session policies; without a session policy it may do nothing (authz/enforcer.py).
    facts = SessionFacts(
        issued_at=issued,
        expires_at=expires,
        session_name=name,
        tags=tags,
        policies=policies,
        user_id=p.user_id if p.kind is PrincipalKind.USER else None,
    )
    federated = Principal(
        kind=PrincipalKind.FEDERATED_USER,
        account_id=p.account_id,
        arn=arn,
        user_id=f"{p.account_id}:{name}",
    )
    _, credentials = mint(call, federated, facts)
    return {
        "Credentials": credentials,
        "FederatedUser": {"FederatedUserId": f"{p.account_id}:{name}", "Arn": arn},
        "PackedPolicySize": size,
    }


HANDLERS = {
    "GetSessionToken": get_session_token,
    "GetFederationToken": get_federation_token,
}
