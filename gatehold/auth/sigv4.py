"""AWS Signature Version 4, server side: read a request's claim, check its time, verify it.

Pure: no I/O, no clock, no database; the caller passes ``now`` and the secret. The only
shared state is a small cache of derived signing keys.

The app's order, AWS's as far as it shows: ``parse`` -> ``check_time`` -> ``check_scope``
-> look up the key (unknown: InvalidClientTokenId) -> ``verify`` (False: SignatureDoesNotMatch).

The canonical request and string to sign are built by sigv4_canonical.py.

Bytes, for wire compatibility: ``raw_path``/``raw_query`` hold non-ASCII bytes decoded as
UTF-8 with ``surrogateescape`` (they round-trip exactly); header values are decoded as
Latin-1, as ASGI servers do and as botocore's http client encodes what it signed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from gatehold import errors
from gatehold.auth.sigv4_canonical import (
    ALGORITHM,
    canonical_headers,
    canonical_query,
    canonical_uri,
    payload_hash,
    query_pairs,
    sign_form,
    wire_bytes,
)
from gatehold.errors import AwsError

TERMINATOR = "aws4_request"
MAX_SKEW = timedelta(minutes=15)
MAX_EXPIRES = timedelta(days=7)  # S3's ceiling for X-Amz-Expires, when it is honoured

_ISO_BASIC = "%Y%m%dT%H%M%SZ"
# AWS splits the Authorization header on commas *and* blanks: it answers
# "Credential= AKID/..." with "'AKID/...' not a valid key=value pair".
_AUTH_SEPARATORS = re.compile(r"[\s,]+")
_HEADER_PARAMS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)


@dataclass(frozen=True)
class HttpRequest:
    """What arrived on the wire, unmodified."""

    method: str
    raw_path: str  # path exactly as sent, still percent-encoded, without query
    raw_query: str  # query string exactly as sent ('' if none)
    headers: tuple[tuple[str, str], ...]  # (name, value) as received, order and duplicates kept
    body: bytes


@dataclass(frozen=True)
class SigV4Claim:
    """What the request claims; nothing verified yet."""

    access_key_id: str
    date: str  # YYYYMMDD from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    request_time: datetime  # from X-Amz-Date (or Date header), tz-aware UTC
    session_token: str | None  # X-Amz-Security-Token, if any
    presigned: bool
    expires_seconds: int | None  # X-Amz-Expires for presigned
    canonical_request: str
    string_to_sign: str
    # Signed headers the request does not carry: such a claim never verifies.
    absent_signed_headers: tuple[str, ...] = ()
    # A presigned URL may carry its session token unsigned, appended after signing (AWS
    # IoT's convention, aws-c-auth's omit_session_token): the same request without it.
    canonical_request_without_token: str | None = None
    string_to_sign_without_token: str | None = None


# --- the claim -----------------------------------------------------------------------


def parse(req: HttpRequest, *, normalize_path: bool = True) -> SigV4Claim:
    """Read the claim of ``req``; rebuild its canonical request and string to sign.

    ``normalize_path`` False keeps dot segments and duplicate slashes (S3-style paths);
    the path is URI-encoded either way, as AWS's test suite expects.
    Raises AwsError for whatever AWS refuses before it looks at the key.
    """
    headers = _header_map(req.headers)
    pairs = query_pairs(req.raw_query)
    query: dict[str, str] = {}
    for key, value in pairs:  # the first value wins for auth parameters
        query.setdefault(_text(key), _text(value))  # (the canonical query keeps the bytes)
    presigned = _is_presigned(headers, query)
    algorithm, credential, signature, signed, timestamp = (
        _from_query(query) if presigned else _from_header(headers)
    )
    if presigned or _first(headers, "x-amz-date"):
        request_time = _parse_basic_date(timestamp)
    else:
        request_time = _parse_http_date(timestamp)
        timestamp = request_time.strftime(_ISO_BASIC)
    signed_headers = tuple(signed.split(";"))
    # The signature must cover the host, or it could be replayed against another one.
    if "host" not in (name.lower() for name in signed_headers):
        raise errors.signature_does_not_match(
            "'Host' must be a 'SignedHeader' in the AWS Authorization."
        )
    if algorithm != ALGORITHM:
        raise errors.incomplete_signature(
            f"Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )
    access_key_id, date, region, service = _split_credential(credential, timestamp)

    header_block, absent = canonical_headers(headers, signed_headers)
    declared = _first(headers, "x-amz-content-sha256") or query.get("X-Amz-Content-Sha256")
    head = (req.method, canonical_uri(req.raw_path, normalize=normalize_path))
    tail = (header_block, ";".join(signed_headers), payload_hash(req.body, declared or None))
    scope = f"{timestamp}\n{date}/{region}/{service}/{TERMINATOR}"
    # A presigned URL's signature cannot sign itself.
    excluded = {b"X-Amz-Signature"} if presigned else set()
    canonical_request, string_to_sign = sign_form(
        head, canonical_query(pairs, excluded), tail, scope
    )
    token = query.get("X-Amz-Security-Token") if presigned else None
    without_token: tuple[str | None, str | None] = (None, None)
    if token:
        without_token = sign_form(
            head, canonical_query(pairs, excluded | {b"X-Amz-Security-Token"}), tail, scope
        )
    expires = query.get("X-Amz-Expires", "")
    return SigV4Claim(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=signature,
        request_time=request_time,
        session_token=token or _first(headers, "x-amz-security-token") or None,
        presigned=presigned,
        # Non-S3 services ignore X-Amz-Expires (the 15-minute window applies), so a
        # malformed one is ignored, not answered with an invented error.
        expires_seconds=int(expires)
        if presigned and expires.isascii() and expires.isdigit()
        else None,
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
        absent_signed_headers=absent,
        canonical_request_without_token=without_token[0],
        string_to_sign_without_token=without_token[1],
    )


def _is_presigned(headers: dict[str, list[str]], query: dict[str, str]) -> bool:
    authorization = _first(headers, "authorization").strip()
    presigned = "X-Amz-Algorithm" in query
    if authorization and presigned:
        raise errors.signature_does_not_match(
            "Found both 'X-Amz-Algorithm' as a query-string param "
            "and 'Authorization' as HTTP header."
        )
    if not (authorization or presigned):
        raise errors.missing_authentication_token()
    return presigned


def _from_header(headers: dict[str, list[str]]) -> tuple[str, ...]:
    """(algorithm, credential, signature, signed headers, date) from Authorization."""
    authorization = _first(headers, "authorization").strip()
    tokens = _AUTH_SEPARATORS.split(authorization)
    params: dict[str, str] = {}
    for token in filter(None, tokens[1:]):
        key, equals, value = token.partition("=")
        if not equals:
            raise errors.incomplete_signature(
                f"'{token}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{authorization}'."
            )
        params[key] = value
    date = _first(headers, "x-amz-date") or _first(headers, "date")
    # AWS lists every missing part at once, then echoes the header it got.
    missing = [
        f"Authorization header requires '{p}' parameter."
        for p in _HEADER_PARAMS
        if not params.get(p)
    ]
    if not date:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise errors.incomplete_signature(" ".join(missing) + f" Authorization={authorization}")
    return (tokens[0], params["Credential"], params["Signature"], params["SignedHeaders"], date)


def _from_query(query: dict[str, str]) -> tuple[str, ...]:
    """(algorithm, credential, signature, signed headers, date) from a presigned query."""
    missing = [
        f"AWS query-string parameters must include '{p}'."
        for p in _QUERY_PARAMS
        if not query.get(p)
    ]
    if missing:
        raise errors.incomplete_signature(
            " ".join(missing) + " Re-examine the query-string parameters."
        )
    return tuple(query[p] for p in _QUERY_PARAMS)


def _split_credential(credential: str, timestamp: str) -> tuple[str, str, str, str]:
    parts = credential.rstrip("/").split("/")  # AWS ignores trailing slashes here
    if len(parts) != 5:
        raise errors.incomplete_signature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    access_key_id, date, region, service, terminator = parts
    problems: list[str] = []
    if terminator != TERMINATOR:
        problems.append(
            "Credential should be scoped with a valid terminator: "
            f"'aws4_request', not '{terminator}'. "
        )
    # A signing key is scoped to one day: it must not sign a request of another day.
    if date != timestamp[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
            f"version of date from HTTP: '{date}' != '{timestamp[:8]}', "
            f"from '{timestamp}'."
        )
    if problems:
        raise errors.signature_does_not_match("".join(problems))
    return access_key_id, date, region, service


def _parse_basic_date(value: str) -> datetime:
    # Strictly YYYYMMDD'T'HHMMSS'Z': this very string goes into the string to sign.
    if (
        len(value) == 16
        and value.isascii()
        and value[8] == "T"
        and value[15] == "Z"
        and value[:8].isdigit()
        and value[9:15].isdigit()
    ):
        try:
            return datetime(
                int(value[:4]),
                int(value[4:6]),
                int(value[6:8]),
                int(value[9:11]),
                int(value[11:13]),
                int(value[13:15]),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    raise _bad_date(value)


def _parse_http_date(value: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # "-0000": UTC, with no claim about local time
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        raise _bad_date(value) from None


def _bad_date(value: str) -> AwsError:
    return errors.incomplete_signature(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


# --- time and scope --------------------------------------------------------------------


def check_time(claim: SigV4Claim, now: datetime, *, honour_expires: bool = False) -> None:
    """Refuse a request outside AWS's 15-minute window around ``now`` (tz-aware).

    IAM, STS and every non-S3 service ignore X-Amz-Expires and apply this window to
    presigned requests too. ``honour_expires`` gives S3's rule instead: a presigned
    request lives X-Amz-Expires seconds (at most 7 days), then "Request has expired".
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    signed_at = claim.request_time
    if signed_at > now + MAX_SKEW:
        raise errors.signature_does_not_match(
            f"Signature not yet current: {_fmt(signed_at)} is still later than "
            f"{_fmt(now + MAX_SKEW)} ({_fmt(now)} + 15 min.)"
        )
    if honour_expires and claim.presigned and claim.expires_seconds is not None:
        if now > signed_at + min(timedelta(seconds=claim.expires_seconds), MAX_EXPIRES):
            raise errors.access_denied("Request has expired")
    elif signed_at < now - MAX_SKEW:
        raise errors.signature_does_not_match(
            f"Signature expired: {_fmt(signed_at)} is now earlier than "
            f"{_fmt(now - MAX_SKEW)} ({_fmt(now)} - 15 min.)"
        )


