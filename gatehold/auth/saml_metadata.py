"""Reading a SAML 2.0 metadata document the way CreateSAMLProvider needs it.

Untrusted XML: the document is first scanned with a bare expat parser that
refuses any DOCTYPE or entity declaration (the defusedxml approach), so neither
entity expansion ("billion laughs") nor external entities can happen; only then
is it parsed into a tree.

A usable document is an md:EntityDescriptor with an md:IDPSSODescriptor that
carries at least one signing certificate (a KeyDescriptor whose use is
"signing" or unspecified). Its validity: the validUntil attribute of the
EntityDescriptor or IDPSSODescriptor when present, else the earliest expiry of
its signing certificates.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.parsers import expat

from cryptography import x509

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


class MetadataError(ValueError):
    """The document is not SAML metadata IAM can use."""


@dataclass(frozen=True)
class SamlMetadata:
    entity_id: str
    valid_until: datetime | None
    signing_certificates: tuple[x509.Certificate, ...]


def _forbid(*_: object) -> None:
    raise MetadataError("DTDs and entity declarations are not allowed")


def refuse_dtd(document: bytes) -> None:
    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _forbid
    scanner.EntityDeclHandler = _forbid
    scanner.UnparsedEntityDeclHandler = _forbid
    scanner.ExternalEntityRefHandler = _forbid  # type: ignore[assignment]
    try:
        scanner.Parse(document, True)
    except expat.ExpatError as exc:
        raise MetadataError(str(exc)) from exc


def _timestamp(value: str) -> datetime:
    try:
        # Python 3.11 reads a trailing "Z" as UTC.
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise MetadataError(f"bad validUntil {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _signing_certificates(idp: ET.Element) -> tuple[x509.Certificate, ...]:
    certs = []
    for descriptor in idp.findall(f"{{{MD}}}KeyDescriptor"):
        if descriptor.get("use", "signing") != "signing":
            continue
        for element in descriptor.iter(f"{{{DS}}}X509Certificate"):
            text = "".join((element.text or "").split())
            try:
                certs.append(x509.load_der_x509_certificate(base64.b64decode(text, validate=True)))
            except (binascii.Error, ValueError) as exc:
                raise MetadataError("unreadable X509Certificate") from exc
    return tuple(certs)


def parse(document: str) -> SamlMetadata:
    raw = document.encode("utf-8")
    refuse_dtd(raw)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise MetadataError(str(exc)) from exc
    if root.tag != f"{{{MD}}}EntityDescriptor":
        raise MetadataError("the root element is not md:EntityDescriptor")
    idp = root.find(f"{{{MD}}}IDPSSODescriptor")
    if idp is None:
        raise MetadataError("no md:IDPSSODescriptor")
    certs = _signing_certificates(idp)
    if not certs:
        raise MetadataError("no signing certificate")
    declared = root.get("validUntil") or idp.get("validUntil")
    if declared:
        valid_until: datetime | None = _timestamp(declared)
    else:
        valid_until = min(c.not_valid_after_utc for c in certs)
    return SamlMetadata(root.get("entityID", ""), valid_until, certs)
