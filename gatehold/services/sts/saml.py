"""AssumeRoleWithSAML: role sessions for holders of a signed SAML assertion.

AWS (STS API_AssumeRoleWithSAML; IAM id_roles_providers_saml and
id_roles_providers_create_saml_assertions): the call is unsigned; the caller
proves who it is with a SAML Response its identity provider signed. The
provider is the IAM SAML provider PrincipalArn names (its metadata holds the
signing certificates and the entity ID); the assertion's Role attribute must
list the requested RoleArn with that provider; then the role's trust policy
alone decides, for the provider as a Federated principal, with the
assertion's claims as condition keys (saml:aud, saml:sub, saml:iss ...).

Reading and checking the assertion is gatehold/auth/saml_assertions.py; the
session is minted as AssumeRole's (sts/common.py, sts/assume.py).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from gatehold import errors
from gatehold.auth import saml_metadata
from gatehold.auth.saml_assertions import (
    AssertionRejected,
    Expected,
    ProviderKeys,
    SamlAssertion,
    read_response,
)
from gatehold.authz.enforcer import federated_allows
from gatehold.authz.policies import compiled
from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.errors import AwsError, access_denied
from gatehold.policy import PolicyKind, PolicyRef
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.saml_providers import key_aad as saml_key_aad
from gatehold.services.sts.assume import (
    find_role,
    note_role_used,
    role_session_duration,
    session_tags,
)
from gatehold.services.sts.common import (
    expiry,
    mint,
    packed_size,
    session_policy_texts,
    tag_context,
)
from gatehold.store import providers
from gatehold.store.providers import SamlProvider
from gatehold.store.roles import Role

Context = dict[str, tuple[str, ...]]
ACTION = "sts:AssumeRoleWithSAML"

# SAML attributes (by their OID names, as IdPs send them) that AWS turns into
# condition keys (id_roles_providers_create_saml_assertions, "Mapping SAML
# attributes to AWS trust policy context keys").
_ATTRIBUTE_KEYS = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "saml:edupersonaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.2": "saml:edupersonnickname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": "saml:edupersonorgdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.4": "saml:edupersonorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": "saml:edupersonprimaryaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "saml:edupersonprincipalname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "saml:edupersonentitlement",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.8": "saml:edupersonprimaryorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "saml:edupersonscopedaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "saml:edupersontargetedid",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "saml:edupersonassurance",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.2": "saml:eduorghomepageuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.3": "saml:eduorgidentityauthnpolicyuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.4": "saml:eduorglegalname",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.5": "saml:eduorgsuperioruri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.6": "saml:eduorgwhitepagesuri",
    "urn:oid:2.5.4.3": "saml:cn",
    "urn:oid:2.5.4.4": "saml:surname",
    "urn:oid:2.5.4.42": "saml:givenName",
    "urn:oid:2.5.4.41": "saml:name",
    "urn:oid:0.9.2342.19200300.100.1.1": "saml:uid",
    "urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
}


def _not_authorized(action: str = ACTION) -> AwsError:
    # AWS's text for a federated caller (quoted in ADFS/SDK reports); it names no principal.
    return access_denied(f"Not authorized to perform {action}")


def _invalid_token(message: str) -> AwsError:
    return AwsError("InvalidIdentityToken", message, 400)


def _rejected(exc: AssertionRejected) -> AwsError:
    if exc.kind == "expired":
        return AwsError("ExpiredTokenException", exc.message, 400)
    if exc.kind == "rejected":
        return AwsError("IDPRejectedClaim", exc.message, 403)
    return _invalid_token(exc.message)


def _account_of(arn: str, resource_prefix: str) -> str | None:
    """The account of an IAM ARN whose resource starts with `resource_prefix`."""
    parts = arn.split(":", 5)
    ok = (
        len(parts) == 6
        and parts[0] == "arn"
        and parts[2] == "iam"
        and parts[4].isdigit()
        and parts[5].startswith(resource_prefix)
    )
    return parts[4] if ok else None


def _provider(call: Call, role_arn: str, provider_arn: str) -> SamlProvider:
    role_account = _account_of(role_arn, "role/")
    if role_account is None:
        raise errors.validation_error("Request ARN is invalid")  # AWS's text (CLI reports)
    provider_account = _account_of(provider_arn, "saml-provider/")
    if provider_account is None:
        raise errors.validation_error("Principal ARN is invalid")  # AWS's text (CLI reports)
    if provider_account != role_account:
        # AWS's text (quoted in gsts reports).
        raise errors.validation_error(
            "Principal exists outside the account of the Role being assumed."
        )
    provider = providers.get_saml(call.db, provider_account, provider_arn)
    if provider is None:
        # Unconfirmed text.
        raise _invalid_token("Specified provider doesn't exist")
    if provider.valid_until is not None and call.ctx.now >= provider.valid_until:
        # Unconfirmed text: the provider's metadata is past its validUntil.
        raise _invalid_token("The SAML provider metadata has expired")
    return provider


def _keys(call: Call, provider: SamlProvider) -> ProviderKeys:
    """The IdP's certificates and entity ID, and the provider's decryption keys."""
    try:
        metadata = saml_metadata.parse(provider.metadata_document)
    except saml_metadata.MetadataError:  # stored documents were checked: not expected
        raise _invalid_token("Response signature invalid") from None
    private_keys = []
    if call.box is not None:
        for sealed in provider.private_keys:
            pem = call.box.open(sealed.sealed, saml_key_aad(sealed.key_id))
            key = load_pem_private_key(pem, password=None)
            if isinstance(key, rsa.RSAPrivateKey):  # XML Encryption key transport is RSA
                private_keys.append(key)
    expected = Expected(
        metadata.entity_id,
        provider.uuid,
        encryption_required=provider.assertion_encryption_mode == "Required",
    )
    return ProviderKeys(metadata.signing_certificates, expected, private_keys)


def _assertion(call: Call, provider: SamlProvider, encoded: str) -> SamlAssertion:
    try:
        return read_response(encoded, _keys(call, provider), call.ctx.now)
    except AssertionRejected as exc:
        raise _rejected(exc) from None


def name_qualifier(issuer: str, provider: SamlProvider) -> str:
    """AWS (API_AssumeRoleWithSAML, NameQualifier): BASE64(SHA1(issuer + account + "/" + name))."""
    digest = hashlib.sha1(f"{issuer}{provider.account_id}/{provider.name}".encode())
    return base64.b64encode(digest.digest()).decode()


def _trust_context(
    assertion: SamlAssertion,
    provider: SamlProvider,
    tags: tuple[tuple[str, str], ...],
    transitive: tuple[str, ...],
) -> Context:
    """The condition keys a SAML assertion gives the trust policy.

    saml:aud is the Recipient (not the Audience), as AWS documents it.
    """
    context: Context = dict(tag_context(tags))
    context.update(
        {
            "saml:aud": (assertion.recipient,),
            "saml:iss": (assertion.issuer,),
            "saml:sub": (assertion.subject,),
            "saml:sub_type": (assertion.subject_type,),
            "saml:namequalifier": (name_qualifier(assertion.issuer, provider),),
            "saml:doc": (f"{provider.account_id}/{provider.name}",),
            "sts:RoleSessionName": (assertion.session_name,),
        }
    )
    for name, values in assertion.attributes.items():
        key = _ATTRIBUTE_KEYS.get(name)
        if key and values:
            context[key] = values
    if transitive:
        context["sts:TransitiveTagKeys"] = transitive
    if assertion.source_identity:
        context["sts:SourceIdentity"] = (assertion.source_identity,)
    return context


def _authorize(
    call: Call, role: Role, provider: SamlProvider, context: Context, actions: list[str]
) -> None:
    trust = compiled(
        ("trust", role.role_id, role.assume_role_policy_document),
        role.assume_role_policy_document,
        PolicyKind.TRUST,
    )
    ref = PolicyRef(trust, role.arn, "resource")
    for action in actions:
        if not federated_allows(call.ctx, provider.arn, action, role.arn, context, ref):
            raise _not_authorized(action)


def _seconds(call: Call, params: Params, role: Role, assertion: SamlAssertion) -> int:
    """DurationSeconds (checked against the role's maximum as AssumeRole does), cut
    short by the assertion's AuthnStatement SessionNotOnOrAfter (API_AssumeRoleWithSAML:
    "whichever is shorter") and by its SessionDuration attribute. AWS documents
    SessionDuration for console sessions; gatehold lets it cap API sessions too,
    as the IdP's word on how long its user may act."""
    seconds = role_session_duration(params, role, chained=False)
    if assertion.session_duration is not None:
        seconds = min(seconds, assertion.session_duration)
    end: datetime | None = assertion.session_not_on_or_after
    if end is not None:
        seconds = min(seconds, int((end - call.ctx.now).total_seconds()))
        if seconds <= 0:
            raise AwsError("ExpiredTokenException", "Response has expired", 400)
    return seconds