def check_scope(
    claim: SigV4Claim, expected_service: str, expected_region: str | None = None
) -> None:
    """Refuse a credential scoped to another service (or region, when one is expected)."""
    problems: list[str] = []
    if expected_region is not None and claim.region != expected_region:
        problems.append(f"Credential should be scoped to a valid region, not '{claim.region}'. ")
    if claim.service != expected_service:
        problems.append(f"Credential should be scoped to correct service: '{expected_service}'. ")
    if problems:
        raise errors.signature_does_not_match("".join(problems))


# --- keys and signatures -------------------------------------------------------------


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def expected_signature(
    claim: SigV4Claim, signing_key: bytes, string_to_sign: str | None = None
) -> str:
    message = wire_bytes(string_to_sign or claim.string_to_sign)
    return hmac.new(signing_key, message, hashlib.sha256).hexdigest()


def verify(claim: SigV4Claim, secret: str) -> bool:
    """True when ``claim`` was signed with ``secret``; compares in constant time."""
    key = _cached_signing_key(secret, claim.date, claim.region, claim.service)
    given = wire_bytes(claim.signature)
    matches = hmac.compare_digest(expected_signature(claim, key).encode(), given)
    if claim.string_to_sign_without_token is not None:
        unsigned_token = expected_signature(claim, key, claim.string_to_sign_without_token)
        matches |= hmac.compare_digest(unsigned_token.encode(), given)
    return matches and not claim.absent_signed_headers


# A signing key serves one (secret, day, region, service): caching it saves four HMACs
# per request. Keyed by a hash of the secret, so the cache holds no secret itself.
_KEY_CACHE: OrderedDict[tuple[bytes, str, str, str], bytes] = OrderedDict()
_KEY_CACHE_SIZE = 1024
_KEY_CACHE_LOCK = threading.Lock()


def _cached_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    cache_key = (hashlib.sha256(secret.encode("utf-8")).digest(), date, region, service)
    with _KEY_CACHE_LOCK:
        key = _KEY_CACHE.get(cache_key)
        if key is not None:
            _KEY_CACHE.move_to_end(cache_key)
            return key
    key = derive_signing_key(secret, date, region, service)
    with _KEY_CACHE_LOCK:
        _KEY_CACHE[cache_key] = key
        if len(_KEY_CACHE) > _KEY_CACHE_SIZE:
            _KEY_CACHE.popitem(last=False)
    return key


# --- helpers -------------------------------------------------------------------------


def _header_map(headers: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name, value in headers:
        result.setdefault(name.lower(), []).append(value)
    return result


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _text(raw: bytes) -> str:
    # Never a lone surrogate: these values end up in error messages and XML.
    return raw.decode("utf-8", "replace")


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_ISO_BASIC)
