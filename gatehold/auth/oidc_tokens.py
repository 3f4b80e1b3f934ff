"""Web identity tokens: OpenID Connect ID tokens (JWTs) checked as AWS STS checks them.

AWS (API_AssumeRoleWithWebIdentity; id_roles_providers_oidc): the token must be a
JWT signed with RSA (RS256/384/512) or ECDSA (ES256/384/512); its `iss` names the
identity provider, whose signing keys STS finds through
`<iss>/.well-known/openid-configuration` -> `jwks_uri`; the audience must be one
of the IAM OIDC provider's client IDs; `exp`, `nbf` and `iat` are integers.

This module holds the token rules (pure: data and `now` in, facts or an AwsError
out); fetching the issuer's keys, the only I/O, is oidc_keys.py's.

Signatures are checked by PyJWT (over `cryptography`) rather than by hand: JWS
has well-known traps (alg "none", HMAC with a public key as the secret, ECDSA
signature encoding) that a maintained library already closes; we only ever let
it verify with an asymmetric algorithm from AWS's list, named by us.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from gatehold.errors import AwsError

# AWS accepts RSA and ECDSA signatures only (WebIdentityToken, API reference).
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})

# Clock skew allowed between the provider and us for nbf and iat (not for exp:
# AWS's message for an expired token compares the two times exactly).
LEEWAY_SECONDS = 30

TAGS_CLAIM = "https://aws.amazon.com/tags"
MAX_SESSION_TAGS = 50
_SOURCE_IDENTITY = re.compile(r"[\w+=,.@-]{2,64}")
# IAM tag rules (id_tags): letters, spaces, digits and _ . : / = + - @
_TAG_KEY = re.compile(r"[\w\s.:/=+\-@]+")
_TAG_VALUE = re.compile(r"[\w\s.:/=+\-@]*")
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"


# --- AWS's answers ---------------------------------------------------------------


def invalid_token(message: str) -> AwsError:
    return AwsError("InvalidIdentityToken", message, 400)


def not_a_jwt() -> AwsError:
    # Unconfirmed text (quoted in reports of sending an OAuth access token).
    return invalid_token(
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an "
        "Access Token)"
    )


def no_verification_key() -> AwsError:
    # AWS's text, quoted in many SDK reports (the two spaces are AWS's).
    return invalid_token(
        "Couldn't retrieve verification key from your identity provider,  please reference "
        "AssumeRoleWithWebIdentity documentation for requirements"
    )


def missing_claim(name: str) -> AwsError:
    # AWS's text for a token without `aud` ("Missing a required claim: aud").
    return invalid_token(f"Missing a required claim: {name}")


def bad_signature() -> AwsError:
    # Unconfirmed: AWS's own message for a signature that does not verify is not
    # quoted anywhere we found; this is the error's documented meaning.
    return invalid_token("The web identity token that was passed could not be validated by AWS.")


# --- the token ------------------------------------------------------------------


@dataclass(frozen=True)
class UnverifiedToken:
    """A structurally sound JWT whose signature is not checked yet: trust nothing in it
    beyond what is needed to find the provider and its keys."""

    raw: str
    algorithm: str
    key_id: str | None
    claims: Mapping[str, Any]

    @property
    def issuer(self) -> str:
        return str(self.claims["iss"])


def _b64_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def parse(token: str) -> UnverifiedToken:
    """The token's header and claims, or InvalidIdentityToken when it is no signed JWT."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise not_a_jwt()
    try:
        header, claims = _b64_json(parts[0]), _b64_json(parts[1])
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise not_a_jwt() from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise not_a_jwt()
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        # Unconfirmed text; AWS documents the algorithms it accepts.
        raise invalid_token(
            "The token is signed with an unsupported algorithm: use RS256, RS384, RS512, "
            "ES256, ES384 or ES512."
        )
    if not isinstance(claims.get("iss"), str) or not claims["iss"]:
        raise missing_claim("iss")
    kid = header.get("kid")
    return UnverifiedToken(token, algorithm, kid if isinstance(kid, str) else None, claims)


def provider_url(issuer: str) -> str:
    """The IAM OIDC provider URL for an issuer: the issuer without its scheme, as IAM
    stores it (arn:aws:iam::ACCOUNT:oidc-provider/<this>)."""
    for scheme in ("https://", "http://"):
        if issuer.lower().startswith(scheme):
            return issuer[len(scheme) :]
    return issuer


def audience(claims: Mapping[str, Any], client_ids: tuple[str, ...]) -> str:
    """The audience the token is for, which must be one of the provider's client IDs.

    AWS (IAM condition keys, "aud"): when the token has `azp` (authorized party),
    `azp` is the audience (`<provider>:aud`) and `aud` only the original audience
    (`<provider>:oaud`); otherwise `aud` is. `aud` may be a list (OIDC Core 2).
    """
    if "aud" not in claims:
        raise missing_claim("aud")
    azp = claims.get("azp")
    candidates = [azp] if isinstance(azp, str) and azp else audiences(claims)
    for candidate in candidates:
        if candidate in client_ids:
            return candidate
    raise invalid_token("Incorrect token audience")  # AWS's text