def assume_role_with_saml(call: Call, params: Params) -> Result:
    role_arn, provider_arn = params["RoleArn"], params["PrincipalArn"]
    provider = _provider(call, role_arn, provider_arn)
    assertion = _assertion(call, provider, params["SAMLAssertion"])
    # CloudTrail names the federated user even when the call is refused below.
    call.audit.federated(
        "SAMLUser", subject=assertion.subject, provider=name_qualifier(assertion.issuer, provider)
    )
    if (role_arn, provider_arn) not in assertion.roles:
        # The IdP did not grant this role through this provider. Unconfirmed: AWS
        # answers as for a trust policy that does not allow.
        raise _not_authorized()
    tag_params = {
        "Tags": [{"Key": k, "Value": v} for k, v in assertion.tags],
        "TransitiveTagKeys": list(assertion.transitive_tag_keys),
    }
    tags, transitive = session_tags(call.ctx.principal, tag_params)
    role = find_role(call, role_arn)
    if role is None:
        raise _not_authorized()
    actions = [ACTION]
    if tags:
        actions.append("sts:TagSession")
    if assertion.source_identity:
        actions.append("sts:SetSourceIdentity")
    _authorize(call, role, provider, _trust_context(assertion, provider, tags, transitive), actions)
    return _session(call, params, role, provider, assertion, tags, transitive)


