"""IAM OpenID Connect identity providers.

A provider is identified by its issuer URL: the ARN is
arn:aws:iam::ACCOUNT:oidc-provider/<host/path> (the URL without "https://"), and
one account holds one provider per URL. Get answers the URL without its scheme,
as AWS does. Quotas (IAM quotas page and recorded AWS answers): 100 client IDs
per provider, 5 thumbprints, 100 OIDC providers per account.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from gatehold.errors import AwsError, validation_error
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import credential_errors, resource_tags, tagging
from gatehold.services.iam.common import authorization_changed
from gatehold.services.iam.errors import invalid_input, quota_exceeded
from gatehold.services.iam.identity_propagation import updated_propagation, validated_new
from gatehold.services.iam.resource_tags import Tagged
from gatehold.store import providers, tags
from gatehold.store.providers import OidcProvider

TAG_TYPE = "oidc-provider"
MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
MAX_PROVIDERS = 100


def provider_arn(account_id: str, url: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{url}"


def _url_without_scheme(url: str) -> str:
    """host/path of an https:// issuer URL; AWS's ValidationError for anything else."""
    parts = urlsplit(url)
    # OIDC issuers are https URLs; the OIDC specification allows a path but no
    # query or fragment (CreateOpenIDConnectProvider's documentation).
    if parts.scheme.lower() != "https" or not parts.hostname or parts.query or parts.fragment:
        # Recorded AWS answer for Url="example.org" (LocalStack snapshot, 2026-02).
        raise validation_error("Invalid Open ID Connect Provider URL")
    return url[len("https://") :]


def _check_thumbprints(thumbprints: list[str]) -> None:
    if len(thumbprints) > MAX_THUMBPRINTS:
        # Recorded AWS answer for 6 thumbprints (LocalStack snapshot, 2026-02).
        raise invalid_input("Thumbprint list must contain fewer than 5 entries.")


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _client_ids(values: list[str]) -> tuple[str, ...]:
    ids = _unique(values)
    if len(ids) > MAX_CLIENT_IDS:
        raise quota_exceeded("ClientIdsPerOpenIdConnectProvider", MAX_CLIENT_IDS)
    return ids


def _find(call: Call, params: Params) -> tuple[str, Tagged | None]:
    arn = params["OpenIDConnectProviderArn"]
    provider = providers.get_oidc(call.db, call.ctx.principal.account_id, arn)
    return arn, Tagged(arn, TAG_TYPE, arn) if provider else None


def _not_found(params: Params) -> AwsError:
    return credential_errors.oidc_not_found(params["OpenIDConnectProviderArn"])


def _authorized(call: Call, params: Params, action: str) -> OidcProvider:
    """The provider the request names, after authorizing `action` on it."""
    resource = resource_tags.authorize_on(call, params, _find, _not_found, action)
    provider = providers.get_oidc(call.db, call.ctx.principal.account_id, resource.arn)
    assert provider is not None
    return provider


def create_open_id_connect_provider(call: Call, params: Params) -> Result:
    account_id = call.ctx.principal.account_id
    url = params["Url"]
    # The ARN is only known from a valid URL; a malformed one is refused before
    # anything else, as AWS's input validation does.
    arn = provider_arn(account_id, _url_without_scheme(url))
    call.authorize(
        "iam:CreateOpenIDConnectProvider", arn, tagging.request_tag_context(params.get("Tags"))
    )
    thumbprints = list(params.get("ThumbprintList") or [])
    _check_thumbprints(thumbprints)
    client_ids = _client_ids(list(params.get("ClientIDList") or []))
    pairs = tagging.tag_pairs(params.get("Tags"))
    tagging.check_new_tags(pairs)
    context, center = validated_new(params)
    if providers.get_oidc(call.db, account_id, arn) is not None:
        raise credential_errors.oidc_exists(url)
    if providers.count_oidc(call.db, account_id) >= MAX_PROVIDERS:
        raise quota_exceeded("OpenIdConnectProvidersPerAccount", MAX_PROVIDERS)
    provider = OidcProvider(
        arn=arn,
        account_id=account_id,
        url=url[len("https://") :],
        client_ids=client_ids,
        thumbprints=_unique(thumbprints),
        created_at=call.ctx.now,
        context_provider=context,
        identity_center_instance_arn=center,
    )
    try:
        providers.insert_oidc(call.db, provider)
    except IntegrityError as exc:  # a concurrent create of the same URL won (PostgreSQL)
        raise credential_errors.oidc_exists(url) from exc
    tags.put(call.db, TAG_TYPE, arn, pairs)
    authorization_changed(call)
    result: Result = {"OpenIDConnectProviderArn": arn}
    if pairs:
        result["Tags"] = tagging.listed(call.db, TAG_TYPE, arn)
    return result


