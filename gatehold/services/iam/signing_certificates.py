"""X.509 signing certificates of IAM users and of the root user.

Without UserName these operations act on the caller, so the root user manages
the account's own certificates (stored with no user). The body must be a PEM
X.509 certificate; the same certificate may not be uploaded twice in one
account (DuplicateCertificate). Quota (recorded AWS answer): 2 per user.
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import credential_errors
from gatehold.services.iam.errors import quota_exceeded
from gatehold.services.iam.listing import listed, page_list
from gatehold.services.iam.targets import caller_or_named
from gatehold.store import certificates as store
from gatehold.store.certificates import SigningCertificate
from gatehold.store.records import User

MAX_PER_USER = 2
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _new_certificate_id() -> str:
    # AWS's IDs are 24+ upper-case letters and digits (e.g. TA7SMP42TDN5Z26OBPJE7EXAMPLE).
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(28))


def _parsed(body: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(body.strip().encode())
    except ValueError as exc:
        raise credential_errors.malformed_signing_certificate(body) from exc


def _der(body: str) -> bytes | None:
    try:
        return x509.load_pem_x509_certificate(body.strip().encode()).public_bytes(Encoding.DER)
    except ValueError:
        return None


def _owner_name(call: Call, user: User | None) -> str:
    # The root user has no user name; its certificates are listed under the account ID.
    return user.user_name if user else call.ctx.principal.account_id


def _shape(name: str, cert: SigningCertificate) -> dict[str, Any]:
    return {
        "UserName": name,
        "CertificateId": cert.certificate_id,
        "CertificateBody": cert.body,
        "Status": cert.status,
        "UploadDate": cert.uploaded_at,
    }


def _certificate_of(call: Call, user: User | None, certificate_id: str) -> SigningCertificate:
    account_id = call.ctx.principal.account_id
    for cert in store.signing_certificates_of(call.db, account_id, user.user_id if user else None):
        if cert.certificate_id == certificate_id:
            return cert
    raise credential_errors.signing_certificate_not_found(certificate_id)


def upload_signing_certificate(call: Call, params: Params) -> Result:
    user = caller_or_named(call, "iam:UploadSigningCertificate", params.get("UserName"))
    account_id = call.ctx.principal.account_id
    body = params["CertificateBody"]
    der = _parsed(body).public_bytes(Encoding.DER)
    if any(_der(other) == der for other in store.signing_certificate_bodies(call.db, account_id)):
        raise credential_errors.duplicate_certificate()
    owned = store.signing_certificates_of(call.db, account_id, user.user_id if user else None)
    if len(owned) >= MAX_PER_USER:
        raise quota_exceeded("CertificatesPerUser", MAX_PER_USER)
    cert = SigningCertificate(
        certificate_id=_new_certificate_id(),
        account_id=account_id,
        user_id=user.user_id if user else None,
        body=body,
        status="Active",
        uploaded_at=call.ctx.now,
    )
    store.insert_signing_certificate(call.db, cert)
    return {"Certificate": _shape(_owner_name(call, user), cert)}


def update_signing_certificate(call: Call, params: Params) -> Result:
    user = caller_or_named(call, "iam:UpdateSigningCertificate", params.get("UserName"))
    cert = _certificate_of(call, user, params["CertificateId"])
    store.set_signing_certificate_status(call.db, cert.certificate_id, params["Status"])
    return {}


def delete_signing_certificate(call: Call, params: Params) -> Result:
    user = caller_or_named(call, "iam:DeleteSigningCertificate", params.get("UserName"))
    cert = _certificate_of(call, user, params["CertificateId"])
    store.delete_signing_certificate(call.db, cert.certificate_id)
    return {}


def list_signing_certificates(call: Call, params: Params) -> Result:
    user = caller_or_named(call, "iam:ListSigningCertificates", params.get("UserName"))
    owned = store.signing_certificates_of(
        call.db, call.ctx.principal.account_id, user.user_id if user else None
    )
    certs, truncated, marker = page_list(params, owned, lambda c: c.certificate_id)
    name = _owner_name(call, user)
    return listed("Certificates", ([_shape(name, c) for c in certs], truncated, marker))


HANDLERS = {
    "UploadSigningCertificate": upload_signing_certificate,
    "UpdateSigningCertificate": update_signing_certificate,
    "DeleteSigningCertificate": delete_signing_certificate,
    "ListSigningCertificates": list_signing_certificates,
}
