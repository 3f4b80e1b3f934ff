"""IAM server certificates: a certificate, its private key and optional chain.

The private key must match the certificate (KeyPairMismatch otherwise); it is
sealed at rest with the operator's key and no operation ever returns it. The
chain must start with the certificate that issued the body, each next one
issuing the one before. Names are unique in the account regardless of case.
Quota (GetAccountSummary's ServerCertificatesQuota): 20 per account. IDs ASCA.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from sqlalchemy.exc import IntegrityError

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.errors import AwsError
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import credential_errors, resource_tags, tagging
from gatehold.services.iam.common import list_result, page_of
from gatehold.services.iam.errors import quota_exceeded
from gatehold.services.iam.resource_tags import Tagged
from gatehold.store import certificates as store
from gatehold.store import tags
from gatehold.store.certificates import ServerCertificate

PREFIX_SERVER_CERTIFICATE = "ASCA"
TAG_TYPE = "server-certificate"
MAX_PER_ACCOUNT = 20


def _arn(account_id: str, path: str, name: str) -> str:
    return iam_arn(account_id, "server-certificate", path, name)


def _public_key_der(key: Any) -> bytes:
    return bytes(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def _checked_material(body: str, private_key: str, chain: str | None) -> x509.Certificate:
    """The parsed certificate, after checking the key and chain belong with it."""
    try:
        cert = x509.load_pem_x509_certificate(body.strip().encode())
    except ValueError as exc:
        raise credential_errors.unparsable_server_certificate() from exc
    try:
        key = load_pem_private_key(private_key.strip().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise credential_errors.unparsable_private_key() from exc
    if _public_key_der(key.public_key()) != _public_key_der(cert.public_key()):
        raise credential_errors.key_pair_mismatch()
    if chain:
        _check_chain(cert, chain)
    return cert


def _check_chain(cert: x509.Certificate, chain: str) -> None:
    try:
        links = x509.load_pem_x509_certificates(chain.strip().encode())
    except ValueError as exc:
        raise credential_errors.invalid_chain(-1) from exc
    issued = cert
    for index, issuer in enumerate(links):
        try:
            issued.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise credential_errors.invalid_chain(index) from exc
        issued = issuer


def metadata_shape(c: ServerCertificate) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "Path": c.path,
        "ServerCertificateName": c.name,
        "ServerCertificateId": c.server_certificate_id,
        "Arn": c.arn,
        "UploadDate": c.uploaded_at,
    }
    if c.expiration is not None:
        shape["Expiration"] = c.expiration
    return shape


def _find_by(call: Call, name: str) -> tuple[str, ServerCertificate | None]:
    account_id = call.ctx.principal.account_id
    cert = store.get_server_certificate(call.db, account_id, name)
    return (cert.arn if cert else _arn(account_id, "/", name)), cert


def _find(call: Call, params: Params) -> tuple[str, Tagged | None]:
    arn, cert = _find_by(call, params["ServerCertificateName"])
    return arn, Tagged(arn, TAG_TYPE, cert.server_certificate_id) if cert else None


def _not_found(params: Params) -> AwsError:
    return credential_errors.server_certificate_not_found(params["ServerCertificateName"])


def _authorized(call: Call, params: Params, action: str) -> ServerCertificate:
    resource_tags.authorize_on(call, params, _find, _not_found, action)
    _, cert = _find_by(call, params["ServerCertificateName"])
    assert cert is not None
    return cert


def upload_server_certificate(call: Call, params: Params) -> Result:
    account_id = call.ctx.principal.account_id
    name, path = params["ServerCertificateName"], params.get("Path") or "/"
    arn = _arn(account_id, path, name)
    call.authorize(
        "iam:UploadServerCertificate", arn, tagging.request_tag_context(params.get("Tags"))
    )
    cert = _checked_material(
        params["CertificateBody"], params["PrivateKey"], params.get("CertificateChain")
    )
    pairs = tagging.tag_pairs(params.get("Tags"))
    tagging.check_new_tags(pairs)
    if store.get_server_certificate(call.db, account_id, name) is not None:
        raise credential_errors.server_certificate_exists(name)
    if store.count_server_certificates(call.db, account_id) >= MAX_PER_ACCOUNT:
        # Unconfirmed quota name.
        raise quota_exceeded("ServerCertificatesPerAccount", MAX_PER_ACCOUNT)
    certificate_id = ids.new_unique_id(PREFIX_SERVER_CERTIFICATE)
    assert call.box is not None
    record = ServerCertificate(
        server_certificate_id=certificate_id,
        account_id=account_id,
        name=name,
        path=path,
        arn=arn,
        body=params["CertificateBody"],
        chain=params.get("CertificateChain"),
        private_key_sealed=call.box.seal(
            params["PrivateKey"].encode(), store.server_key_aad(certificate_id)
        ),
        expiration=cert.not_valid_after_utc,
        uploaded_at=call.ctx.now,
    )
    try:
        store.insert_server_certificate(call.db, record)
    except IntegrityError as exc:  # a concurrent upload of the same name won (PostgreSQL)
        raise credential_errors.server_certificate_exists(name) from exc
    tags.put(call.db, TAG_TYPE, certificate_id, pairs)
    result: Result = {"ServerCertificateMetadata": metadata_shape(record)}
    if pairs:
        result["Tags"] = tagging.listed(call.db, TAG_TYPE, certificate_id)
    return result


def get_server_certificate(call: Call, params: Params) -> Result:
    c = _authorized(call, params, "iam:GetServerCertificate")
    shape: dict[str, Any] = {
        "ServerCertificateMetadata": metadata_shape(c),
        "CertificateBody": c.body,
        "Tags": tagging.listed(call.db, TAG_TYPE, c.server_certificate_id),
    }
    if c.chain:
        shape["CertificateChain"] = c.chain
    return {"ServerCertificate": shape}


def update_server_certificate(call: Call, params: Params) -> Result:
    c = _authorized(call, params, "iam:UpdateServerCertificate")
    new_name = params.get("NewServerCertificateName") or c.name
    new_path = params.get("NewPath") or c.path
    new_arn = _arn(c.account_id, new_path, new_name)
    # AWS: the caller needs permission on the certificate under its old and its new name.
    call.authorize("iam:UpdateServerCertificate", new_arn)
    other = store.get_server_certificate(call.db, c.account_id, new_name)
    if other is not None and other.server_certificate_id != c.server_certificate_id:
        raise credential_errors.server_certificate_exists(new_name)
    store.rename_server_certificate(call.db, c.server_certificate_id, new_name, new_path, new_arn)
    return {}


def delete_server_certificate(call: Call, params: Params) -> Result:
    c = _authorized(call, params, "iam:DeleteServerCertificate")
    store.delete_server_certificate(call.db, c.server_certificate_id)
    tags.remove_all(call.db, TAG_TYPE, c.server_certificate_id)
    return {}


def list_server_certificates(call: Call, params: Params) -> Result:
    call.authorize("iam:ListServerCertificates", "*")
    query = store.server_certificates_query(
        call.ctx.principal.account_id, params.get("PathPrefix") or "/"
    )
    page = page_of(call, params, query, store.SERVER_CERTIFICATE_ORDER)
    items = [metadata_shape(store.server_certificate_from_row(r)) for r in page.rows]
    return list_result("ServerCertificateMetadataList", items, page)


def tag_server_certificate(call: Call, params: Params) -> Result:
    return resource_tags.tag(call, params, _find, _not_found, "iam:TagServerCertificate")


def untag_server_certificate(call: Call, params: Params) -> Result:
    return resource_tags.untag(call, params, _find, _not_found, "iam:UntagServerCertificate")


def list_server_certificate_tags(call: Call, params: Params) -> Result:
    return resource_tags.list_tags(call, params, _find, _not_found, "iam:ListServerCertificateTags")


HANDLERS = {
    "UploadServerCertificate": upload_server_certificate,
    "GetServerCertificate": get_server_certificate,
    "UpdateServerCertificate": update_server_certificate,
    "DeleteServerCertificate": delete_server_certificate,
    "ListServerCertificates": list_server_certificates,
    "TagServerCertificate": tag_server_certificate,
    "UntagServerCertificate": untag_server_certificate,
    "ListServerCertificateTags": list_server_certificate_tags,
}
