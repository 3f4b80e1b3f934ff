"""A real SAML 2.0 identity provider for tests: its own RSA key and self-signed
certificate, its metadata document (for iam.create_saml_provider), and signed
SAML Responses built the way IdPs such as Okta, ADFS or Keycloak build them
for AWS (IdP-initiated, HTTP-POST binding, bearer subject confirmation).

Test support, not gatehold code: it signs with signxml, exactly as a
Python IdP would.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree
from signxml.algorithms import CanonicalizationMethod
from signxml.signer import XMLSigner

from tests.support.certs import SAML_METADATA, Issued, issue, rsa_key

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SIGNIN = "https://signin.aws.amazon.com/saml"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
_NS = {"samlp": PROTOCOL, "saml": ASSERTION, "ds": DS}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, _, local = tag.partition(":")
    element = etree.SubElement(parent, f"{{{_NS[prefix]}}}{local}", attrs)
    if text is not None:
        element.text = text
    return element


def _placeholder(parent: etree._Element) -> None:
    # Where signxml puts the enveloped signature: right after Issuer, as the SAML schema wants.
    etree.SubElement(parent, f"{{{DS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DS})


@dataclass
class SamlIdp:
    """An IdP with its own key (`slot` picks a cached RSA key: another slot, another IdP)."""

    host: str = "idp.saml-tests.example"
    slot: int = 21

    def __post_init__(self) -> None:
        self.key: rsa.RSAPrivateKey = rsa_key(self.slot)
        self.certificate: Issued = issue(self.host, self.key)

    @property
    def entity_id(self) -> str:
        return f"https://{self.host}/saml"

    def metadata(self) -> str:
        return SAML_METADATA.format(
            host=self.host, certificate=self.certificate.der_b64, valid_until=""
        )

    # --- responses -----------------------------------------------------------------

    def response(
        self,
        roles: Sequence[str],
        session_name: str | None = "alice",
        *,
        subject: str = "alice@example.org",
        subject_format: str = PERSISTENT,
        recipient: str = SIGNIN,
        audience: str = "urn:amazon:webservices",
        issuer: str | None = None,
        now: datetime | None = None,
        lifetime: timedelta = timedelta(minutes=5),
        conditions_lifetime: timedelta | None = None,
        session_not_on_or_after: datetime | None = None,
        attributes: Mapping[str, Sequence[str]] | None = None,
        sign: str = "assertion",
        signer: SamlIdp | None = None,
        encrypt_for: rsa.RSAPublicKey | None = None,
        encryption: str = "aes256-gcm",
    ) -> str:
        """A base64 SAML Response whose assertion lists `roles` ("role_arn,provider_arn").

        `sign` is "assertion", "response", "both" or "none"; `signer` signs with another
        IdP's key (its certificate rides along, as IdPs send it). `encrypt_for`:
        the service provider's public key, to send the assertion encrypted
        ("aes256-gcm" or "aes128-cbc", the content key wrapped with RSA-OAEP).
        """
        now = now or datetime.now(UTC)
        assertion = self.assertion_xml(
            roles,
            session_name,
            subject=subject,
            subject_format=subject_format,
            recipient=recipient,
            audience=audience,
            issuer=issuer,
            now=now,
            lifetime=lifetime,
            conditions_lifetime=conditions_lifetime,
            session_not_on_or_after=session_not_on_or_after,
            attributes=attributes,
            signed=sign in ("assertion", "both"),
            signer=signer,
        )
        if encrypt_for is not None:
            assertion = encrypted(assertion, encrypt_for, encryption)
        response = self.response_xml(
            assertion, now=now, issuer=issuer, signed=sign in ("response", "both"), signer=signer
        )
        return encode(response)

    def assertion_xml(
        self,
        roles: Sequence[str],
        session_name: str | None,
        *,
        subject: str,
        subject_format: str,
        recipient: str,
        audience: str,
        issuer: str | None,
        now: datetime,
        lifetime: timedelta,
        conditions_lifetime: timedelta | None,
        session_not_on_or_after: datetime | None,
        attributes: Mapping[str, Sequence[str]] | None,
        signed: bool,
        signer: SamlIdp | None,
    ) -> etree._Element:
        assertion_id = f"_{uuid.uuid4().hex}"
        assertion = etree.Element(
            f"{{{ASSERTION}}}Assertion",
            {"ID": assertion_id, "Version": "2.0", "IssueInstant": _iso(now)},
            nsmap={"saml": ASSERTION},
        )
        _el(assertion, "saml:Issuer", issuer or self.entity_id)
        if signed:
            _placeholder(assertion)
        subj = _el(assertion, "saml:Subject")
        _el(subj, "saml:NameID", subject, Format=subject_format)
        confirmation = _el(
            subj, "saml:SubjectConfirmation", Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"
        )
        _el(
            confirmation,
            "saml:SubjectConfirmationData",
            NotOnOrAfter=_iso(now + lifetime),
            Recipient=recipient,
        )
        conditions = _el(
            assertion,
            "saml:Conditions",
            NotBefore=_iso(now - timedelta(seconds=5)),
            NotOnOrAfter=_iso(now + (conditions_lifetime or lifetime)),
        )
        restriction = _el(conditions, "saml:AudienceRestriction")
        _el(restriction, "saml:Audience", audience)
        authn = {"AuthnInstant": _iso(now), "SessionIndex": assertion_id}
        if session_not_on_or_after is not None:
            authn["SessionNotOnOrAfter"] = _iso(session_not_on_or_after)
        statement = _el(assertion, "saml:AuthnStatement", **authn)
        context = _el(statement, "saml:AuthnContext")
        _el(
            context,
            "saml:AuthnContextClassRef",
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        )
        values: dict[str, Sequence[str]] = {ATTRIBUTES + "Role": list(roles)}
        if session_name is not None:
            values[ATTRIBUTES + "RoleSessionName"] = [session_name]
        values.update(attributes or {})
        attribute_statement = _el(assertion, "saml:AttributeStatement")
        for name, items in values.items():
            attribute = _el(attribute_statement, "saml:Attribute", Name=name)
            for item in items:
                _el(attribute, "saml:AttributeValue", item)
        return self._signed(assertion, assertion_id, signer) if signed else assertion

    def response_xml(
        self,
        assertion: etree._Element,
        *,
        now: datetime,
        issuer: str | None = None,
        signed: bool = False,
        signer: SamlIdp | None = None,
    ) -> etree._Element:
        response_id = f"_{uuid.uuid4().hex}"
        response = etree.Element(
            f"{{{PROTOCOL}}}Response",
            {"ID": response_id, "Version": "2.0", "IssueInstant": _iso(now), "Destination": SIGNIN},
            nsmap={"samlp": PROTOCOL, "saml": ASSERTION},
        )
        _el(response, "saml:Issuer", issuer or self.entity_id)
        if signed:
            _placeholder(response)
        status = _el(response, "samlp:Status")
        _el(status, "samlp:StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success")
        response.append(assertion)
        return self._signed(response, response_id, signer) if signed else response

    def _signed(
        self, element: etree._Element, element_id: str, signer: SamlIdp | None
    ) -> etree._Element:
        by = signer or self
        # Exclusive C14N, as IdPs use: the signed assertion keeps its digest
        # wherever it is placed.
        xml_signer = XMLSigner(
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
        )
        signed: etree._Element = xml_signer.sign(
            element, key=by.key, cert=by.certificate.pem, reference_uri=element_id
        )
        return signed


XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"


def encrypted(
    assertion: etree._Element, public_key: rsa.RSAPublicKey, encryption: str = "aes256-gcm"
) -> etree._Element:
    """The assertion as a saml:EncryptedAssertion for the holder of `public_key`
    (W3C XML Encryption, as IdPs encrypt for AWS)."""
    plaintext = etree.tostring(assertion)
    if encryption == "aes256-gcm":
        key = AESGCM.generate_key(bit_length=256)
        iv = os.urandom(12)
        ciphertext = iv + AESGCM(key).encrypt(iv, plaintext, None)
        algorithm = XENC11 + "aes256-gcm"
    else:  # aes128-cbc, with XML Encryption's padding (its last byte is its length)
        key, iv = os.urandom(16), os.urandom(16)
        pad = 16 - len(plaintext) % 16
        padded = plaintext + os.urandom(pad - 1) + bytes([pad])
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        ciphertext = iv + encryptor.update(padded) + encryptor.finalize()
        algorithm = XENC + "aes128-cbc"
    wrapped = public_key.encrypt(
        key, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    xenc = {"xenc": XENC, "ds": DS}
    holder = etree.Element(f"{{{ASSERTION}}}EncryptedAssertion", nsmap={"saml": ASSERTION})
    data = etree.SubElement(
        holder, f"{{{XENC}}}EncryptedData", {"Type": XENC + "Element"}, nsmap=xenc
    )
    etree.SubElement(data, f"{{{XENC}}}EncryptionMethod", {"Algorithm": algorithm})
    info = etree.SubElement(data, f"{{{DS}}}KeyInfo")
    encrypted_key = etree.SubElement(info, f"{{{XENC}}}EncryptedKey")
    method = etree.SubElement(
        encrypted_key, f"{{{XENC}}}EncryptionMethod", {"Algorithm": XENC + "rsa-oaep-mgf1p"}
    )
    etree.SubElement(method, f"{{{DS}}}DigestMethod", {"Algorithm": DS + "sha1"})
    key_data = etree.SubElement(encrypted_key, f"{{{XENC}}}CipherData")
    etree.SubElement(key_data, f"{{{XENC}}}CipherValue").text = base64.b64encode(wrapped).decode()
    cipher_data = etree.SubElement(data, f"{{{XENC}}}CipherData")
    etree.SubElement(cipher_data, f"{{{XENC}}}CipherValue").text = base64.b64encode(
        ciphertext
    ).decode()
    return holder


def encode(element: etree._Element) -> str:
    return base64.b64encode(etree.tostring(element)).decode()


def decode(encoded: str) -> etree._Element:
    parsed: etree._Element = etree.fromstring(base64.b64decode(encoded))
    return parsed
