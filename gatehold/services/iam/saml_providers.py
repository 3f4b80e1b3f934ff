"""IAM SAML 2.0 identity providers.

ARN arn:aws:iam::ACCOUNT:saml-provider/NAME. The metadata document must be SAML
metadata for an identity provider with a signing certificate (see
auth/saml_metadata.py). A provider may hold up to two private keys for decrypting
assertions; they are sealed with the operator's key and never returned, only
their IDs and timestamps. Quota (IAM quotas page): 100 SAML providers per account.
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy.exc import IntegrityError

from gatehold.auth import saml_metadata
from gatehold.errors import AwsError
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import credential_errors, resource_tags, tagging
from gatehold.services.iam.common import authorization_changed
from gatehold.services.iam.errors import invalid_input, quota_exceeded
from gatehold.services.iam.identity_propagation import (
    has_propagation_change,
    updated_propagation,
    validated_new,
)
from gatehold.services.iam.resource_tags import Tagged
from gatehold.store import providers, tags
from gatehold.store.providers import SamlPrivateKey, SamlProvider

TAG_TYPE = "saml-provider"
MAX_PROVIDERS = 100
MAX_PRIVATE_KEYS = 2
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def provider_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:saml-provider/{name}"


def _new_id(length: int = 26) -> str:
    # SAMLProviderUUID and private key IDs: 22-64 characters of [A-Z0-9] (the model).
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _read_metadata(document: str) -> saml_metadata.SamlMetadata:
    try:
        return saml_metadata.parse(document)
    except saml_metadata.MetadataError as exc:
        raise credential_errors.bad_saml_metadata() from exc


def _sealed_key(call: Call, pem: str) -> SamlPrivateKey:
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise invalid_input("The private key is not a valid unencrypted PEM private key.") from exc
    assert call.box is not None
    key_id = _new_id()
    return SamlPrivateKey(key_id, call.ctx.now, call.box.seal(pem.encode(), key_aad(key_id)))


def key_aad(key_id: str) -> bytes:
    return b"saml_private_key:" + key_id.encode("ascii")


def _check_encryption(mode: str, keys: tuple[SamlPrivateKey, ...]) -> None:
    if len(keys) > MAX_PRIVATE_KEYS:
        raise quota_exceeded("PrivateKeysPerSamlProvider", MAX_PRIVATE_KEYS)
    if mode == "Required" and not keys:
        # Unconfirmed text: assertions cannot be required to be encrypted without a key.
        raise invalid_input("A private key is required when AssertionEncryptionMode is Required.")


def _find(call: Call, params: Params) -> tuple[str, Tagged | None]:
    arn = params["SAMLProviderArn"]
    provider = providers.get_saml(call.db, call.ctx.principal.account_id, arn)
    return arn, Tagged(arn, TAG_TYPE, arn) if provider else None


def _not_found(params: Params) -> AwsError:
    return credential_errors.saml_not_found(params["SAMLProviderArn"])


def _authorized(call: Call, params: Params, action: str) -> SamlProvider:
    resource = resource_tags.authorize_on(call, params, _find, _not_found, action)
    provider = providers.get_saml(call.db, call.ctx.principal.account_id, resource.arn)
    assert provider is not None
    return provider


def create_saml_provider(call: Call, params: Params) -> Result:
    account_id = call.ctx.principal.account_id
    name = params["Name"]
    arn = provider_arn(account_id, name)
    call.authorize("iam:CreateSAMLProvider", arn, tagging.request_tag_context(params.get("Tags")))
    metadata = _read_metadata(params["SAMLMetadataDocument"])
    pairs = tagging.tag_pairs(params.get("Tags"))
    tagging.check_new_tags(pairs)
    context, center = validated_new(params)
    keys = (_sealed_key(call, params["AddPrivateKey"]),) if params.get("AddPrivateKey") else ()
    mode = params.get("AssertionEncryptionMode") or "Allowed"
    _check_encryption(mode, keys)
    if providers.get_saml(call.db, account_id, arn) is not None:
        raise credential_errors.saml_exists(name)
    if providers.count_saml(call.db, account_id) >= MAX_PROVIDERS:
        raise quota_exceeded("SamlProvidersPerAccount", MAX_PROVIDERS)
    provider = SamlProvider(
        arn=arn,
        account_id=account_id,
        name=name,
        metadata_document=params["SAMLMetadataDocument"],
        valid_until=metadata.valid_until,
        created_at=call.ctx.now,
        uuid=_new_id(),
        assertion_encryption_mode=mode,
        private_keys=keys,
        context_provider=context,
        identity_center_instance_arn=center,
    )
    try:
        providers.insert_saml(call.db, provider)
    except IntegrityError as exc:  # a concurrent create of the same name won (PostgreSQL)
        raise credential_errors.saml_exists(name) from exc
    tags.put(call.db, TAG_TYPE, arn, pairs)
    authorization_changed(call)
    result: Result = {"SAMLProviderArn": arn}
    if pairs:
        result["Tags"] = tagging.listed(call.db, TAG_TYPE, arn)
    return result


def get_saml_provider(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:GetSAMLProvider")
    result: dict[str, Any] = {
        "SAMLProviderUUID": p.uuid,
        "SAMLMetadataDocument": p.metadata_document,
        "CreateDate": p.created_at,
        "Tags": tagging.listed(call.db, TAG_TYPE, p.arn),
        "AssertionEncryptionMode": p.assertion_encryption_mode,
        "PrivateKeyList": [{"KeyId": k.key_id, "Timestamp": k.created_at} for k in p.private_keys],
    }
    if p.valid_until is not None:
        result["ValidUntil"] = p.valid_until
    if p.context_provider is not None:
        result["ContextProvider"] = p.context_provider
    if p.identity_center_instance_arn is not None:
        result["IdentityCenterInstanceArn"] = p.identity_center_instance_arn
    return result


def list_saml_providers(call: Call, params: Params) -> Result:
    call.authorize("iam:ListSAMLProviders", "*")
    entries = []
    for p in providers.list_saml(call.db, call.ctx.principal.account_id):
        entry: dict[str, Any] = {"Arn": p.arn, "CreateDate": p.created_at}
        if p.valid_until is not None:
            entry["ValidUntil"] = p.valid_until
        if p.context_provider is not None:
            entry["IsTrustedIdentityPropagationEnabled"] = True
        entries.append(entry)
    return {"SAMLProviderList": entries}


_METADATA_FIELDS = (
    "SAMLMetadataDocument",
    "AssertionEncryptionMode",
    "AddPrivateKey",
    "RemovePrivateKey",
)


def _updated_keys(call: Call, params: Params, p: SamlProvider) -> tuple[SamlPrivateKey, ...]:
    keys = p.private_keys
    removing = params.get("RemovePrivateKey")
    if removing is not None:
        if removing not in {k.key_id for k in keys}:
            raise invalid_input(f"The private key with id {removing} does not exist.")
        keys = tuple(k for k in keys if k.key_id != removing)
    if params.get("AddPrivateKey"):
        keys = (*keys, _sealed_key(call, params["AddPrivateKey"]))
    return keys


def update_saml_provider(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:UpdateSAMLProvider")
    touches_metadata = any(params.get(f) is not None for f in _METADATA_FIELDS)
    if touches_metadata and (params.get("ContextProvider") or params.get("RemoveContextProvider")):
        raise invalid_input(
            "A request can change either the context provider or the provider metadata, not both."
        )
    changes: dict[str, Any] = {}
    if params.get("SAMLMetadataDocument") is not None:
        metadata = _read_metadata(params["SAMLMetadataDocument"])
        changes["metadata_document"] = params["SAMLMetadataDocument"]
        changes["valid_until"] = metadata.valid_until
    keys = _updated_keys(call, params, p)
    mode = params.get("AssertionEncryptionMode") or p.assertion_encryption_mode
    _check_encryption(mode, keys)
    if has_propagation_change(params):
        context, center = updated_propagation(
            params, p.context_provider, p.identity_center_instance_arn
        )
        changes.update(context_provider=context, identity_center_instance_arn=center)
    providers.update_saml(
        call.db, p.with_changes(private_keys=keys, assertion_encryption_mode=mode, **changes)
    )
    authorization_changed(call)
    return {"SAMLProviderArn": p.arn}


def delete_saml_provider(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:DeleteSAMLProvider")
    providers.delete_saml(call.db, p.arn)
    tags.remove_all(call.db, TAG_TYPE, p.arn)
    authorization_changed(call)
    return {}


def tag_saml_provider(call: Call, params: Params) -> Result:
    return resource_tags.tag(call, params, _find, _not_found, "iam:TagSAMLProvider")


def untag_saml_provider(call: Call, params: Params) -> Result:
    return resource_tags.untag(call, params, _find, _not_found, "iam:UntagSAMLProvider")


def list_saml_provider_tags(call: Call, params: Params) -> Result:
    return resource_tags.list_tags(call, params, _find, _not_found, "iam:ListSAMLProviderTags")


HANDLERS = {
    "CreateSAMLProvider": create_saml_provider,
    "GetSAMLProvider": get_saml_provider,
    "ListSAMLProviders": list_saml_providers,
    "UpdateSAMLProvider": update_saml_provider,
    "DeleteSAMLProvider": delete_saml_provider,
    "TagSAMLProvider": tag_saml_provider,
    "UntagSAMLProvider": untag_saml_provider,
    "ListSAMLProviderTags": list_saml_provider_tags,
}
