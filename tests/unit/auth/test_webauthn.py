"""The WebAuthn ceremonies (auth/webauthn.py) against a software authenticator:
what the relying party checks, without a server."""

from __future__ import annotations

import json
import os

from gatehold.auth import webauthn
from tests.support.soft_authenticator import SoftAuthenticator

RP = webauthn.RelyingParty("localhost", "http://localhost:7480")


def _registered(key: SoftAuthenticator) -> webauthn.NewKey:
    challenge = os.urandom(32)
    options = webauthn.registration_options(RP, challenge, b"AIDA1", "alice", "alice", [])
    new = webauthn.verify_registration(RP, json.dumps(key.register(options)), challenge)
    assert new is not None
    return new


def test_relying_party_comes_from_the_request_unless_configured() -> None:
    assert webauthn.relying_party("http", "LocalHost:7480") == RP
    behind_proxy = webauthn.relying_party(
        "http", "10.0.0.5:7480", None, "https://console.example.com/"
    )
    assert behind_proxy == webauthn.RelyingParty(
        "console.example.com", "https://console.example.com"
    )
    parent = webauthn.relying_party("https", "console.example.com", "example.com")
    assert parent == webauthn.RelyingParty("example.com", "https://console.example.com")


def test_registration_is_bound_to_challenge_rp_id_and_origin() -> None:
    key = SoftAuthenticator(RP.origin)
    challenge = os.urandom(32)
    options = webauthn.registration_options(RP, challenge, b"AIDA1", "alice", "alice", [])
    assert options["rp"] == {"id": "localhost", "name": "gatehold"}
    answer = json.dumps(key.register(options))
    assert webauthn.verify_registration(RP, answer, os.urandom(32)) is None  # other challenge
    other_rp = webauthn.RelyingParty("example.com", RP.origin)
    assert webauthn.verify_registration(other_rp, answer, challenge) is None  # RP ID hash
    other_origin = webauthn.RelyingParty("localhost", "http://localhost:9999")
    assert webauthn.verify_registration(other_origin, answer, challenge) is None
    new = webauthn.verify_registration(RP, answer, challenge)
    assert new is not None and new.transports == "usb" and new.sign_count == 0


def test_an_existing_key_is_excluded_and_allowed_by_its_id() -> None:
    new = _registered(SoftAuthenticator(RP.origin))
    ref = webauthn.KeyRef(new.credential_id, new.transports)
    options = webauthn.registration_options(RP, os.urandom(32), b"AIDA1", "a", "a", [ref])
    assert [c["id"] for c in options["excludeCredentials"]] == [new.credential_id]
    options = webauthn.authentication_options(RP, os.urandom(32), [ref])
    assert options["allowCredentials"] == [
        {"id": new.credential_id, "type": "public-key", "transports": ["usb"]}
    ]


def test_assertion_checks_signature_presence_and_counter() -> None:
    key = SoftAuthenticator(RP.origin)
    new = _registered(key)
    challenge = os.urandom(32)
    options = webauthn.authentication_options(RP, challenge, [])

    def verify(answer: dict[str, object], stored: int = 0) -> int | None:
        return webauthn.verify_assertion(RP, json.dumps(answer), challenge, new.public_key, stored)

    assert verify(key.assertion(options, sign_count=5)) == 5
    assert verify(key.assertion(options, sign_count=5), stored=5) is None  # not moved on
    assert verify(key.assertion(options, sign_count=4), stored=5) is None  # went back
    assert verify(key.assertion(options, sign_count=6, present=False), stored=5) is None
    assert verify(SoftAuthenticator(RP.origin).assertion(options)) is None  # another key
    assert webauthn.verify_assertion(RP, "{", challenge, new.public_key, 0) is None
    assert webauthn.credential_id_of(json.dumps(key.assertion(options))) == new.credential_id
    assert webauthn.credential_id_of('{"rawId": "%%%"}') is None
