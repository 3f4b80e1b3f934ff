"""The WebAuthn ceremonies, as pure functions over py_webauthn: no store, no HTTP.

Options go to the browser as the JSON py_webauthn makes (byte fields base64url,
as static/security-keys.js expects); what the browser sends back is the credential
as JSON text, checked here against the challenge the server issued, the relying
party ID (its SHA-256 must head authenticatorData), the origin in clientDataJSON
and user presence. A security key is a second factor after the password, as in
AWS's console: a touch is enough, user verification (a PIN) is not asked for, and
the credential need not be discoverable. Attestation is not requested ("none"):
gatehold keeps no list of trusted authenticator makers.

Every failure, malformed input included, is one answer (None): the caller tells the
user no more than "not accepted", as for a wrong code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "gatehold"
# How long the browser may wait for a touch (a hint to it); the challenge itself
# lives a little longer on the server (webauthn_challenges.LIFETIME).
TIMEOUT_MS = 120_000
_TRANSPORTS = {t.value for t in AuthenticatorTransport}
# What py_webauthn and its parsers raise for a response that is malformed or wrong.
_REFUSED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError, IndexError)


@dataclass(frozen=True)
class RelyingParty:
    """Whom the credentials are for: the RP ID (a host name) and the one origin a
    browser may report in clientDataJSON."""

    rp_id: str
    origin: str


def relying_party(
    scheme: str, host: str, rp_id: str | None = None, origin: str | None = None
) -> RelyingParty:
    """The configured RP ID and origin, else those of the request (scheme and Host).

    A browser fills clientDataJSON's origin itself, so a page served under another
    host cannot claim ours; deriving from Host only decides which name this server
    answers to. Behind a proxy that changes scheme or Host, configure both."""
    origin = (origin or f"{scheme}://{host}").rstrip("/").lower()
    return RelyingParty((rp_id or urlsplit(origin).hostname or "").lower(), origin)


@dataclass(frozen=True)
class KeyRef:
    """A registered credential, as options name it."""

    credential_id: str  # base64url
    transports: str | None  # "usb,nfc"


@dataclass(frozen=True)
class NewKey:
    credential_id: str  # base64url
    public_key: bytes  # COSE
    sign_count: int
    transports: str | None


def _descriptors(keys: list[KeyRef]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(k.credential_id),
            transports=[
                AuthenticatorTransport(t)
                for t in (k.transports or "").split(",")
                if t in _TRANSPORTS
            ]
            or None,
        )
        for k in keys
    ]


def registration_options(
    rp: RelyingParty,
    challenge: bytes,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    existing: list[KeyRef],
) -> dict[str, Any]:
    """Options for navigator.credentials.create(); `existing` keys are excluded, so
    one authenticator is not registered twice for the same principal."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.DISCOURAGED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def authentication_options(
    rp: RelyingParty, challenge: bytes, keys: list[KeyRef]
) -> dict[str, Any]:
    """Options for navigator.credentials.get(): only the principal's own keys."""
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(keys),
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def _parsed(credential_json: str) -> dict[str, Any] | None:
    try:
        value = json.loads(credential_json)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def verify_registration(rp: RelyingParty, credential_json: str, challenge: bytes) -> NewKey | None:
    """The new credential, when the attestation answers `challenge` for this RP and
    origin with the user present; None otherwise."""
    credential = _parsed(credential_json)
    if credential is None:
        return None
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_presence=True,
            require_user_verification=False,
        )
    except _REFUSED:
        return None
    response = credential.get("response")
    sent = response.get("transports") if isinstance(response, dict) else None
    transports = [t for t in sent if t in _TRANSPORTS] if isinstance(sent, list) else []
    return NewKey(
        bytes_to_base64url(verified.credential_id),
        verified.credential_public_key,
        verified.sign_count,
        ",".join(transports) or None,
    )


def credential_id_of(credential_json: str) -> str | None:
    """The credential ID an assertion claims to be from (base64url), to find its key."""
    credential = _parsed(credential_json)
    raw = credential.get("rawId") if credential else None
    if not isinstance(raw, str):
        return None
    try:
        raw_id = base64url_to_bytes(raw)
    except _REFUSED:
        return None
    return bytes_to_base64url(raw_id) if raw_id else None  # the canonical form


def verify_assertion(
    rp: RelyingParty,
    credential_json: str,
    challenge: bytes,
    public_key: bytes,
    sign_count: int,
) -> int | None:
    """The authenticator's new signature counter when the assertion is signed by
    `public_key` over this challenge, RP ID and origin with the user present; None
    otherwise. A counter that does not move forward (when either is non-zero) is
    refused: the key may have been cloned (WebAuthn Level 2, 7.2 step 21)."""
    credential = _parsed(credential_json)
    if credential is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=False,
        )
    except _REFUSED:  # malformed input, a bad signature, a counter gone back...
        return None
    new_count: int = verified.new_sign_count
    return new_count
