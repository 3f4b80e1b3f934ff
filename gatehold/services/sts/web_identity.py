"""AssumeRoleWithWebIdentity: role sessions for holders of an OIDC identity token.

AWS (API_AssumeRoleWithWebIdentity; id_roles_providers_oidc;
reference_policies_iam-condition-keys, "web identity federation"): the call is
unsigned; the token proves who calls. Its issuer must be an IAM OIDC provider
of the role's account, its audience one of that provider's client IDs, its
signature one of the issuer's published keys. The role's trust policy alone
decides, for the principal {"Federated": <provider ARN>}, with the token's
claims as condition keys (`<provider url>:sub`, `:aud`, `:oaud`, `:amr`) and
aws:FederatedProvider; sts:TagSession must be allowed too when the token
carries session tags, and sts:SetSourceIdentity when it sets a source identity.
The caller becomes arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gatehold.auth import oidc_keys, oidc_tokens
from gatehold.auth.oidc_tokens import UnverifiedToken
from gatehold.authz import enforcer
from gatehold.authz.policies import compiled
from gatehold.context import ANONYMOUS, Principal, PrincipalKind, SessionFacts
from gatehold.errors import AwsError, access_denied
from gatehold.policy import PolicyKind, PolicyRef
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.sts.assume import find_role, note_role_used, role_session_duration
from gatehold.services.sts.common import (
    expiry,
    mint,
    packed_size,
    session_policy_texts,
    tag_context,
)
from gatehold.store import providers
from gatehold.store.providers import OidcProvider
from gatehold.store.roles import Role

Context = dict[str, tuple[str, ...]]
ACTION = "sts:AssumeRoleWithWebIdentity"

# One process-wide cache of the providers' signing keys: every worker thread
# shares it (oidc_keys.KeySource is thread-safe).
KEYS = oidc_keys.KeySource()


def _not_authorized() -> AwsError:
    # AWS's text (quoted in SDK reports); it names no reason, so a caller cannot
    # tell a missing role from a trust policy that does not allow it.
    return access_denied(f"Not authorized to perform {ACTION}")


def _account_of(role_arn: str) -> str:
    parts = role_arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _provider(call: Call, token: UnverifiedToken, role_arn: str) -> OidcProvider:
    """The IAM OIDC provider of the role's account that the token's issuer names.

    Looked up before anything is fetched: only issuers an administrator registered
    are ever contacted.
    """
    account = _account_of(role_arn)
    url = oidc_tokens.provider_url(token.issuer)
    provider = providers.get_oidc(call.db, account, f"arn:aws:iam::{account}:oidc-provider/{url}")
    if provider is None:
        # AWS's text, quoted in many SDK reports.
        raise oidc_tokens.invalid_token(
            f"No OpenIDConnect provider found in your account for {token.issuer}"
        )
    return provider


def _claim_context(provider: OidcProvider, claims: dict[str, Any], aud: str) -> Context:
    """The token's condition keys, named after the provider URL (IAM condition keys)."""
    prefix = provider.url
    context: Context = {
        f"{prefix}:sub": (str(claims["sub"]),),
        f"{prefix}:aud": (aud,),
        "aws:FederatedProvider": (provider.arn,),
    }
    original = oidc_tokens.audiences(claims)
    if original:
        context[f"{prefix}:oaud"] = tuple(original)
    amr = claims.get("amr")
    if isinstance(amr, str):
        amr = [amr]
    if isinstance(amr, list):  # multivalued: tested with ForAnyValue/ForAllValues
        context[f"{prefix}:amr"] = tuple(str(v) for v in amr)
    return context


def _trust_context(
    claim_keys: Context,
    params: Params,
    tags: tuple[tuple[str, str], ...],
    transitive: tuple[str, ...],
    source: str | None,
) -> Context:
    context: Context = {**claim_keys, **tag_context(tags)}
    if transitive:
        context["sts:TransitiveTagKeys"] = transitive
    context["sts:RoleSessionName"] = (params["RoleSessionName"],)
    if source:
        context["sts:SourceIdentity"] = (source,)
    return context


