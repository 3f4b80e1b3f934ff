"""The pure SAML Response reader: time windows against a given `now`, what it takes
from the signed assertion, and what it refuses (the server-level behaviour is in
tests/integration/test_sts_saml.py)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from gatehold.auth.saml_assertions import (
    AssertionRejected,
    Expected,
    ProviderKeys,
    SamlAssertion,
    read_response,
)
from gatehold.auth.saml_metadata import parse
from tests.support.certs import rsa_key
from tests.support.saml_idp import ATTRIBUTES, SamlIdp, decode, encode

IDP = SamlIdp(host="unit-idp.example", slot=23)
ROTATED = SamlIdp(host="unit-idp.example", slot=24)
UUID = "Z3QX9RKV2M7TLDP0B4WNYC8HFA"  # the provider's SAMLProviderUUID
SP_KEY, OTHER_SP_KEY = rsa_key(25), rsa_key(26)  # the SAML provider's own (AddPrivateKey)
# The IdP certificate is valid from a few minutes ago: the clock is near the real one.
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
ROLE = "arn:aws:iam::123456789012:role/dev"
PROVIDER = "arn:aws:iam::123456789012:saml-provider/corp"


def read(encoded: str, now: datetime = NOW, idp: SamlIdp = IDP) -> SamlAssertion:
    metadata = parse(idp.metadata())
    keys = ProviderKeys(metadata.signing_certificates, Expected(metadata.entity_id, UUID))
    return read_response(encoded, keys, now)


def rejected(encoded: str, now: datetime = NOW) -> tuple[str, str]:
    with pytest.raises(AssertionRejected) as exc:
        read(encoded, now)
    return exc.value.kind, exc.value.message


def test_facts_come_from_the_assertion() -> None:
    later = NOW + timedelta(hours=2)
    facts = read(
        IDP.response(
            [f"{ROLE},{PROVIDER}", f"{PROVIDER},{ROLE}-ops", "not-a-pair"],
            "dev.user",
            now=NOW,
            subject="u-42",
            subject_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            recipient="https://eu-west-1.signin.aws.amazon.com/saml",
            session_not_on_or_after=later,
            attributes={
                ATTRIBUTES + "SessionDuration": ["900"],
                ATTRIBUTES + "PrincipalTag:dept": ["eng"],
                "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["staff", "member"],
            },
        )
    )
    assert facts.roles == ((ROLE, PROVIDER), (f"{ROLE}-ops", PROVIDER))
    assert (facts.subject, facts.session_name) == ("u-42", "dev.user")
    # Only the SAML 2.0 prefix is taken off a format.
    assert facts.subject_type == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    assert facts.recipient == "https://eu-west-1.signin.aws.amazon.com/saml"
    assert (facts.session_duration, facts.session_not_on_or_after) == (900, later)
    assert facts.tags == (("dept", "eng"),)
    assert facts.attributes["urn:oid:1.3.6.1.4.1.5923.1.1.1.1"] == ("staff", "member")


def test_time_windows_follow_the_given_clock() -> None:
    encoded = IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, lifetime=timedelta(minutes=5))
    assert read(encoded, NOW + timedelta(minutes=4, seconds=59)).session_name == "alice"
    assert rejected(encoded, NOW + timedelta(minutes=5))[0] == "expired"
    # NotBefore (5 s before issue) tolerates clocks up to 5 minutes apart, not more.
    assert read(encoded, NOW - timedelta(minutes=5)).session_name == "alice"
    too_early = NOW - timedelta(minutes=5, seconds=10)
    assert rejected(encoded, too_early) == ("invalid", "Response is not yet valid")


def test_a_rotated_key_listed_in_the_metadata_verifies() -> None:
    rotated = (
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{ROTATED.certificate.der_b64}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    )
    two_keys = IDP.metadata().replace("</md:KeyDescriptor>", "</md:KeyDescriptor>" + rotated, 1)
    metadata = parse(two_keys)
    assert len(metadata.signing_certificates) == 2
    encoded = IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, signer=ROTATED)
    keys = ProviderKeys(metadata.signing_certificates, Expected(metadata.entity_id, UUID))
    facts = read_response(encoded, keys, NOW)
    assert facts.session_name == "alice"


def test_a_failed_sign_in_status_is_an_idp_rejection() -> None:
    response = decode(IDP.response([f"{ROLE},{PROVIDER}"], now=NOW))
    status = response.find(".//{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")
    assert status is not None
    status.set("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
    assert rejected(encode(response))[0] == "rejected"


def encrypted_keys(*, encryption_required: bool = False) -> ProviderKeys:
    metadata = parse(IDP.metadata())
    expected = Expected(metadata.entity_id, UUID, encryption_required=encryption_required)
    return ProviderKeys(metadata.signing_certificates, expected, [SP_KEY])


# The provider's own sign-in endpoint, which AWS requires when encryption is required.
ACS = f"https://signin.aws.amazon.com/saml/acs/{UUID}"


@pytest.mark.parametrize("encryption", ["aes256-gcm", "aes128-cbc"])
@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_an_encrypted_assertion_is_decrypted(encryption: str, sign: str) -> None:
    encoded = IDP.response(
        [f"{ROLE},{PROVIDER}"],
        "enc.user",
        now=NOW,
        sign=sign,
        recipient=ACS,
        encrypt_for=SP_KEY.public_key(),
        encryption=encryption,
    )
    assert (
        read_response(encoded, encrypted_keys(encryption_required=True), NOW).session_name
        == "enc.user"
    )


def test_encrypted_assertions_are_checked_like_plain_ones() -> None:
    keys = encrypted_keys()
    # Not for our key; signed by nobody (anyone may encrypt for the provider's public key).
    for encoded in (
        IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, encrypt_for=OTHER_SP_KEY.public_key()),
        IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, sign="none", encrypt_for=SP_KEY.public_key()),
    ):
        with pytest.raises(AssertionRejected) as exc:
            read_response(encoded, keys, NOW)
        assert exc.value.message == "Response signature invalid"
    # A tampered ciphertext (CBC is malleable) gets the very same answer.
    response = decode(
        IDP.response(
            [f"{ROLE},{PROVIDER}"],
            now=NOW,
            encrypt_for=SP_KEY.public_key(),
            encryption="aes128-cbc",
        )
    )
    values = response.findall(".//{http://www.w3.org/2001/04/xmlenc#}CipherValue")
    raw = bytearray(base64.b64decode(values[-1].text or ""))
    raw[-20] ^= 1
    values[-1].text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(AssertionRejected) as exc:
        read_response(encode(response), keys, NOW)
    assert exc.value.message == "Response signature invalid"


def test_a_provider_requiring_encryption_refuses_plain_assertions() -> None:
    plain = IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, recipient=ACS)
    assert read_response(plain, encrypted_keys(), NOW).session_name == "alice"
    with pytest.raises(AssertionRejected) as exc:
        read_response(plain, encrypted_keys(encryption_required=True), NOW)
    assert exc.value.message == "The SAML provider requires encrypted assertions"
    # ... and wants its own endpoint (.../saml/acs/UUID) as the Recipient.
    general = IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, encrypt_for=SP_KEY.public_key())
    with pytest.raises(AssertionRejected) as exc:
        read_response(general, encrypted_keys(encryption_required=True), NOW)
    assert "Recipient" in exc.value.message


@pytest.mark.parametrize(
    ("recipient", "accepted"),
    [
        ("https://signin.aws.amazon.com/saml", True),
        ("https://signin.aws.amazon.com/static/saml", True),
        ("https://eu-west-1.signin.aws.amazon.com/saml", True),
        (f"https://us-east-2.signin.aws.amazon.com/saml/acs/{UUID}", True),
        ("https://signin.aws.amazon.com/saml/acs/SOMEONEELSE0000000000000000", False),
        ("https://signin.aws.amazon.com.evil.example/saml", False),
        ("http://signin.aws.amazon.com/saml", False),
    ],
)
def test_recipients_are_aws_sign_in_endpoints(recipient: str, accepted: bool) -> None:
    encoded = IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, recipient=recipient)
    if accepted:
        assert read(encoded).recipient == recipient
    else:
        assert "Recipient" in rejected(encoded)[1]


@pytest.mark.parametrize("value", ["899", "43201", "an hour"])
def test_session_duration_must_be_in_range(value: str) -> None:
    encoded = IDP.response(
        [f"{ROLE},{PROVIDER}"], now=NOW, attributes={ATTRIBUTES + "SessionDuration": [value]}
    )
    assert rejected(encoded)[0] == "invalid"


def test_entities_and_comments_do_not_reach_the_reader() -> None:
    billion = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'
    )
    assert rejected(base64.b64encode(billion).decode())[0] == "invalid"
    # A comment inside the signed NameID does not change what is read (c14n drops it).
    signed = base64.b64decode(IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, subject="bob"))
    commented = signed.replace(b">bob<", b">bob<!-- .evil.example --><")
    assert read(base64.b64encode(commented).decode()).subject == "bob"


def test_session_tags_and_source_identity_are_checked() -> None:
    too_many = {ATTRIBUTES + f"PrincipalTag:k{i}": ["v"] for i in range(51)}
    same_key = {ATTRIBUTES + "PrincipalTag:Team": ["a"], ATTRIBUTES + "PrincipalTag:team": ["b"]}
    long_value = {ATTRIBUTES + "PrincipalTag:k": ["v" * 257]}
    bad_source = {ATTRIBUTES + "SourceIdentity": ["no spaces allowed"]}
    for attributes in (too_many, same_key, long_value, bad_source):
        encoded = IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, attributes=attributes)
        assert rejected(encoded)[0] == "invalid"
    fifty = {ATTRIBUTES + f"PrincipalTag:k{i}": ["v" * 256] for i in range(50)}
    assert len(read(IDP.response([f"{ROLE},{PROVIDER}"], now=NOW, attributes=fifty)).tags) == 50