def audiences(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    values = aud if isinstance(aud, list) else [aud]
    return [v for v in values if isinstance(v, str)]


def _timestamp(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    # AWS: "Timestamps in the token must be formatted as either an integer or a long
    # integer" (WebIdentityToken, API reference).
    if isinstance(value, bool) or not isinstance(value, int):
        # Unconfirmed text.
        raise invalid_token(f"The {name} claim must be an integer number of seconds.")
    return value


def check_times(claims: Mapping[str, Any], now: int) -> None:
    """exp (required), nbf and iat against `now` (seconds since the epoch)."""
    expires = _timestamp(claims, "exp")
    if expires is None:
        raise missing_claim("exp")
    if now >= expires:
        # AWS's text, quoted in many SDK reports.
        raise AwsError(
            "ExpiredTokenException",
            f"Token expired: current date/time {now} must be before the expiration "
            f"date/time {expires}",
            400,
        )
    not_before = _timestamp(claims, "nbf")
    if not_before is not None and now + LEEWAY_SECONDS < not_before:
        # Unconfirmed text, in the form of AWS's expiry message.
        raise invalid_token(
            f"Token is not yet valid: current date/time {now} must be after the not-before "
            f"date/time {not_before}"
        )
    issued = _timestamp(claims, "iat")
    if issued is not None and now + LEEWAY_SECONDS < issued:
        # Unconfirmed text, in the form of AWS's expiry message.
        raise invalid_token(
            f"Token was issued in the future: current date/time {now} must be after the "
            f"issued-at date/time {issued}"
        )


def verify_signature(token: UnverifiedToken, keys: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The token's claims, once one of `keys` (JWKs) verifies its signature."""
    for jwk in keys:
        try:
            key = jwt.PyJWK(dict(jwk), algorithm=token.algorithm)
            payload = jwt.PyJWS().decode(token.raw, key=key, algorithms=[token.algorithm])
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue  # a key of another type or curve, malformed, or not the signer's
        try:
            claims = json.loads(payload)
        except (ValueError, RecursionError):
            raise not_a_jwt() from None
        if isinstance(claims, dict):
            return claims
        raise not_a_jwt()
    raise bad_signature()


def candidate_keys(
    jwks: Sequence[Mapping[str, Any]], token: UnverifiedToken
) -> list[Mapping[str, Any]]:
    """The provider's keys that may have signed `token`: the one its `kid` names (all
    when it names none), meant for signatures, of the token's algorithm if they say."""
    found = []
    for jwk in jwks:
        if token.key_id is not None and jwk.get("kid") != token.key_id:
            continue
        if jwk.get("use") not in (None, "sig") or jwk.get("alg") not in (None, token.algorithm):
            continue
        found.append(jwk)
    return found


def session_tags(claims: Mapping[str, Any]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Session tags and transitive keys from the `https://aws.amazon.com/tags` claim.

    AWS (id_session-tags, "Passing session tags using AssumeRoleWithWebIdentity"):
    {"principal_tags": {"Key": ["value"]}, "transitive_tag_keys": ["Key"]}; a
    session tag has exactly one value.
    """
    claim = claims.get(TAGS_CLAIM)
    if claim is None:
        return (), ()
    if not isinstance(claim, dict):
        raise _bad_tags()
    principal_tags = claim.get("principal_tags") or {}
    transitive = claim.get("transitive_tag_keys") or []
    if not isinstance(principal_tags, dict) or not isinstance(transitive, list):
        raise _bad_tags()
    tags: list[tuple[str, str]] = []
    for key, value in principal_tags.items():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str):
            raise _bad_tags()  # AWS: "Multivalued session tags are not supported"
        tags.append((key, value))
    if not all(isinstance(k, str) for k in transitive):
        raise _bad_tags()
    _check_tag_rules(tags, transitive)
    return tuple(tags), tuple(transitive)


def _check_tag_rules(tags: list[tuple[str, str]], transitive: list[str]) -> None:
    """AWS's limits for session tags (id_session-tags, "Things to know"; id_tags rules)."""
    # Unconfirmed texts: AWS documents the rules, not its messages for a token.
    if len(tags) > MAX_SESSION_TAGS:
        raise invalid_token(
            f"A web identity token can pass at most {MAX_SESSION_TAGS} session tags."
        )
    lowered = [k.lower() for k, _ in tags]
    if len(set(lowered)) != len(lowered):
        raise invalid_token("Duplicate session tag keys (tag keys are case insensitive).")
    for key, value in tags:
        if not _TAG_KEY.fullmatch(key) or len(key) > 128 or key.lower().startswith("aws:"):
            raise invalid_token(f"Invalid session tag key: {key}")
        if not _TAG_VALUE.fullmatch(value) or len(value) > 256:
            raise invalid_token(f"Invalid session tag value for key: {key}")
    if not {k.lower() for k in transitive} <= set(lowered):
        raise invalid_token("Each transitive tag key must be one of the session tags.")


def source_identity(claims: Mapping[str, Any]) -> str | None:
    """The `https://aws.amazon.com/source_identity` claim, held to the rules of
    AssumeRole's SourceIdentity (2 to 64 word characters or +=,.@-, not starting with "aws:")."""
    value = claims.get(SOURCE_IDENTITY_CLAIM)
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not _SOURCE_IDENTITY.fullmatch(value)
        or value.lower().startswith("aws:")
    ):
        # Unconfirmed text.
        raise invalid_token(f"Invalid source identity in the {SOURCE_IDENTITY_CLAIM} claim.")
    return value


def _bad_tags() -> AwsError:
    # Unconfirmed text.
    return invalid_token(
        f"The {TAGS_CLAIM} claim must hold principal_tags (each key with one string value) "
        "and transitive_tag_keys (a list of keys)."
    )