def _session(
    call: Call,
    params: Params,
    role: Role,
    provider: SamlProvider,
    assertion: SamlAssertion,
    tags: tuple[tuple[str, str], ...],
    transitive: tuple[str, ...],
) -> Result:
    """The role session's credentials and the answer AWS gives for it."""
    name = assertion.session_name
    session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.role_name}/{name}"
    session_principal = Principal(
        kind=PrincipalKind.ASSUMED_ROLE,
        account_id=role.account_id,
        arn=session_arn,
        user_id=f"{role.role_id}:{name}",
    )
    # Session policies resolve in the role's account (the caller has none of its own).
    as_session = replace(call, ctx=replace(call.ctx, principal=session_principal))
    policies = session_policy_texts(as_session, params)
    size = packed_size(policies, tags)
    issued, expires = expiry(call, _seconds(call, params, role, assertion))
    facts = SessionFacts(
        issued_at=issued,
        expires_at=expires,
        role_id=role.role_id,
        role_arn=role.arn,
        session_name=name,
        source_identity=assertion.source_identity,
        tags=tags,
        transitive_tag_keys=transitive,
        policies=policies,
        federated_provider=provider.arn,
    )
    _, credentials = mint(call, session_principal, facts)
    note_role_used(call, role)
    result: Result = {
        "Credentials": credentials,
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{name}", "Arn": session_arn},
        "Subject": assertion.subject,
        "SubjectType": assertion.subject_type,
        "Issuer": assertion.issuer,
        "Audience": assertion.recipient,  # AWS answers the Recipient as Audience
        "NameQualifier": name_qualifier(assertion.issuer, provider),
    }
    if policies or tags:  # as AssumeRole: only when something was packed
        result["PackedPolicySize"] = size
    if assertion.source_identity:
        result["SourceIdentity"] = assertion.source_identity
    return result


HANDLERS = {
    "AssumeRoleWithSAML": assume_role_with_saml,
}