def _authorize(
    call: Call,
    role: Role,
    provider: OidcProvider,
    context: Context,
    *,
    tagged: bool,
    source: str | None,
) -> None:
    trust = compiled(
        ("trust", role.role_id, role.assume_role_policy_document),
        role.assume_role_policy_document,
        PolicyKind.TRUST,
    )
    ref = PolicyRef(trust, role.arn, "resource")
    # The token, not any signature on the request, names the caller (AWS ignores
    # credentials on this operation): evaluate as the anonymous caller.
    ctx = replace(call.ctx, principal=ANONYMOUS)
    actions = [ACTION]
    if tagged:
        actions.append("sts:TagSession")
    if source:
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        if not enforcer.federated_allows(ctx, provider.arn, action, role.arn, context, ref):
            if action == ACTION:
                raise _not_authorized()
            # Unconfirmed text: AWS's form for the main action, naming the one refused.
            raise access_denied(f"Not authorized to perform {action}")


def _verified(
    call: Call, token: UnverifiedToken, role_arn: str
) -> tuple[OidcProvider, dict[str, Any], str]:
    """The provider, the verified claims and the audience; AWS's error otherwise."""
    provider = _provider(call, token, role_arn)
    # The audience is checked before any key is fetched: a token for another
    # client costs no request to its issuer.
    oidc_tokens.audience(token.claims, provider.client_ids)
    claims = dict(oidc_tokens.verify_signature(token, KEYS.keys_for(token)))
    aud = oidc_tokens.audience(claims, provider.client_ids)  # again, from signed claims
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise oidc_tokens.missing_claim("sub")
    oidc_tokens.check_times(claims, int(call.ctx.now.timestamp()))
    return provider, claims, aud


def assume_role_with_web_identity(call: Call, params: Params) -> Result:
    if params.get("ProviderId"):
        # OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com are checked
        # by asking those providers; gatehold checks OpenID Connect ID tokens only.
        raise oidc_tokens.invalid_token(
            "ProviderId is for OAuth 2.0 access tokens, which this server does not accept; "
            "pass an OpenID Connect ID token without ProviderId."
        )
    token = oidc_tokens.parse(params["WebIdentityToken"])
    provider, claims, aud = _verified(call, token, params["RoleArn"])
    # CloudTrail names the verified subject, even when the trust policy then refuses.
    call.audit.federated(
        "WebIdentityUser", subject=claims["sub"], provider=provider.url, audience=aud
    )
    tags, transitive = oidc_tokens.session_tags(claims)
    source = oidc_tokens.source_identity(claims)
    role = find_role(call, params["RoleArn"])
    if role is None:
        raise _not_authorized()
    context = _trust_context(
        _claim_context(provider, claims, aud), params, tags, transitive, source
    )
    _authorize(call, role, provider, context, tagged=bool(tags), source=source)
    return _issue(call, params, role, provider, claims, aud, tags, transitive, source)


def _issue(
    call: Call,
    params: Params,
    role: Role,
    provider: OidcProvider,
    claims: dict[str, Any],
    aud: str,
    tags: tuple[tuple[str, str], ...],
    transitive: tuple[str, ...],
    source: str | None,
) -> Result:
    name = params["RoleSessionName"]
    session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.role_name}/{name}"
    principal = Principal(
        kind=PrincipalKind.ASSUMED_ROLE,
        account_id=role.account_id,
        arn=session_arn,
        user_id=f"{role.role_id}:{name}",
    )
    # From here on the caller is the role session: session policies are looked up
    # in the role's account ("The policies must exist in the same account as the role").
    call = replace(call, ctx=replace(call.ctx, principal=principal))
    policies = session_policy_texts(call, params)
    size = packed_size(policies, tags)
    issued, expires = expiry(call, role_session_duration(params, role, chained=False))
    facts = SessionFacts(
        issued_at=issued,
        expires_at=expires,
        role_id=role.role_id,
        role_arn=role.arn,
        session_name=name,
        source_identity=source,
        tags=tags,
        transitive_tag_keys=transitive,
        policies=policies,
        federated_provider=provider.url,
    )
    _, credentials = mint(call, principal, facts)
    note_role_used(call, role)
    result: Result = {
        "Credentials": credentials,
        "SubjectFromWebIdentityToken": claims["sub"],
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{name}", "Arn": session_arn},
        # AWS answers the IAM provider's ARN here for IAM OIDC providers (the API
        # reference's example shows an OAuth ProviderId, which we do not accept).
        "Provider": provider.arn,
        "Audience": aud,
    }
    if policies or tags:  # as AssumeRole: only when something was packed
        result["PackedPolicySize"] = size
    if source:
        result["SourceIdentity"] = source
    return result


HANDLERS: dict[str, Handler] = {
    "AssumeRoleWithWebIdentity": assume_role_with_web_identity,
}
