"""SSH public keys and signing certificates of IAM users, through boto3."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.support.certs import issue, openssh_public, pem_public, rsa_key
from tests.support.seed import add_root_key, add_user_with_key
from tests.support.servers import RunningServer


def _user(iam: Any) -> str:
    name = f"u-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    return name


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    r = exc.value.response
    return (
        r["ResponseMetadata"]["HTTPStatusCode"],
        r["Error"]["Code"],
        r["Error"].get("Message", ""),
    )


def _md5_fingerprint(openssh: str) -> str:
    digest = hashlib.md5(base64.b64decode(openssh.split()[1])).digest()
    return ":".join(f"{b:02x}" for b in digest)


# --- SSH public keys ---------------------------------------------------------------------


def test_ssh_key_upload_shows_awss_shape_and_md5_fingerprint(iam: Any) -> None:
    name = _user(iam)
    body = openssh_public(rsa_key(0), "alice@laptop")
    key = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=body)["SSHPublicKey"]
    assert key["UserName"] == name
    assert key["SSHPublicKeyId"].startswith("APKA") and len(key["SSHPublicKeyId"]) == 21
    assert key["Fingerprint"] == _md5_fingerprint(body)
    assert key["SSHPublicKeyBody"] == body
    assert key["Status"] == "Active"
    as_ssh = iam.get_ssh_public_key(
        UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="SSH"
    )
    assert as_ssh["SSHPublicKey"]["SSHPublicKeyBody"] == body
    as_pem = iam.get_ssh_public_key(
        UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="PEM"
    )
    assert as_pem["SSHPublicKey"]["SSHPublicKeyBody"].strip() == pem_public(rsa_key(0)).strip()


def test_ssh_key_in_pem_form_is_the_same_key(iam: Any) -> None:
    name = _user(iam)
    uploaded = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=pem_public(rsa_key(1)))
    assert uploaded["SSHPublicKey"]["Fingerprint"] == _md5_fingerprint(openssh_public(rsa_key(1)))
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=openssh_public(rsa_key(1)))
    assert _error(exc)[:2] == (400, "DuplicateSSHPublicKey")
    assert len(iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]) == 1


@pytest.mark.parametrize(
    "body, code",
    [
        ("not a key at all", "UnrecognizedPublicKeyEncoding"),
        ("ssh-rsa !!!notbase64!!!", "UnrecognizedPublicKeyEncoding"),
        (openssh_public(ec.generate_private_key(ec.SECP256R1())), "InvalidPublicKey"),
        (
            openssh_public(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
            "InvalidPublicKey",
        ),
    ],
    ids=["garbage", "bad-base64", "ecdsa", "rsa-1024"],
)
def test_ssh_keys_aws_does_not_accept_are_refused(iam: Any, body: str, code: str) -> None:
    name = _user(iam)
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=body)
    assert _error(exc)[:2] == (400, code)
    assert iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"] == []


def test_five_ssh_keys_per_user_and_paging(iam: Any) -> None:
    name = _user(iam)
    ids = [
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=openssh_public(rsa_key(i)))[
            "SSHPublicKey"
        ]["SSHPublicKeyId"]
        for i in range(2, 7)
    ]
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=openssh_public(rsa_key(7)))
    assert _error(exc) == (409, "LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5")
    first = iam.list_ssh_public_keys(UserName=name, MaxItems=3)
    assert first["IsTruncated"] is True
    rest = iam.list_ssh_public_keys(UserName=name, MaxItems=3, Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    listed = first["SSHPublicKeys"] + rest["SSHPublicKeys"]
    assert [k["SSHPublicKeyId"] for k in listed] == ids  # in upload order
    assert set(listed[0]) == {"UserName", "SSHPublicKeyId", "Status", "UploadDate"}


def test_ssh_key_status_and_deletion(iam: Any) -> None:
    name = _user(iam)
    key_id = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=openssh_public(rsa_key(8)))[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    iam.update_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Status="Inactive")
    got = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="SSH")
    assert got["SSHPublicKey"]["Status"] == "Inactive"
    iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key_id)
    assert iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"] == []
    calls: list[tuple[Any, dict[str, str]]] = [
        (iam.get_ssh_public_key, {"Encoding": "SSH"}),
        (iam.update_ssh_public_key, {"Status": "Active"}),
        (iam.delete_ssh_public_key, {}),
    ]
    for operation, extra in calls:
        with pytest.raises(ClientError) as exc:
            operation(UserName=name, SSHPublicKeyId=key_id, **extra)
        assert _error(exc) == (
            404,
            "NoSuchEntity",
            f"The Public Key with id {key_id} cannot be found.",
        )


def test_ssh_key_for_a_missing_user(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(
            UserName="nobody-here", SSHPublicKeyBody=openssh_public(rsa_key(0))
        )
    assert _error(exc) == (404, "NoSuchEntity", "The user with name nobody-here cannot be found.")


def test_ssh_keys_are_denied_without_permission_whether_the_user_exists_or_not(
    iam: Any, server: RunningServer
) -> None:
    name = _user(iam)
    denied = server.client("iam", keys=add_user_with_key(server, f"no-ssh-{uuid.uuid4().hex[:6]}"))
    for target in (name, "nobody-at-all"):
        with pytest.raises(ClientError) as exc:
            denied.upload_ssh_public_key(
                UserName=target, SSHPublicKeyBody=openssh_public(rsa_key(0))
            )
        assert _error(exc)[:2] == (403, "AccessDenied")
    assert iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"] == []


# --- signing certificates ------------------------------------------------------------------


def test_signing_certificate_lifecycle(iam: Any) -> None:
    name = _user(iam)
    pem = issue("signer", rsa_key(0)).pem
    cert = iam.upload_signing_certificate(UserName=name, CertificateBody=pem)["Certificate"]
    assert cert["UserName"] == name
    assert cert["CertificateBody"] == pem
    assert cert["Status"] == "Active"
    assert len(cert["CertificateId"]) >= 24 and cert["CertificateId"].isalnum()
    listed = iam.list_signing_certificates(UserName=name)
    assert listed["Certificates"] == [cert] and listed["IsTruncated"] is False
    iam.update_signing_certificate(
        UserName=name, CertificateId=cert["CertificateId"], Status="Inactive"
    )
    assert iam.list_signing_certificates(UserName=name)["Certificates"][0]["Status"] == "Inactive"
    iam.delete_signing_certificate(UserName=name, CertificateId=cert["CertificateId"])
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []
    with pytest.raises(ClientError) as exc:
        iam.delete_signing_certificate(UserName=name, CertificateId=cert["CertificateId"])
    assert _error(exc) == (
        404,
        "NoSuchEntity",
        f"The Certificate with id {cert['CertificateId']} cannot be found.",
    )


def test_signing_certificate_errors(iam: Any) -> None:
    name = _user(iam)
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=name, CertificateBody="invalid-certificate-body")
    assert _error(exc) == (
        400,
        "MalformedCertificate",
        "Certificate invalid-certificate-body is malformed.",
    )
    first = issue("one", rsa_key(1)).pem
    iam.upload_signing_certificate(UserName=name, CertificateBody=first)
    iam.upload_signing_certificate(UserName=name, CertificateBody=issue("two", rsa_key(2)).pem)
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(
            UserName=name, CertificateBody=issue("three", rsa_key(3)).pem
        )
    assert _error(exc) == (409, "LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2")
    # The same certificate cannot belong to two users of the account.
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=_user(iam), CertificateBody=first)
    assert _error(exc)[:2] == (409, "DuplicateCertificate")
    with pytest.raises(ClientError) as exc:
        iam.list_signing_certificates(UserName="nonexistent-user")
    assert _error(exc) == (
        404,
        "NoSuchEntity",
        "The user with name nonexistent-user cannot be found.",
    )


def test_root_user_manages_its_own_signing_certificates(server: RunningServer) -> None:
    root = server.client("iam", keys=add_root_key(server))
    pem = issue("root-signer", rsa_key(4)).pem
    cert = root.upload_signing_certificate(CertificateBody=pem)["Certificate"]
    assert cert["UserName"] == server.account_id
    assert [c["CertificateId"] for c in root.list_signing_certificates()["Certificates"]] == [
        cert["CertificateId"]
    ]
    root.delete_signing_certificate(CertificateId=cert["CertificateId"])
    assert root.list_signing_certificates()["Certificates"] == []


def test_user_lists_own_signing_certificates_without_naming_itself(
    iam: Any, server: RunningServer
) -> None:
    name = f"self-{uuid.uuid4().hex[:6]}"
    keys = add_user_with_key(server, name, ("arn:aws:iam::aws:policy/AdministratorAccess",))
    me = server.client("iam", keys=keys)
    me.upload_signing_certificate(CertificateBody=issue("self", rsa_key(5)).pem)
    (cert,) = iam.list_signing_certificates(UserName=name)["Certificates"]
    assert me.list_signing_certificates()["Certificates"] == [cert]
