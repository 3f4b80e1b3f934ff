"""Decrypting a saml:EncryptedAssertion (W3C XML Encryption) with the SAML provider's
private keys (IAM CreateSAMLProvider AddPrivateKey; id_roles_providers_create_saml,
"encrypted SAML assertions").

Pure: the EncryptedAssertion element and the keys in, the Assertion's XML bytes
out, or DecryptionFailed. What is supported is what IdPs send AWS: the content
key wrapped with RSA-OAEP (xmlenc#rsa-oaep-mgf1p, or xmlenc11#rsa-oaep with its
DigestMethod and MGF), the assertion encrypted with AES-GCM or AES-CBC.
RSA PKCS#1 v1.5 key transport is refused: it is open to Bleichenbacher's attack.

Every failure is the same DecryptionFailed with no detail: the caller answers
them all alike, so a crafted ciphertext learns nothing (no padding oracle).
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
_E = f"{{{XENC}}}"

# Content encryption: algorithm URI -> (mode, key length in bytes).
_CONTENT = {
    XENC + "aes128-cbc": ("cbc", 16),
    XENC + "aes192-cbc": ("cbc", 24),
    XENC + "aes256-cbc": ("cbc", 32),
    XENC11 + "aes128-gcm": ("gcm", 16),
    XENC11 + "aes192-gcm": ("gcm", 24),
    XENC11 + "aes256-gcm": ("gcm", 32),
}
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    DS + "sha1": hashes.SHA1,
    XENC + "sha256": hashes.SHA256,
    XENC + "sha512": hashes.SHA512,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384,
}
_MGFS: dict[str, type[hashes.HashAlgorithm]] = {
    XENC11 + "mgf1sha1": hashes.SHA1,
    XENC11 + "mgf1sha256": hashes.SHA256,
    XENC11 + "mgf1sha384": hashes.SHA384,
    XENC11 + "mgf1sha512": hashes.SHA512,
}


class DecryptionFailed(Exception):
    """The assertion could not be decrypted (deliberately without a reason)."""


def decrypt_assertion(encrypted: ET.Element, keys: Sequence[rsa.RSAPrivateKey]) -> bytes:
    """The plaintext of the EncryptedAssertion's EncryptedData (the Assertion XML)."""
    data = encrypted.find(f"{_E}EncryptedData")
    if data is None or not keys:
        raise DecryptionFailed
    method = data.find(f"{_E}EncryptionMethod")
    content = _CONTENT.get(method.get("Algorithm", "") if method is not None else "")
    if content is None:
        raise DecryptionFailed
    mode, key_length = content
    ciphertext = _cipher_value(data)
    # The EncryptedKey sits in the EncryptedData's KeyInfo, or beside it in the
    # EncryptedAssertion (SAML core 2.2.4), referenced by a RetrievalMethod.
    for wrapped in encrypted.iter(f"{_E}EncryptedKey"):
        for key in keys:
            content_key = _unwrap(wrapped, key)
            if content_key is not None and len(content_key) == key_length:
                return _decrypt(mode, content_key, ciphertext)
    raise DecryptionFailed


def _cipher_value(element: ET.Element) -> bytes:
    value = element.find(f"{_E}CipherData/{_E}CipherValue")
    if value is None:
        raise DecryptionFailed
    try:
        return base64.b64decode("".join((value.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionFailed from None


def _unwrap(wrapped: ET.Element, key: rsa.RSAPrivateKey) -> bytes | None:
    """The content key, or None when this key does not open this EncryptedKey."""
    method = wrapped.find(f"{_E}EncryptionMethod")
    algorithm = method.get("Algorithm", "") if method is not None else ""
    if method is None or algorithm not in (XENC + "rsa-oaep-mgf1p", XENC11 + "rsa-oaep"):
        return None  # rsa-1_5 and anything else: refused
    digest_method = method.find(f"{{{DS}}}DigestMethod")
    digest = _DIGESTS.get(
        digest_method.get("Algorithm", "") if digest_method is not None else DS + "sha1"
    )
    mgf_method = method.find(f"{{{XENC11}}}MGF")
    # rsa-oaep-mgf1p always uses MGF1 with SHA-1; xmlenc11#rsa-oaep names its MGF.
    mgf = (
        _MGFS.get(mgf_method.get("Algorithm", ""))
        if mgf_method is not None and algorithm == XENC11 + "rsa-oaep"
        else hashes.SHA1
    )
    if digest is None or mgf is None:
        return None
    try:
        return key.decrypt(
            _cipher_value(wrapped),
            padding.OAEP(mgf=padding.MGF1(mgf()), algorithm=digest(), label=None),
        )
    except (ValueError, DecryptionFailed):
        return None


def _decrypt(mode: str, key: bytes, ciphertext: bytes) -> bytes:
    if mode == "gcm":
        # xmlenc11: a 96-bit IV, then the ciphertext with its 128-bit tag.
        if len(ciphertext) < 12 + 16:
            raise DecryptionFailed
        try:
            return AESGCM(key).decrypt(ciphertext[:12], ciphertext[12:], None)
        except InvalidTag:
            raise DecryptionFailed from None
    # CBC: a 128-bit IV, then the blocks; XML Encryption's padding ends with its length.
    if len(ciphertext) < 32 or len(ciphertext) % 16:
        raise DecryptionFailed
    decryptor = Cipher(algorithms.AES(key), modes.CBC(ciphertext[:16])).decryptor()
    plain = decryptor.update(ciphertext[16:]) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 16:
        raise DecryptionFailed
    return plain[:-pad]
