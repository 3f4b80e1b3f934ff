"""The condition keys of a request: what AWS's global condition keys say about the
caller, its session and the request, as the policy engine reads them.

Pure: from the RequestContext the surface built, no store and no policy.
"""

from __future__ import annotations

from collections.abc import Mapping

from gatehold.context import Principal, PrincipalKind, RequestContext


def request_context(
    ctx: RequestContext, extra: Mapping[str, tuple[str, ...]] | None
) -> dict[str, tuple[str, ...]]:
    """The global condition keys AWS sets for a call made with long-term credentials.

    aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge are absent for long-term
    access keys, as AWS documents (not "false"): that is what makes
    `BoolIfExists` the recommended form.
    """
    p = ctx.principal
    values: dict[str, tuple[str, ...]] = {
        "aws:PrincipalArn": (p.arn,),
        "aws:PrincipalAccount": (p.account_id,),
        "aws:userid": (p.user_id,),
        "aws:CurrentTime": (ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        "aws:EpochTime": (str(int(ctx.now.timestamp())),),
        "aws:SecureTransport": ("true" if ctx.secure_transport else "false",),
        "aws:RequestedRegion": (ctx.region,),
    }
    if p.kind is PrincipalKind.USER:
        values["aws:PrincipalType"] = ("User",)
        values["aws:username"] = (p.user_name or "",)
    elif p.kind is PrincipalKind.ASSUMED_ROLE:
        values["aws:PrincipalType"] = ("AssumedRole",)
    elif p.kind is PrincipalKind.FEDERATED_USER:
        values["aws:PrincipalType"] = ("FederatedUser",)
    else:
        values["aws:PrincipalType"] = ("Account",)
    if p.session is not None:
        values.update(session_context(p, ctx))
    if ctx.source_ip:
        values["aws:SourceIp"] = (ctx.source_ip,)
    if ctx.user_agent:
        values["aws:UserAgent"] = (ctx.user_agent,)
    values.update(ctx.extra)
    if extra:
        values.update(extra)
    return values


def session_context(p: Principal, ctx: RequestContext) -> dict[str, tuple[str, ...]]:
    """The condition keys temporary credentials add (AWS global condition keys page).

    aws:TokenIssueTime for every session (the "revoke active sessions" Deny tests
    it); aws:MultiFactorAuthPresent "true" with aws:MultiFactorAuthAge when the
    session was created with an MFA code, "false" for other temporary credentials;
    aws:SourceIdentity when set; a role session's aws:PrincipalArn is the role's ARN.
    """
    s = p.session
    assert s is not None
    values: dict[str, tuple[str, ...]] = {
        "aws:TokenIssueTime": (s.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        "aws:MultiFactorAuthPresent": ("true" if s.mfa_at else "false",),
    }
    if s.mfa_at is not None:
        age = max(0, int((ctx.now - s.mfa_at).total_seconds()))
        values["aws:MultiFactorAuthAge"] = (str(age),)
    if s.source_identity:
        values["aws:SourceIdentity"] = (s.source_identity,)
    if s.role_arn:
        values["aws:PrincipalArn"] = (s.role_arn,)
    if s.session_name and p.kind is PrincipalKind.ASSUMED_ROLE:
        values["sts:RoleSessionName"] = (s.session_name,)
    return values


def resource_account(resource: str) -> str | None:
    """The account an ARN names, or None when it names none (S3 buckets, "*" ...).

    "aws" in the account field marks resources AWS itself owns, such as the AWS
    managed policies (arn:aws:iam::aws:policy/...): reading them is not a
    cross-account request, and only the caller's own policies decide it.
    """
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[4] in ("", "aws"):
        return None
    return parts[4]


# The caller's own identity: absent for a federated caller, which is no IAM principal.
_IDENTITY_KEYS = ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:userid", "aws:PrincipalType")


def federated_context(
    ctx: RequestContext, condition_values: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """The condition keys of a caller federated by an identity provider: the request's,
    with the provider's claims, without the keys that name an IAM identity."""
    return {
        k: v for k, v in request_context(ctx, condition_values).items() if k not in _IDENTITY_KEYS
    }
