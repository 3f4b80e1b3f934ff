"""IAM identity providers (OpenID Connect and SAML) through boto3 against a real server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.certs import private_key_pem, rsa_key, saml_metadata
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer

THUMB_A, THUMB_B, THUMB_C = "a" * 40, "b" * 40, "0123456789abcdef0123456789abcdef01234567"


def _uid() -> str:
    return uuid.uuid4().hex[:8]


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    r = exc.value.response
    return (
        r["ResponseMetadata"]["HTTPStatusCode"],
        r["Error"]["Code"],
        r["Error"].get("Message", ""),
    )


# --- OpenID Connect -------------------------------------------------------------------


def test_oidc_provider_is_created_read_and_listed_as_aws_shows_it(
    iam: Any, server: RunningServer
) -> None:
    host = f"oidc-{_uid()}.example.com"
    created = iam.create_open_id_connect_provider(
        Url=f"https://{host}/auth", ClientIDList=["sts.amazonaws.com"], ThumbprintList=[THUMB_A]
    )
    arn = created["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{server.account_id}:oidc-provider/{host}/auth"
    assert "Tags" not in created  # AWS answers Tags only when some were given
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == f"{host}/auth"  # without the scheme, as AWS answers
    assert got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["ThumbprintList"] == [THUMB_A]
    assert got["Tags"] == []
    assert abs((datetime.now(UTC) - got["CreateDate"]).total_seconds()) < 120
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert {"Arn": arn} in listed


def test_oidc_provider_for_the_same_url_twice_is_refused(iam: Any) -> None:
    url = f"https://dup-{_uid()}.example.com"
    iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB_A])
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB_B])
    assert _error(exc) == (409, "EntityAlreadyExists", f"Provider with url {url} already exists.")


@pytest.mark.parametrize(
    "url", ["example.org", "http://insecure.example.com", "https://q.example.com/?a=b"]
)
def test_oidc_provider_url_must_be_an_https_issuer(iam: Any, url: str) -> None:
    before = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB_A])
    assert _error(exc) == (400, "ValidationError", "Invalid Open ID Connect Provider URL")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == before


def test_oidc_provider_quotas_on_thumbprints_and_client_ids(iam: Any) -> None:
    url = f"https://quota-{_uid()}.example.com"
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=[c * 40 for c in "abcdef"])
    assert _error(exc) == (
        400,
        "InvalidInput",
        "Thumbprint list must contain fewer than 5 entries.",
    )
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(
            Url=url, ThumbprintList=[THUMB_A], ClientIDList=[str(i) for i in range(101)]
        )
    assert _error(exc) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
    )
    # Neither failed call left a provider behind.
    iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB_A])


def test_oidc_client_ids_and_thumbprints_are_changed_in_place(iam: Any) -> None:
    arn = iam.create_open_id_connect_provider(
        Url=f"https://change-{_uid()}.example.com", ClientIDList=["one"], ThumbprintList=[THUMB_A]
    )["OpenIDConnectProviderArn"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="two")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="two")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="one")
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="absent"
    )
    iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB_B, THUMB_C]
    )
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["two"]
    assert got["ThumbprintList"] == [THUMB_B, THUMB_C]  # replaced, not merged


def test_oidc_provider_deleted_is_gone_with_awss_two_wordings(
    iam: Any, server: RunningServer
) -> None:
    arn = iam.create_open_id_connect_provider(
        Url=f"https://gone-{_uid()}.example.com", ThumbprintList=[THUMB_A]
    )["OpenIDConnectProviderArn"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert _error(exc) == (404, "NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}")
    with pytest.raises(ClientError) as exc:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert _error(exc) == (404, "NoSuchEntity", f"OpenId connect Provider {arn} cannot be found.")
    with pytest.raises(ClientError) as exc:
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="x")
    assert _error(exc)[1] == "NoSuchEntity"


def test_oidc_provider_tags_page_in_key_order(iam: Any) -> None:
    tags = [{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(10)]
    created = iam.create_open_id_connect_provider(
        Url=f"https://tags-{_uid()}.example.com", ThumbprintList=[THUMB_A], Tags=tags[5:]
    )
    arn = created["OpenIDConnectProviderArn"]
    assert created["Tags"] == tags[5:]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=tags[:5])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["k09"])
    pages, marker = [], None
    while True:
        kw: dict[str, Any] = {"Marker": marker} if marker else {}
        page = iam.list_open_id_connect_provider_tags(
            OpenIDConnectProviderArn=arn, MaxItems=4, **kw
        )
        pages.append(page["Tags"])
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert [len(p) for p in pages] == [4, 4, 1]
    assert [t for p in pages for t in p] == tags[:9]


def test_oidc_trusted_identity_propagation_settings(iam: Any) -> None:
    arn = iam.create_open_id_connect_provider(
        Url=f"https://tip-{_uid()}.example.com", ThumbprintList=[THUMB_A]
    )["OpenIDConnectProviderArn"]
    context = {"SubjectSourceKey": "sub", "KeyDefinitionList": [{"SourceKey": "email"}]}
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=context)
    assert (
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ContextProvider"] == context
    )
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert {"Arn": arn, "IsTrustedIdentityPropagationEnabled": True} in listed
    with pytest.raises(ClientError) as exc:
        iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ContextProvider=context, RemoveContextProvider=True
        )
    assert _error(exc)[:2] == (400, "InvalidInput")
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    assert "ContextProvider" not in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_oidc_caller_without_permission_learns_nothing(iam: Any, server: RunningServer) -> None:
    arn = iam.create_open_id_connect_provider(
        Url=f"https://private-{_uid()}.example.com", ThumbprintList=[THUMB_A]
    )["OpenIDConnectProviderArn"]
    denied = server.client("iam", keys=add_user_with_key(server, f"no-oidc-{_uid()}"))
    missing = f"arn:aws:iam::{server.account_id}:oidc-provider/missing.example.com"
    for target in (arn, missing):
        with pytest.raises(ClientError) as exc:
            denied.get_open_id_connect_provider(OpenIDConnectProviderArn=target)
        status, code, message = _error(exc)
        assert (status, code) == (403, "AccessDenied")
        assert f"iam:GetOpenIDConnectProvider on resource: {target}" in message
    with pytest.raises(ClientError) as exc:
        denied.create_open_id_connect_provider(
            Url="https://evil.example.com", ThumbprintList=[THUMB_A]
        )
    assert _error(exc)[1] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        denied.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert _error(exc)[1] == "AccessDenied"
    iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)  # still there


# --- SAML ------------------------------------------------------------------------------


def test_saml_provider_lifecycle(iam: Any, server: RunningServer) -> None:
    name = f"Corp-IdP_{_uid()}"
    document = saml_metadata("idp.corp.example.com", valid_until="2031-05-09T16:27:11Z")
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=document)["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{server.account_id}:saml-provider/{name}"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == document
    assert got["ValidUntil"] == datetime(2031, 5, 9, 16, 27, 11, tzinfo=UTC)
    assert got["AssertionEncryptionMode"] == "Allowed"
    assert got["PrivateKeyList"] == []
    assert got["Tags"] == []
    assert len(got["SAMLProviderUUID"]) >= 22 and got["SAMLProviderUUID"].isalnum()
    entry = next(p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn)
    assert set(entry) == {"Arn", "ValidUntil", "CreateDate"}

    updated = saml_metadata("idp2.corp.example.com", valid_until="2032-01-01T00:00:00Z")
    assert (
        iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=updated)[
            "SAMLProviderArn"
        ]
        == arn
    )
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert "idp2.corp.example.com" in got["SAMLMetadataDocument"]
    assert got["ValidUntil"].year == 2032

    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert _error(exc) == (404, "NoSuchEntity", f"Manifest not found for arn {arn}")
    with pytest.raises(ClientError) as exc:
        iam.delete_saml_provider(SAMLProviderArn=arn)
    assert _error(exc) == (404, "NoSuchEntity", f"Manifest not found for arn {arn}")


def test_saml_valid_until_defaults_to_the_signing_certificate_expiry(iam: Any) -> None:
    arn = iam.create_saml_provider(
        Name=f"nodate-{_uid()}", SAMLMetadataDocument=saml_metadata(days=400)
    )["SAMLProviderArn"]
    valid_until = iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"]
    days = (valid_until - datetime.now(UTC)).days
    assert 398 <= days <= 400


def _padded(xml: str) -> str:
    return xml + "\n<!--" + "x" * 1000 + "-->"


BAD_METADATA = {
    "not xml": "this is not XML at all " * 60,
    "entity expansion": _padded(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>'
    ),
    "no IdP descriptor": _padded(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
        "<md:SPSSODescriptor/></md:EntityDescriptor>"
    ),
    "no signing certificate": _padded(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
        "</md:EntityDescriptor>"
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_saml_metadata_that_iam_cannot_use_is_refused(iam: Any, case: str) -> None:
    name = f"bad-{_uid()}"
    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name=name, SAMLMetadataDocument=BAD_METADATA[case])
    assert _error(exc) == (400, "InvalidInput", "Could not parse metadata")
    assert not any(
        p["Arn"].endswith(f"/{name}") for p in iam.list_saml_providers()["SAMLProviderList"]
    )


def test_saml_provider_name_is_unique(iam: Any) -> None:
    name = f"twice-{_uid()}"
    iam.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata())
    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata())
    assert _error(exc) == (409, "EntityAlreadyExists", f"Provider with name {name} already exists.")


def test_saml_private_keys_are_kept_but_never_shown(iam: Any) -> None:
    key_pem = private_key_pem(rsa_key(3))
    arn = iam.create_saml_provider(
        Name=f"enc-{_uid()}",
        SAMLMetadataDocument=saml_metadata(),
        AddPrivateKey=key_pem,
        AssertionEncryptionMode="Required",
        Tags=[{"Key": "team", "Value": "sso"}],
    )["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Required"
    (key,) = got["PrivateKeyList"]
    assert set(key) == {"KeyId", "Timestamp"}
    assert "PRIVATE KEY" not in str(got)
    assert got["Tags"] == [{"Key": "team", "Value": "sso"}]
    # The only key cannot go while assertions must be encrypted; nothing changes.
    with pytest.raises(ClientError) as exc:
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=key["KeyId"])
    assert _error(exc)[:2] == (400, "InvalidInput")
    assert iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"] == [key]
    iam.update_saml_provider(
        SAMLProviderArn=arn, RemovePrivateKey=key["KeyId"], AssertionEncryptionMode="Allowed"
    )
    assert iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"] == []
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == []


def test_saml_caller_without_permission_is_denied(iam: Any, server: RunningServer) -> None:
    denied = server.client("iam", keys=add_user_with_key(server, f"no-saml-{_uid()}"))
    name = f"denied-{_uid()}"
    with pytest.raises(ClientError) as exc:
        denied.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata())
    status, code, message = _error(exc)
    assert (status, code) == (403, "AccessDenied")
    assert (
        f"iam:CreateSAMLProvider on resource: arn:aws:iam::{server.account_id}:saml-provider/{name}"
        in message
    )
    with pytest.raises(ClientError) as exc:
        denied.list_saml_providers()
    assert _error(exc)[1] == "AccessDenied"
