"""Web identity tokens: OpenID Connect ID tokens (JWTs) checked as AWS STS checks them.

AWS (API_AssumeRoleWithWebIdentity; id_roles_providers_oidc): the token must be a
JWT signed with RSA (RS256/384/512) or ECDSA (ES256/384/512); its `iss` names the
identity provider, whose signing keys STS finds through
`<iss>/.well-known/openid-configuration` -> `jwks_uri`; the audience must be one
of the IAM OIDC provider's client IDs; `exp`, `nbf` and `iat` are integers.

This module holds the token rules (pure: data and `now` in, facts or an AwsError
out) and the key source (the only I/O: two HTTP GETs per issuer, cached). The
HTTP fetch is a seam (`Fetch`), so the key source can be given another one.

Signatures are checked by PyJWT (over `cryptography`) rather than by hand: JWS
has well-known traps (alg "none", HMAC with a public key as the secret, ECDSA
signature encoding) that a maintained library already closes; we only ever let
it verify with an asymmetric algorithm from AWS's list, named by us.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt

from gatehold.errors import AwsError

log = logging.getLogger("gatehold.oidc")

# AWS accepts RSA and ECDSA signatures only (WebIdentityToken, API reference).
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})

# AWS gives up on an identity provider that takes more than 5 seconds (knowledge
# center, "iam-sts-invalididentitytoken"); a request must never wait longer.
FETCH_TIMEOUT_SECONDS = 5.0
# Discovery documents and JWKS are a few kilobytes; a provider answering more is
# broken or hostile, and must not fill our memory.
MAX_DOCUMENT_BYTES = 256 * 1024
# Keys are kept this long (providers rotate keys with overlap of days); a token
# naming a key we do not hold refreshes them sooner, but at most this often.
KEYS_TTL_SECONDS = 300.0
REFRESH_MIN_INTERVAL_SECONDS = 30.0
# A provider that could not be reached is not asked again for this long: the
# request that fetches holds its database transaction open meanwhile (on SQLite,
# the unsigned path's write lock), so an outage must not become a stall on every call.
FAILURE_BACKOFF_SECONDS = 15.0
# Clock skew allowed between the provider and us for nbf and iat (not for exp:
# AWS's message for an expired token compares the two times exactly).
LEEWAY_SECONDS = 30

# Plain HTTP only to this machine (a provider under test, or a sidecar); anywhere
# else a token's keys must come over verified TLS.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_WELL_KNOWN = "/.well-known/openid-configuration"

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


# --- the provider's keys ------------------------------------------------------------


class FetchError(Exception):
    """A document could not be fetched (unreachable, refused, too slow, too big, not JSON)."""


Fetch = Callable[[str], bytes]


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead from https to plain http, or to another host entirely.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS


def http_fetch(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    """GET `url` over verified TLS (or plain HTTP to this machine), within `timeout`
    seconds in all, at most MAX_DOCUMENT_BYTES; no redirects."""
    if not fetch_allowed(url):
        raise FetchError(f"refused url {url!r}: https only (http to loopback)")
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_RefuseRedirects())
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "gatehold-sts"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise FetchError(f"{url}: HTTP {response.status}")
            body = b""
            # The socket timeout bounds each read; the deadline bounds them all (a
            # provider trickling bytes would otherwise hold the request for long).
            # read1: what has arrived (read(n) would wait for n bytes, past the deadline).
            while chunk := response.read1(16384):
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise FetchError(f"{url}: larger than {MAX_DOCUMENT_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise FetchError(f"{url}: slower than {timeout} s")
            return body
    except (urllib.error.URLError, OSError, ValueError) as exc:  # HTTPError is a URLError
        raise FetchError(f"{url}: {exc}") from None


def _json_object(fetch: Fetch, url: str) -> dict[str, Any]:
    try:
        document = json.loads(fetch(url))
    except ValueError:
        raise FetchError(f"{url}: not JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{url}: not a JSON object")
    return document


def discover_keys(fetch: Fetch, issuer: str) -> list[dict[str, Any]]:
    """The issuer's JWKS keys, through its discovery document (OIDC Discovery 1.0, 4)."""
    config = _json_object(fetch, issuer.rstrip("/") + _WELL_KNOWN)
    # OIDC Discovery 4.3: the document's issuer must be exactly the one asked about,
    # or a provider could pass off another's keys as its own.
    if config.get("issuer") != issuer:
        raise FetchError(f"discovery document of {issuer} names issuer {config.get('issuer')!r}")
    jwks_uri = config.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not fetch_allowed(jwks_uri):
        raise FetchError(f"discovery document of {issuer}: bad jwks_uri {jwks_uri!r}")
    keys = _json_object(fetch, jwks_uri).get("keys")
    if not isinstance(keys, list):
        raise FetchError(f"{jwks_uri}: no keys")
    return [k for k in keys if isinstance(k, dict)]


@dataclass
class _Entry:
    keys: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: float | None = None  # monotonic; None: never fetched successfully
    failed_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class KeySource:
    """Each issuer's signing keys, fetched when first needed and kept for a while.

    Thread-safe: requests run in worker threads. Concurrent requests for one issuer
    wait for a single fetch instead of each fetching.
    """

    def __init__(
        self,
        fetch: Fetch = http_fetch,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = KEYS_TTL_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def keys_for(self, token: UnverifiedToken) -> list[Mapping[str, Any]]:
        """The keys that may have signed `token`; InvalidIdentityToken when there are none
        (the provider unreachable, or no key of the token's `kid`)."""
        issuer = token.issuer
        with self._lock:
            entry = self._entries.setdefault(issuer, _Entry())
            if len(self._entries) > 1000:  # issuers are registered ones: never this many
                self._entries = {issuer: entry}
        with entry.lock:
            now = self._clock()
            stale = entry.fetched_at is None or now - entry.fetched_at >= self._ttl
            if stale:
                # Keys are never used past their time, not even while the provider is
                # down: a key it has withdrawn must stop working.
                entry.keys = []
            if not candidate_keys(entry.keys, token) and self._may_fetch(entry, now):
                try:
                    entry.keys = discover_keys(self._fetch, issuer)
                    entry.fetched_at, entry.failed_at = now, None
                except FetchError as exc:
                    # The client only learns that the keys could not be had (AWS's
                    # answer); the operator needs to know why.
                    log.warning("signing keys of %s not available: %s", issuer, exc)
                    entry.failed_at = now
            found = candidate_keys(entry.keys, token)
        if not found:
            raise no_verification_key()
        return found

    def _may_fetch(self, entry: _Entry, now: float) -> bool:
        if entry.failed_at is not None and now - entry.failed_at < FAILURE_BACKOFF_SECONDS:
            return False
        # Stale keys are refreshed; fresh ones only now and then (a token naming an
        # unknown key must not make us fetch on every request).
        return entry.fetched_at is None or now - entry.fetched_at >= min(
            self._ttl, REFRESH_MIN_INTERVAL_SECONDS
        )
