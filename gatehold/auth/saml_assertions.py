"""Reading a SAML 2.0 Response the way AssumeRoleWithSAML needs it: which
assertion the identity provider signed.

Pure: the base64 SAMLResponse, the provider's keys (ProviderKeys: the IdP's
signing certificates and entity ID from its IAM metadata document, and the
provider's own private keys for encrypted assertions, saml_encryption.py) and
`now` in; the assertion's facts (saml_claims.py) or an AssertionRejected out.

Untrusted XML. DTDs and entity declarations are refused before anything else
(the metadata reader's scan). The XML signature is checked by signxml with the
provider's certificates only (never one the message carries), and only the
element the signature covers is read afterwards: signxml hands back the signed
bytes themselves, which are parsed anew, so whatever else the message holds (an
unsigned Issuer, comments splitting a NameID) is never looked at. Against XML
signature wrapping, a Response must hold exactly one assertion, and a signature
must cover the very element that holds it. SHA-1 signatures and digests are
refused (signxml's default; a deliberate choice, AWS's own rule is not
documented).
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from gatehold.auth.saml_claims import AssertionRejected, Expected, SamlAssertion, claims, invalid
from gatehold.auth.saml_encryption import DecryptionFailed, decrypt_assertion
from gatehold.auth.saml_metadata import MetadataError, refuse_dtd

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
_P = f"{{{PROTOCOL}}}"
_A = f"{{{ASSERTION}}}"

__all__ = ["AssertionRejected", "Expected", "ProviderKeys", "SamlAssertion", "read_response"]


@dataclass(frozen=True)
class ProviderKeys:
    """What the IAM SAML provider holds: its IdP's signing certificates (from the
    metadata), its own private keys for encrypted assertions, and what it expects
    of the assertions (the IdP's entity ID, its own UUID, whether encryption is
    required)."""

    certificates: Sequence[x509.Certificate]
    expected: Expected
    decryption_keys: Sequence[rsa.RSAPrivateKey] = ()


def read_response(encoded: str, keys: ProviderKeys, now: datetime) -> SamlAssertion:
    """The signed assertion of a base64 SAML Response, checked; AssertionRejected otherwise."""
    return claims(_signed_assertion(_decode(encoded), keys, now), keys.expected, now)


# --- the signed element ---------------------------------------------------------------


def _decode(encoded: str) -> bytes:
    try:
        document = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        # Unconfirmed text: AWS's answer to a SAMLAssertion that is not base64.
        raise invalid("Invalid base64 SAMLResponse (check that it is not URL encoded)") from None
    try:
        refuse_dtd(document)
    except MetadataError:
        raise invalid("Invalid SAML response: not well-formed XML") from None
    return document


def _signed_assertion(document: bytes, keys: ProviderKeys, now: datetime) -> ET.Element:
    """The one Assertion the provider's signature covers, decrypted if it came encrypted.

    The Response's own signature (a ds:Signature child of the Response) is
    checked when there is one, else the signature of its Assertion. Either way
    only what signxml returns as signed is parsed and used, and the signature
    must cover the very element that holds it.
    """
    root = _parse(document)  # no DTD: refused above
    if root.tag != f"{_P}Response":
        raise invalid("Invalid SAML response: the root element is not a samlp:Response")
    status = root.find(f"{_P}Status/{_P}StatusCode")
    if status is None or status.get("Value") != SUCCESS:
        # The IdP itself says the sign-in failed (IDPRejectedClaim); unconfirmed text.
        raise AssertionRejected("rejected", "The identity provider rejected the sign-in")
    held = _assertions(root)
    if len(held) != 1:
        raise _signature_invalid()
    if keys.expected.encryption_required and held[0].tag != f"{_A}EncryptedAssertion":
        # Unconfirmed text: the provider's AssertionEncryptionMode is Required.
        raise invalid("The SAML provider requires encrypted assertions")
    if root.find(f"{{{DS}}}Signature") is not None:
        response = _covered(_verified(document, keys.certificates, "./", now), root)
        inner = _assertions(response)
        if len(inner) != 1:
            raise invalid("Invalid SAML response: it must hold exactly one Assertion")
        # An encrypted assertion under a signed Response: the signature covers its ciphertext.
        return _decrypted(inner[0], keys) if inner[0].tag != f"{_A}Assertion" else inner[0]
    if held[0].tag == f"{_A}Assertion":
        signed = _verified(document, keys.certificates, f"./{_A}Assertion/", now)
        return _covered(signed, held[0])
    # Encrypted and the Response unsigned: anyone with the provider's public key could
    # have encrypted it, so the decrypted assertion must carry the IdP's signature.
    plaintext = _plaintext(held[0], keys)
    assertion = _covered(_verified(plaintext, keys.certificates, "./", now), _parse(plaintext))
    if assertion.tag != f"{_A}Assertion":
        raise _signature_invalid()
    return assertion


def _assertions(response: ET.Element) -> list[ET.Element]:
    return [e for e in response if e.tag in (f"{_A}Assertion", f"{_A}EncryptedAssertion")]


def _covered(signed: ET.Element, holder: ET.Element) -> ET.Element:
    """`signed`, when it is the element that holds the signature (same tag and ID)."""
    if signed.tag != holder.tag or signed.get("ID") != holder.get("ID"):
        # A signature that covers some other element than the one holding it (an
        # assertion moved elsewhere, wrapped): refused outright.
        raise _signature_invalid()
    return signed


def _plaintext(encrypted: ET.Element, keys: ProviderKeys) -> bytes:
    try:
        plaintext = decrypt_assertion(encrypted, keys.decryption_keys)
        refuse_dtd(plaintext)
    except (DecryptionFailed, MetadataError):
        # One answer for every failure: no padding oracle for crafted ciphertexts.
        raise _signature_invalid() from None
    return plaintext


def _decrypted(encrypted: ET.Element, keys: ProviderKeys) -> ET.Element:
    assertion = _parse(_plaintext(encrypted, keys))
    if assertion.tag != f"{_A}Assertion":
        raise _signature_invalid()
    return assertion


def _parse(document: bytes) -> ET.Element:
    try:
        return ET.fromstring(document)
    except ET.ParseError:
        raise invalid("Invalid SAML response: not well-formed XML") from None


def _signature_invalid() -> AssertionRejected:
    # AWS's text (quoted in reports of AssumeRoleWithSAML).
    return invalid("Response signature invalid")


def _verified(
    document: bytes, certificates: Sequence[x509.Certificate], location: str, now: datetime
) -> ET.Element:
    """The element the signature at `location` covers, re-parsed from the signed bytes."""
    config = SignatureConfiguration(location=location, expect_references=1, verification_time=now)
    for certificate in certificates:
        result = _verify_with(document, certificate, config)
        if result is not None:
            # The canonical form of the signed element: no DTD, no comments.
            return _parse(result)
    raise _signature_invalid()


def _verify_with(
    document: bytes, certificate: x509.Certificate, config: SignatureConfiguration
) -> bytes | None:
    """The signed bytes, or None when `certificate` did not sign them."""
    try:
        result = XMLVerifier().verify(document, x509_cert=certificate, expect_config=config)
    except SignXMLException:
        return None
    except Exception:  # odd input deep in signxml/lxml: fail closed
        return None
    # expect_references=1: one result, never a list.
    return None if isinstance(result, list) else result.signed_data
