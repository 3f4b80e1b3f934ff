"""Server certificates and service-specific credentials, through boto3; their
secrets (private keys, service passwords) are sealed at rest."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from gatehold.store import schema
from gatehold.store.db import Store, sqlite_url
from gatehold.store.secretbox import SecretBox, load_or_create_key
from tests.support.certs import Issued, issue, rsa_key
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer


@pytest.fixture(scope="module")
def chain() -> tuple[Issued, Issued, Issued]:
    root = issue("Test Root CA", rsa_key(10))
    intermediate = issue("Test Intermediate CA", rsa_key(11), issuer=root)
    leaf = issue("www.example.com", rsa_key(12), issuer=intermediate)
    return root, intermediate, leaf


def _name(prefix: str = "cert") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    r = exc.value.response
    return (
        r["ResponseMetadata"]["HTTPStatusCode"],
        r["Error"]["Code"],
        r["Error"].get("Message", ""),
    )


def _stored(server: RunningServer, table: Any, key_column: Any, key: str) -> dict[str, Any]:
    store = Store.open(server.database_url or sqlite_url(server.data_dir))
    try:
        with store.reading() as db:
            return dict(db.execute(select(table).where(key_column == key)).one()._mapping)
    finally:
        store.dispose()


def _box(server: RunningServer) -> SecretBox:
    return SecretBox(load_or_create_key(server.data_dir, create=False))


# --- server certificates --------------------------------------------------------------------


def test_server_certificate_with_chain_round_trip(
    iam: Any, server: RunningServer, chain: tuple[Issued, Issued, Issued]
) -> None:
    root, intermediate, leaf = chain
    name = _name()
    uploaded = iam.upload_server_certificate(
        Path="/cloudfront/",
        ServerCertificateName=name,
        CertificateBody=leaf.pem,
        PrivateKey=leaf.key_pem,
        CertificateChain=intermediate.pem + root.pem,
    )
    meta = uploaded["ServerCertificateMetadata"]
    assert "Tags" not in uploaded
    assert meta["Arn"] == f"arn:aws:iam::{server.account_id}:server-certificate/cloudfront/{name}"
    assert meta["Path"] == "/cloudfront/" and meta["ServerCertificateName"] == name
    assert meta["ServerCertificateId"].startswith("ASCA")
    assert meta["Expiration"] == leaf.cert.not_valid_after_utc
    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == meta
    assert got["CertificateBody"] == leaf.pem
    assert got["CertificateChain"] == intermediate.pem + root.pem
    assert got["Tags"] == []
    assert "PRIVATE KEY" not in str(got)  # the private key is never returned

    row = _stored(server, schema.server_certificates, schema.server_certificates.c.name, name)
    assert b"PRIVATE KEY" not in row["private_key_sealed"]
    aad = b"server_certificate:" + meta["ServerCertificateId"].encode()
    assert _box(server).open(row["private_key_sealed"], aad).decode() == leaf.key_pem


def test_server_certificate_material_is_checked(
    iam: Any, chain: tuple[Issued, Issued, Issued]
) -> None:
    root, _, leaf = chain
    name = _name()
    cases = [
        ({"CertificateBody": "garbage", "PrivateKey": leaf.key_pem}, "MalformedCertificate",
         "Unable to parse certificate. Please ensure the certificate is in PEM format."),
        ({"CertificateBody": leaf.pem, "PrivateKey": root.key_pem}, "KeyPairMismatch", None),
        ({"CertificateBody": leaf.pem, "PrivateKey": "not a key"}, "MalformedCertificate", None),
        ({"CertificateBody": leaf.pem, "PrivateKey": leaf.key_pem, "CertificateChain": root.pem},
         "MalformedCertificate", None),
    ]  # fmt: skip
    for kwargs, code, message in cases:
        with pytest.raises(ClientError) as exc:
            iam.upload_server_certificate(ServerCertificateName=name, **kwargs)
        status, got_code, got_message = _error(exc)
        assert (status, got_code) == (400, code)
        if message:
            assert got_message == message
    # The wrongly ordered chain names the first certificate that does not fit.
    assert "The index within the chain of the invalid certificate is: 0" in got_message
    with pytest.raises(ClientError) as exc:
        iam.get_server_certificate(ServerCertificateName=name)
    assert _error(exc) == (
        404,
        "NoSuchEntity",
        f"The Server Certificate with name {name} cannot be found.",
    )


def test_server_certificate_names_are_unique_regardless_of_case(
    iam: Any, chain: tuple[Issued, Issued, Issued]
) -> None:
    leaf = chain[2]
    name = _name("Mixed")
    iam.upload_server_certificate(
        ServerCertificateName=name, CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
    )
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(
            ServerCertificateName=name.lower(), CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
        )
    assert _error(exc) == (
        409,
        "EntityAlreadyExists",
        f"The Server Certificate with name {name.lower()} already exists.",
    )


def test_server_certificates_rename_list_by_path_and_delete(
    iam: Any, server: RunningServer, chain: tuple[Issued, Issued, Issued]
) -> None:
    leaf = chain[2]
    prefix = f"/team-{uuid.uuid4().hex[:6]}/"
    names = sorted(_name("list") for _ in range(3))
    for n in names:
        iam.upload_server_certificate(
            Path=prefix,
            ServerCertificateName=n,
            CertificateBody=leaf.pem,
            PrivateKey=leaf.key_pem,
            Tags=[{"Key": "env", "Value": "test"}],
        )
    first = iam.list_server_certificates(PathPrefix=prefix, MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.list_server_certificates(PathPrefix=prefix, MaxItems=2, Marker=first["Marker"])
    listed = first["ServerCertificateMetadataList"] + rest["ServerCertificateMetadataList"]
    assert [c["ServerCertificateName"] for c in listed] == names

    renamed = names[0] + "-new"
    iam.update_server_certificate(
        ServerCertificateName=names[0], NewServerCertificateName=renamed, NewPath="/moved/"
    )
    got = iam.get_server_certificate(ServerCertificateName=renamed)["ServerCertificate"]
    assert got["ServerCertificateMetadata"]["Arn"].endswith(f":server-certificate/moved/{renamed}")
    assert got["Tags"] == [{"Key": "env", "Value": "test"}]  # tags follow the certificate
    assert (
        len(iam.list_server_certificates(PathPrefix=prefix)["ServerCertificateMetadataList"]) == 2
    )

    iam.delete_server_certificate(ServerCertificateName=renamed)
    with pytest.raises(ClientError) as exc:
        iam.delete_server_certificate(ServerCertificateName=renamed)
    assert _error(exc)[:2] == (404, "NoSuchEntity")
    iam.untag_server_certificate(ServerCertificateName=names[1], TagKeys=["env"])
    assert iam.list_server_certificate_tags(ServerCertificateName=names[1])["Tags"] == []


def test_server_certificates_are_denied_without_permission(
    iam: Any, server: RunningServer, chain: tuple[Issued, Issued, Issued]
) -> None:
    leaf = chain[2]
    denied = server.client("iam", keys=add_user_with_key(server, _name("no-certs")))
    name = _name()
    with pytest.raises(ClientError) as exc:
        denied.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
        )
    status, code, message = _error(exc)
    assert (status, code) == (403, "AccessDenied")
    assert f"server-certificate/{name}" in message
    with pytest.raises(ClientError) as exc:
        iam.get_server_certificate(ServerCertificateName=name)
    assert _error(exc)[1] == "NoSuchEntity"


# --- service-specific credentials -------------------------------------------------------------


def test_codecommit_credentials_are_shown_once_and_sealed(iam: Any, server: RunningServer) -> None:
    user = _name("git")
    iam.create_user(UserName=user)
    created = iam.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com"
    )
    cred = created["ServiceSpecificCredential"]
    assert cred["ServiceUserName"] == f"{user}-at-{server.account_id}"
    assert len(cred["ServicePassword"]) == 44
    assert cred["ServiceSpecificCredentialId"].startswith("ACCA")
    assert cred["Status"] == "Active" and cred["UserName"] == user
    (listed,) = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert "ServicePassword" not in listed
    assert listed["ServiceSpecificCredentialId"] == cred["ServiceSpecificCredentialId"]

    row = _stored(
        server,
        schema.service_specific_credentials,
        schema.service_specific_credentials.c.credential_id,
        cred["ServiceSpecificCredentialId"],
    )
    assert cred["ServicePassword"].encode() not in row["password_sealed"]
    aad = b"service_credential:" + cred["ServiceSpecificCredentialId"].encode()
    assert _box(server).open(row["password_sealed"], aad).decode() == cred["ServicePassword"]

    reset = iam.reset_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"]
    )["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != cred["ServicePassword"]


def test_two_credentials_per_service_and_unsupported_services(iam: Any) -> None:
    user = _name("limits")
    iam.create_user(UserName=user)
    for _ in range(2):
        iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")
    assert _error(exc)[:2] == (409, "LimitExceeded")
    iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName=user, ServiceName="s3.amazonaws.com")
    assert _error(exc)[:2] == (404, "NotSupportedService")
    only = iam.list_service_specific_credentials(
        UserName=user, ServiceName="codecommit.amazonaws.com"
    )
    assert len(only["ServiceSpecificCredentials"]) == 1
    assert (
        len(iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]) == 3
    )


def test_bedrock_api_key_expires_and_carries_an_alias(iam: Any, server: RunningServer) -> None:
    user = _name("bedrock")
    iam.create_user(UserName=user)
    cred = iam.create_service_specific_credential(
        UserName=user, ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30
    )["ServiceSpecificCredential"]
    assert cred["ServiceCredentialAlias"].startswith("BedrockAPIKey-")
    assert cred["ServiceCredentialAlias"].endswith(f"-at-{server.account_id}")
    assert cred["ServiceCredentialSecret"].startswith("ABSK")
    assert "ServicePassword" not in cred
    assert (cred["ExpirationDate"] - cred["CreateDate"]).days == 30
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(
            UserName=user, ServiceName="codecommit.amazonaws.com", CredentialAgeDays=30
        )
    assert _error(exc)[:2] == (400, "InvalidInput")


def test_service_credential_status_deletion_and_all_users(iam: Any) -> None:
    users = sorted(_name("all") for _ in range(2))
    ids = []
    for u in users:
        iam.create_user(UserName=u)
        ids.append(
            iam.create_service_specific_credential(
                UserName=u, ServiceName="codecommit.amazonaws.com"
            )["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
        )
    iam.update_service_specific_credential(
        UserName=users[0], ServiceSpecificCredentialId=ids[0], Status="Inactive"
    )
    everyone = iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    mine = [c for c in everyone if c["UserName"] in users]
    assert [(c["UserName"], c["Status"]) for c in mine] == [
        (users[0], "Inactive"),
        (users[1], "Active"),
    ]
    iam.delete_service_specific_credential(UserName=users[1], ServiceSpecificCredentialId=ids[1])
    with pytest.raises(ClientError) as exc:
        iam.delete_service_specific_credential(
            UserName=users[1], ServiceSpecificCredentialId=ids[1]
        )
    assert _error(exc)[:2] == (404, "NoSuchEntity")
    # A credential is found only under its own user.
    with pytest.raises(ClientError) as exc:
        iam.reset_service_specific_credential(UserName=users[1], ServiceSpecificCredentialId=ids[0])
    assert _error(exc)[:2] == (404, "NoSuchEntity")