def get_open_id_connect_provider(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:GetOpenIDConnectProvider")
    result: dict[str, Any] = {
        "Url": p.url,
        "ClientIDList": list(p.client_ids),
        "ThumbprintList": list(p.thumbprints),
        "CreateDate": p.created_at,
        "Tags": tagging.listed(call.db, TAG_TYPE, p.arn),
    }
    if p.context_provider is not None:
        result["ContextProvider"] = p.context_provider
    if p.identity_center_instance_arn is not None:
        result["IdentityCenterInstanceArn"] = p.identity_center_instance_arn
    return result


def list_open_id_connect_providers(call: Call, params: Params) -> Result:
    call.authorize("iam:ListOpenIDConnectProviders", "*")
    entries = []
    for p in providers.list_oidc(call.db, call.ctx.principal.account_id):
        entry: dict[str, Any] = {"Arn": p.arn}
        if p.context_provider is not None:
            entry["IsTrustedIdentityPropagationEnabled"] = True
        entries.append(entry)
    return {"OpenIDConnectProviderList": entries}


def delete_open_id_connect_provider(call: Call, params: Params) -> Result:
    # Delete answers NoSuchEntity in its own wording (recorded AWS answers differ).
    resource = resource_tags.authorize_on(
        call,
        params,
        _find,
        lambda p: credential_errors.oidc_not_found_on_delete(p["OpenIDConnectProviderArn"]),
        "iam:DeleteOpenIDConnectProvider",
    )
    providers.delete_oidc(call.db, resource.arn)
    tags.remove_all(call.db, TAG_TYPE, resource.arn)
    authorization_changed(call)
    return {}


def add_client_id_to_open_id_connect_provider(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:AddClientIDToOpenIDConnectProvider")
    client_ids = _client_ids([*p.client_ids, params["ClientID"]])  # idempotent, as AWS documents
    if client_ids != p.client_ids:
        providers.update_oidc(call.db, p.with_changes(client_ids=client_ids))
        authorization_changed(call)
    return {}


def remove_client_id_from_open_id_connect_provider(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:RemoveClientIDFromOpenIDConnectProvider")
    client_ids = tuple(c for c in p.client_ids if c != params["ClientID"])
    if client_ids != p.client_ids:  # removing an absent client ID is not an error
        providers.update_oidc(call.db, p.with_changes(client_ids=client_ids))
        authorization_changed(call)
    return {}


def update_open_id_connect_provider_thumbprint(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:UpdateOpenIDConnectProviderThumbprint")
    thumbprints = list(params["ThumbprintList"])
    _check_thumbprints(thumbprints)
    # The new list replaces the old one; the lists are not merged.
    providers.update_oidc(call.db, p.with_changes(thumbprints=_unique(thumbprints)))
    authorization_changed(call)
    return {}


def update_open_id_connect_provider(call: Call, params: Params) -> Result:
    p = _authorized(call, params, "iam:UpdateOpenIDConnectProvider")
    context, center = updated_propagation(
        params, p.context_provider, p.identity_center_instance_arn
    )
    providers.update_oidc(
        call.db, p.with_changes(context_provider=context, identity_center_instance_arn=center)
    )
    authorization_changed(call)
    return {}


def tag_open_id_connect_provider(call: Call, params: Params) -> Result:
    return resource_tags.tag(call, params, _find, _not_found, "iam:TagOpenIDConnectProvider")


def untag_open_id_connect_provider(call: Call, params: Params) -> Result:
    return resource_tags.untag(call, params, _find, _not_found, "iam:UntagOpenIDConnectProvider")


def list_open_id_connect_provider_tags(call: Call, params: Params) -> Result:
    return resource_tags.list_tags(
        call, params, _find, _not_found, "iam:ListOpenIDConnectProviderTags"
    )


HANDLERS = {
    "CreateOpenIDConnectProvider": create_open_id_connect_provider,
    "GetOpenIDConnectProvider": get_open_id_connect_provider,
    "ListOpenIDConnectProviders": list_open_id_connect_providers,
    "DeleteOpenIDConnectProvider": delete_open_id_connect_provider,
    "AddClientIDToOpenIDConnectProvider": add_client_id_to_open_id_connect_provider,
    "RemoveClientIDFromOpenIDConnectProvider": remove_client_id_from_open_id_connect_provider,
    "UpdateOpenIDConnectProviderThumbprint": update_open_id_connect_provider_thumbprint,
    "UpdateOpenIDConnectProvider": update_open_id_connect_provider,
    "TagOpenIDConnectProvider": tag_open_id_connect_provider,
    "UntagOpenIDConnectProvider": untag_open_id_connect_provider,
    "ListOpenIDConnectProviderTags": list_open_id_connect_provider_tags,
}
