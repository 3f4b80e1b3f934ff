"""gatehold.auth.sigv4: the AWS test vectors, tampering, the time window, AWS's error
texts, and requests signed by botocore itself (examples and a hypothesis property).

The vectors come from the conformance data (tests/support/conformance.py: by default
../shared/conformance/sigv4 beside the repository; see SOURCE.md there):
awslabs/aws-c-auth's v4 signing test suite. The tests that read them carry the
`conformance` mark.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehold.auth import sigv4
from gatehold.auth.sigv4 import HttpRequest, SigV4Claim
from gatehold.errors import AwsError
from tests.support import conformance

VECTORS = conformance.path(conformance.SIGV4)
CASES = sorted(p.name for p in VECTORS.iterdir() if p.is_dir()) if VECTORS.is_dir() else []
FORMS = ("header", "query")

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SIGNED_AT = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)  # every vector's timestamp
ENDPOINT = "http://localhost:4566"


# --- helpers: a raw HTTP request parser and the server's pipeline --------------------


def parse_raw_request(raw: bytes) -> HttpRequest:
    """Parse a request.txt as an HTTP server would hand it to the app."""
    eol = b"\r\n" if raw.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
    head, _, body = raw.partition(eol + eol)
    request_line, *header_lines = head.split(eol)
    # The vectors put raw UTF-8 and spaces in the target: split on the first and last blank.
    method, _, rest = request_line.decode("utf-8", "surrogateescape").partition(" ")
    target = rest.rpartition(" ")[0]
    path, _, query = target.partition("?")
    headers: list[list[str]] = []
    for line in header_lines:
        text = line.decode("latin-1")
        if text[:1] in (" ", "\t"):  # obs-fold: the server replaces it with one space
            headers[-1][1] += " " + text.strip(" \t")
        else:
            name, _, value = text.partition(":")
            headers.append([name, value.strip(" \t")])
    return HttpRequest(method, path, query, tuple((n, v) for n, v in headers), body)


def load_case(case: str, form: str) -> tuple[HttpRequest, dict[str, Any], Path]:
    folder = VECTORS / case
    context = json.loads((folder / "context.json").read_text())
    request = parse_raw_request((folder / f"{form}-signed-request.txt").read_bytes())
    return request, context, folder


def now_of(context: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(context["timestamp"])


def accept(req: HttpRequest, context: dict[str, Any]) -> SigV4Claim | None:
    """The server's whole pipeline: the claim if the request is accepted, else None."""
    try:
        claim = sigv4.parse(req, normalize_path=context["normalize"])
        sigv4.check_time(claim, now_of(context))
        sigv4.check_scope(claim, context["service"], context["region"])
    except AwsError:
        return None
    return claim if sigv4.verify(claim, context["credentials"]["secret_access_key"]) else None


def header_request(
    headers: list[tuple[str, str]],
    query: str = "",
    body: bytes = b"",
    method: str = "GET",
    path: str = "/",
) -> HttpRequest:
    return HttpRequest(method, path, query, tuple(headers), body)


def aws_error(fn: Callable[[], object]) -> AwsError:
    with pytest.raises(AwsError) as info:
        fn()
    return info.value


# --- the AWS test vectors ------------------------------------------------------------------


@pytest.mark.conformance
def test_vectors_are_present() -> None:
    assert len(CASES) >= 30, f"no SigV4 vectors under {VECTORS}"


@pytest.mark.conformance
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", CASES)
def test_vector_canonical_request_and_signature(case: str, form: str) -> None:
    request, context, folder = load_case(case, form)
    claim = sigv4.parse(request, normalize_path=context["normalize"])

    canonical_request: str | None = claim.canonical_request
    string_to_sign: str | None = claim.string_to_sign
    if form == "query" and context.get("omit_session_token"):
        # The token was appended to the URL after signing (AWS IoT's convention).
        canonical_request = claim.canonical_request_without_token
        string_to_sign = claim.string_to_sign_without_token
    assert canonical_request == (folder / f"{form}-canonical-request.txt").read_text("utf-8")
    assert string_to_sign == (folder / f"{form}-string-to-sign.txt").read_text("utf-8")
    assert claim.signature == (folder / f"{form}-signature.txt").read_text().strip()
    assert (claim.access_key_id, claim.region, claim.service) == (
        context["credentials"]["access_key_id"],
        context["region"],
        context["service"],
    )
    assert claim.request_time == now_of(context)
    assert claim.presigned is (form == "query")
    assert claim.expires_seconds == (context["expiration_in_seconds"] if form == "query" else None)
    # The token is reported even when it is not signed (post-sts-header-after).
    assert claim.session_token == context["credentials"].get("token")
    assert accept(request, context) == claim


# --- tampering: every single-character change is refused ------------------------------


def variants(ch: str) -> Iterator[str]:
    """Other characters for one position: another letter, a neighbour, the other case.
    Never whitespace: a blank inside a header value is collapsed by AWS's own canonical
    form, so it would be the same request."""
    seen = {ch}
    for other in ("Y" if ch == "X" else "X", chr(ord(ch) ^ 1), ch.swapcase()):
        if other not in seen and len(other) == 1 and other.isprintable() and not other.isspace():
            seen.add(other)
            yield other


def mutate_each(text: str, start: int = 0, end: int | None = None) -> Iterator[str]:
    for i in range(start, len(text) if end is None else end):
        for other in variants(text[i]):
            yield text[:i] + other + text[i + 1 :]


def with_header(req: HttpRequest, index: int, value: str) -> HttpRequest:
    headers = list(req.headers)
    headers[index] = (headers[index][0], value)
    return dataclasses.replace(req, headers=tuple(headers))


def header_index(req: HttpRequest, name: str) -> int:
    return next(i for i, (n, _) in enumerate(req.headers) if n.lower() == name)


def tampered(
    req: HttpRequest, claim: SigV4Claim, *, unsigned_token: bool = False
) -> Iterator[tuple[str, HttpRequest]]:
    """Every single-character change of the signed headers, the query (the signature and
    date of a presigned request), the Authorization header but its key id, and the body."""
    signed = {name.lower() for name in claim.signed_headers}
    for i, (name, value) in enumerate(req.headers):
        if name.lower() in signed:
            for changed in mutate_each(value):
                yield f"header {name}", with_header(req, i, changed)
    query = req.raw_query
    skipped = range(0)
    if unsigned_token:  # not signed: the credentials layer checks it belongs to the key
        start = query.index("X-Amz-Security-Token=")
        end = query.find("&", start)
        skipped = range(start, len(query) if end < 0 else end)
    for i in range(len(query)):
        if i not in skipped:
            for other in variants(query[i]):
                yield (
                    "query",
                    dataclasses.replace(req, raw_query=query[:i] + other + query[i + 1 :]),
                )
    if not claim.presigned:
        i = header_index(req, "authorization")
        auth = req.headers[i][1]
        key_id = auth.index(claim.access_key_id)
        for changed in mutate_each(auth, 0, key_id):
            yield "authorization", with_header(req, i, changed)
        for changed in mutate_each(auth, key_id + len(claim.access_key_id)):
            yield "authorization", with_header(req, i, changed)
    for i in range(len(req.body)):
        body = bytearray(req.body)
        body[i] ^= 1
        yield "body", dataclasses.replace(req, body=bytes(body))


def signature_changes(req: HttpRequest, claim: SigV4Claim) -> Iterator[HttpRequest]:
    """The signature, each hex digit replaced by another (still well-formed)."""
    for i, digit in enumerate(claim.signature):
        other = "0123456789abcdef"[(int(digit, 16) + 1) % 16]
        forged = claim.signature[:i] + other + claim.signature[i + 1 :]
        if claim.presigned:
            yield dataclasses.replace(req, raw_query=req.raw_query.replace(claim.signature, forged))
        else:
            index = header_index(req, "authorization")
            yield with_header(req, index, req.headers[index][1].replace(claim.signature, forged))


def date_changes(req: HttpRequest, claim: SigV4Claim) -> Iterator[HttpRequest]:
    """Each digit of X-Amz-Date moved by one: still a well-formed date."""
    stamp = claim.string_to_sign.split("\n")[1]
    for i, ch in enumerate(stamp):
        if ch.isdigit():
            moved = stamp[:i] + str((int(ch) + 1) % 10) + stamp[i + 1 :]
            if claim.presigned:
                yield dataclasses.replace(req, raw_query=req.raw_query.replace(stamp, moved))
            else:
                yield with_header(req, header_index(req, "x-amz-date"), moved)


@pytest.mark.conformance
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", CASES)
def test_vector_tampering_is_refused(case: str, form: str) -> None:
    request, context, _ = load_case(case, form)
    claim = accept(request, context)
    assert claim is not None
    accepted = []
    unsigned_token = form == "query" and bool(context.get("omit_session_token"))
    for what, changed in tampered(request, claim, unsigned_token=unsigned_token):
        passed = accept(changed, context)
        # Only another spelling of the same query may pass ('%2f' for '%2F'): it decodes
        # to the same bytes, so it is the very request that was signed.
        if passed is not None and not (
            what == "query" and passed.canonical_request == claim.canonical_request
        ):
            accepted.append((what, changed))
    accepted.extend(
        ("signature/date", changed)
        for changed in [*signature_changes(request, claim), *date_changes(request, claim)]
        if accept(changed, context) is not None
    )
    assert accepted == []


@pytest.mark.conformance
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", CASES)
def test_vector_path_tampering(case: str, form: str) -> None:
    """Every changed path is refused, unless it normalizes to the very same path (an
    edit inside a segment that '..' removes): AWS would take that for the same request
    too, so the app must route on the normalized path."""
    request, context, _ = load_case(case, form)
    original = accept(request, context)
    assert original is not None
    refused = 0
    for changed_path in mutate_each(request.raw_path):
        claim = accept(dataclasses.replace(request, raw_path=changed_path), context)
        if claim is None:
            refused += 1
        else:
            assert context["normalize"]
            assert claim.canonical_request == original.canonical_request
    assert refused > 0


# --- the 15-minute window ------------------------------------------------------------------


def vector_claim(form: str = "header", case: str = "get-vanilla") -> SigV4Claim:
    request, context, _ = load_case(case, form)
    return sigv4.parse(request, normalize_path=context["normalize"])


@pytest.mark.conformance
@pytest.mark.parametrize("form", FORMS)
def test_time_window_boundaries(form: str) -> None:
    claim = vector_claim(form)
    sigv4.check_time(claim, SIGNED_AT + timedelta(minutes=15))
    sigv4.check_time(claim, SIGNED_AT - timedelta(minutes=15))

    late = aws_error(lambda: sigv4.check_time(claim, SIGNED_AT + timedelta(minutes=15, seconds=1)))
    assert (late.code, late.status) == ("SignatureDoesNotMatch", 403)
    assert late.message == (
        "Signature expired: 20150830T123600Z is now earlier than "
        "20150830T123601Z (20150830T125101Z - 15 min.)"
    )

    early = aws_error(lambda: sigv4.check_time(claim, SIGNED_AT - timedelta(minutes=15, seconds=1)))
    assert (early.code, early.status) == ("SignatureDoesNotMatch", 403)
    assert early.message == (
        "Signature not yet current: 20150830T123600Z is still later than "
        "20150830T123559Z (20150830T122059Z + 15 min.)"
    )


@pytest.mark.conformance
def test_time_window_formats_now_in_utc() -> None:
    claim = vector_claim()
    paris = timezone(timedelta(hours=2))
    error = aws_error(lambda: sigv4.check_time(claim, datetime(2015, 8, 30, 15, 0, tzinfo=paris)))
    assert error.message == (
        "Signature expired: 20150830T123600Z is now earlier than "
        "20150830T124500Z (20150830T130000Z - 15 min.)"
    )
    with pytest.raises(ValueError):
        sigv4.check_time(claim, datetime(2015, 8, 30, 12, 36))  # noqa: DTZ001 - naive: refused


@pytest.mark.conformance
def test_presigned_uses_the_window_not_x_amz_expires_by_default() -> None:
    # IAM/STS ignore X-Amz-Expires (aws-sdk-go#2167, #2224): a presigned request gets
    # the same 15 minutes, whatever it says.
    claim = vector_claim("query")
    assert claim.expires_seconds == 3600
    error = aws_error(lambda: sigv4.check_time(claim, SIGNED_AT + timedelta(minutes=16)))
    assert error.message.startswith("Signature expired: ")


@pytest.mark.conformance
def test_presigned_honouring_x_amz_expires() -> None:
    claim = vector_claim("query")
    sigv4.check_time(claim, SIGNED_AT + timedelta(seconds=3600), honour_expires=True)
    error = aws_error(
        lambda: sigv4.check_time(claim, SIGNED_AT + timedelta(seconds=3601), honour_expires=True)
    )
    assert (error.code, error.message, error.status) == ("AccessDenied", "Request has expired", 403)
    future = aws_error(
        lambda: sigv4.check_time(claim, SIGNED_AT - timedelta(minutes=16), honour_expires=True)
    )
    assert future.message.startswith("Signature not yet current: ")


# --- missing and malformed parts, with AWS's texts -------------------------------------


HOST = ("Host", "example.amazonaws.com")
DATE = ("X-Amz-Date", "20150830T123600Z")
SCOPE = f"{AKID}/20150830/us-east-1/service/aws4_request"
GOOD_AUTH = (
    f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
)


def auth_error(authorization: str | None, *extra: tuple[str, str], query: str = "") -> AwsError:
    headers = [HOST, *extra] + ([("Authorization", authorization)] if authorization else [])
    return aws_error(lambda: sigv4.parse(header_request(headers, query)))


def test_no_authentication_at_all() -> None:
    error = auth_error(None, DATE)
    assert (error.code, error.status) == ("MissingAuthenticationToken", 403)
    assert error.message == "Request is missing Authentication Token"
    assert auth_error("   ", DATE).code == "MissingAuthenticationToken"


def test_authorization_header_missing_everything() -> None:
    error = auth_error("AWS4-HMAC-SHA256")
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


@pytest.mark.parametrize("drop", ["Credential", "Signature", "SignedHeaders"])
def test_authorization_header_missing_one_parameter(drop: str) -> None:
    parts = [p for p in GOOD_AUTH.split(" ", 1)[1].split(", ") if not p.startswith(drop + "=")]
    authorization = "AWS4-HMAC-SHA256 " + ", ".join(parts)
    error = auth_error(authorization, DATE)
    assert error.code == "IncompleteSignature"
    assert error.message == (
        f"Authorization header requires '{drop}' parameter. Authorization={authorization}"
    )
    empty = GOOD_AUTH.replace(f"{drop}=", f"{drop}=, Ignored=")
    assert auth_error(empty, DATE).message.startswith(f"Authorization header requires '{drop}'")


def test_authorization_header_without_a_date() -> None:
    error = auth_error(GOOD_AUTH)
    assert error.message == (
        "Authorization header requires existence of either a 'X-Amz-Date' "
        f"or a 'Date' header. Authorization={GOOD_AUTH}"
    )


@pytest.mark.parametrize(
    "authorization",
    ["Bearer eyJhbGciOi.eyJzdWIi.sig==", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo=="],
)
def test_other_schemes_are_incomplete_signatures(authorization: str) -> None:
    error = auth_error(authorization, DATE)
    assert error.code == "IncompleteSignature"
    assert error.message.startswith("Authorization header requires 'Credential' parameter. ")
    assert error.message.endswith(f"Authorization={authorization}")


def test_parameter_without_equal_sign() -> None:
    authorization = GOOD_AUTH.replace("Credential=", "Credential= ")
    error = auth_error(authorization, DATE)
    assert error.code == "IncompleteSignature"
    assert error.message == (
        f"'{SCOPE}' not a valid key=value pair (missing equal-sign) "
        f"in Authorization header: '{authorization}'."
    )


def test_unsupported_algorithm() -> None:
    error = auth_error(GOOD_AUTH.replace("SHA256", "SHA512", 1), DATE)
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == (
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "
    )


def test_credential_with_four_parts() -> None:
    error = auth_error(GOOD_AUTH.replace("/aws4_request", ""), DATE)
    assert error.code == "IncompleteSignature"
    assert error.message == (
        "Credential must have exactly 5 slash-delimited elements, "
        "e.g. keyid/date/region/service/term, "
        f"got '{AKID}/20150830/us-east-1/service'"
    )


def test_credential_terminator_and_date() -> None:
    error = auth_error(
        GOOD_AUTH.replace("20150830/", "20150831/").replace("aws4_request", "e"), DATE
    )
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
        "from HTTP: '20150831' != '20150830', from '20150830T123600Z'."
    )


@pytest.mark.parametrize(
    "stamp",
    [
        "2015-08-30T12:36:00Z",
        "20150830T123600",
        "20151330T123600Z",
        "20150830T12360Z",
        "\N{FULLWIDTH DIGIT TWO}0150830T123600Z",
    ],
)
def test_malformed_x_amz_date(stamp: str) -> None:
    error = auth_error(GOOD_AUTH, ("X-Amz-Date", stamp))
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == (
        f"Date must be in ISO-8601 'basic format'. Got '{stamp}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_host_must_be_signed() -> None:
    error = auth_error(GOOD_AUTH.replace("host;", ""), DATE)
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == "'Host' must be a 'SignedHeader' in the AWS Authorization."
    # Not case sensitive.
    sigv4.parse(header_request([HOST, DATE, ("Authorization", GOOD_AUTH.replace("host", "Host"))]))


def test_header_and_query_authentication_together() -> None:
    error = auth_error(GOOD_AUTH, DATE, query="X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )


def test_query_missing_everything() -> None:
    error = aws_error(lambda: sigv4.parse(header_request([HOST], "X-Amz-Algorithm")))
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == (
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters."
    )


def test_query_missing_the_signature() -> None:
    query = (
        f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={quote(SCOPE, safe='')}"
        "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host"
    )
    error = aws_error(lambda: sigv4.parse(header_request([HOST], query)))
    assert error.message == (
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "Re-examine the query-string parameters."
    )


@pytest.mark.conformance
def test_check_scope() -> None:
    claim = vector_claim()
    sigv4.check_scope(claim, "service")
    sigv4.check_scope(claim, "service", "us-east-1")
    error = aws_error(lambda: sigv4.check_scope(claim, "sts", "eu-west-1"))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "Credential should be scoped to a valid region, not 'us-east-1'. "
        "Credential should be scoped to correct service: 'sts'. "
    )


@pytest.mark.conformance
def test_a_signed_header_that_is_absent_never_verifies() -> None:
    request, _context, _ = load_case("get-header-key-duplicate", "header")
    stripped = dataclasses.replace(
        request, headers=tuple((n, v) for n, v in request.headers if n.lower() != "my-header1")
    )
    claim = sigv4.parse(stripped)
    assert claim.absent_signed_headers == ("my-header1",)
    assert not sigv4.verify(claim, SECRET)
    # A header signed with an empty value verifies; the same request without the header
    # does not, although its canonical request reads the same.
    forged = botocore_sign(AWSRequest("GET", ENDPOINT + "/", headers={"X-Empty": ""}))
    claim = sigv4.parse(forged)
    assert sigv4.verify(claim, SECRET)
    absent = dataclasses.replace(
        forged, headers=tuple((n, v) for n, v in forged.headers if n != "X-Empty")
    )
    assert not sigv4.verify(sigv4.parse(absent), SECRET)


@pytest.mark.conformance
def test_payload_hash_must_match_the_body() -> None:
    request, context, _ = load_case("post-x-www-form-urlencoded", "header")
    assert accept(request, context) is not None
    assert accept(dataclasses.replace(request, body=b"Param1=value2"), context) is None
    # The declared hash is taken only when it is the body's: a lie fails verification.
    claim = sigv4.parse(dataclasses.replace(request, body=b"Param1=value2"))
    assert claim.canonical_request.endswith(hashlib.sha256(b"Param1=value2").hexdigest())


def test_unsigned_payload_is_accepted_only_without_a_body() -> None:
    empty = botocore_sign(
        AWSRequest("GET", ENDPOINT + "/", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    )
    claim = sigv4.parse(empty)
    assert claim.canonical_request.endswith("\nUNSIGNED-PAYLOAD")
    assert sigv4.verify(claim, SECRET)
    with_body = botocore_sign(
        AWSRequest(
            "POST",
            ENDPOINT + "/",
            data=b"Action=CreateUser",
            headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
        )
    )
    assert not sigv4.verify(sigv4.parse(with_body), SECRET)


def test_date_header_instead_of_x_amz_date() -> None:
    request = botocore_sign(
        AWSRequest(
            "GET",
            ENDPOINT + "/?Action=ListUsers",
            headers={"Date": "Sun, 30 Aug 2015 12:36:00 GMT"},
        )
    )
    assert not any(name.lower() == "x-amz-date" for name, _ in request.headers)
    claim = sigv4.parse(request)
    assert claim.string_to_sign.split("\n")[1] == claim.request_time.strftime("%Y%m%dT%H%M%SZ")
    assert sigv4.verify(claim, SECRET)
    bad = auth_error(GOOD_AUTH, ("Date", "yesterday"))
    assert bad.message.startswith("Date must be in ISO-8601 'basic format'. Got 'yesterday'.")


@pytest.mark.conformance
def test_malformed_x_amz_expires_is_ignored_like_sts_does() -> None:
    request, _context, _ = load_case("get-vanilla", "query")
    changed = dataclasses.replace(
        request, raw_query=request.raw_query.replace("X-Amz-Expires=3600", "X-Amz-Expires=soon")
    )
    claim = sigv4.parse(changed)
    assert claim.expires_seconds is None
    assert not sigv4.verify(claim, SECRET)  # it is still signed


@pytest.mark.conformance
def test_signing_key_derivation_and_cache() -> None:
    # AWS's example: docs.aws.amazon.com/general/latest/gr/sigv4-calculate-signature.html
    key = sigv4.derive_signing_key(SECRET, "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    claim = vector_claim()
    assert sigv4.verify(claim, SECRET) and sigv4.verify(claim, SECRET)  # cold, then cached
    assert not sigv4.verify(claim, SECRET[:-1])
    assert not sigv4.verify(claim, SECRET + "X")
    assert (
        sigv4.expected_signature(
            claim, sigv4.derive_signing_key(SECRET, "20150830", "us-east-1", "service")
        )
        == claim.signature
    )


# --- requests signed by botocore -----------------------------------------------------------


def to_http_request(prepared: AWSPreparedRequest, signed: AWSRequest | None = None) -> HttpRequest:
    """What the server receives for a botocore prepared request (http.client adds Host).

    ``signed``: take the headers from the signed AWSRequest instead, repeated names
    included (prepare() keeps only the last of them, although all were signed)."""
    parts = urlsplit(prepared.url)
    source = (signed or prepared).headers.items()
    headers = [(k, v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in source]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    body = prepared.body or b""
    body = body.encode("utf-8") if isinstance(body, str) else body
    return HttpRequest(prepared.method, parts.path, parts.query, tuple(headers), bytes(body))


def botocore_sign(
    request: AWSRequest,
    *,
    token: str | None = None,
    service: str = "service",
    presign: bool = False,
    secret: str = SECRET,
) -> HttpRequest:
    credentials = Credentials(AKID, secret, token)
    if presign:
        SigV4QueryAuth(credentials, service, "us-east-1", expires=900).add_auth(request)
    else:
        SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    return to_http_request(request.prepare(), request)


def form_request() -> AWSRequest:
    return AWSRequest(
        "POST",
        ENDPOINT + "/",
        data=b"Action=ListUsers&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEJr//////////wEaDH+token/with=chars"])
def test_botocore_header_signed(token: str | None) -> None:
    request = botocore_sign(form_request(), token=token, service="iam")
    claim = sigv4.parse(request)
    sigv4.check_time(claim, datetime.now(UTC))
    sigv4.check_scope(claim, "iam", "us-east-1")
    assert claim.session_token == token
    assert not claim.presigned
    assert sigv4.verify(claim, SECRET)
    assert not sigv4.verify(claim, "wrong" + SECRET[5:])


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEJr//////////wEaDH+token/with=chars"])
def test_botocore_presigned(token: str | None) -> None:
    request = botocore_sign(
        AWSRequest(
            "GET", ENDPOINT + "/", params={"Action": "GetCallerIdentity", "Version": "2011-06-15"}
        ),
        token=token,
        service="sts",
        presign=True,
    )
    claim = sigv4.parse(request)
    sigv4.check_time(claim, datetime.now(UTC))
    assert claim.presigned and claim.expires_seconds == 900
    assert claim.session_token == token
    assert sigv4.verify(claim, SECRET)
    assert not sigv4.verify(claim, "wrong" + SECRET[5:])


def boto3_session(token: str | None = None) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        aws_session_token=token,
        region_name="us-east-1",
    )


class _Captured(Exception):
    pass


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjEK7//////////wEaCXVzLWVhc3QtMSJH"])
def test_boto3_client_request_verifies(token: str | None) -> None:
    captured: list[AWSPreparedRequest] = []

    def capture(request: AWSPreparedRequest, **_: Any) -> None:
        captured.append(request)
        raise _Captured

    client = boto3_session(token).client("iam", endpoint_url=ENDPOINT)
    client.meta.events.register("before-send", capture)
    with pytest.raises(_Captured):
        client.create_user(UserName="alice+test@example.com", Path="/dev ops/")
    claim = sigv4.parse(to_http_request(captured[0]))
    sigv4.check_scope(claim, "iam")
    assert claim.session_token == token
    assert sigv4.verify(claim, SECRET)


def test_boto3_presigned_url_verifies() -> None:
    token = "IQoJb3JpZ2luX2VjEK7//////////wEaCXVzLWVhc3QtMSJH"
    url = (
        boto3_session(token)
        .client("sts", endpoint_url=ENDPOINT)
        .generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    )  # as `aws eks get-token` does
    parts = urlsplit(url)
    claim = sigv4.parse(HttpRequest("GET", parts.path, parts.query, (("Host", parts.netloc),), b""))
    sigv4.check_time(claim, datetime.now(UTC))
    sigv4.check_scope(claim, "sts", "us-east-1")
    assert claim.session_token == token
    assert sigv4.verify(claim, SECRET)
    assert not sigv4.verify(claim, SECRET.lower())


# --- property: whatever botocore signs verifies; no forged signature does -------------

segments = st.one_of(st.sampled_from(["", ".", "..", "a b", "%41", "+"]), st.text(max_size=6))
param_texts = st.text(max_size=8)
header_names = st.from_regex(r"x-t[a-z0-9-]{0,8}", fullmatch=True)
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t"), max_size=16
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    path=st.lists(segments, max_size=5),
    params=st.lists(st.tuples(param_texts.filter(bool), st.none() | param_texts), max_size=5),
    headers=st.lists(st.tuples(header_names, header_values), max_size=4),
    body=st.binary(max_size=48),
    token=st.none()
    | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
    presign=st.booleans(),
)
def test_property_botocore_signed_requests_verify(
    method: str,
    path: list[str],
    params: list[tuple[str, str | None]],
    headers: list[tuple[str, str]],
    body: bytes,
    token: str | None,
    presign: bool,
) -> None:
    url_path = "/" + "/".join(quote(segment, safe="") for segment in path)
    query = "&".join(
        quote(k, safe="-_.~") if v is None else f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in params
    )
    request = AWSRequest(
        method, ENDPOINT + url_path + ("?" + query if query else ""), data=b"" if presign else body
    )
    for name, value in headers:
        request.headers[name] = value  # appends: repeated names are kept
    http_request = botocore_sign(request, token=token, presign=presign)

    claim = sigv4.parse(http_request)
    sigv4.check_time(claim, datetime.now(UTC))
    assert claim.presigned is presign
    assert claim.session_token == token
    assert sigv4.verify(claim, SECRET)
    for i, digit in enumerate(claim.signature):
        for other in {"0123456789abcdef"[(int(digit, 16) + 1) % 16], digit.upper()} - {digit}:
            forged = claim.signature[:i] + other + claim.signature[i + 1 :]
            assert not sigv4.verify(dataclasses.replace(claim, signature=forged), SECRET)


# --- property: bad input gets an AWS error, never a crash ----------------------------

FRAGMENTS = [
    "AWS4-HMAC-SHA256",
    " ",
    ",",
    "=",
    "/",
    ";",
    "&",
    "%",
    "%2F",
    "%E1%88",
    "..",
    "Credential=",
    "SignedHeaders=",
    "Signature=",
    "host",
    "x-amz-date",
    "aws4_request",
    "20150830",
    "T",
    "Z",
    "X-Amz-Algorithm=",
    "X-Amz-Expires=",
    "UNSIGNED-PAYLOAD",
    "X-Amz-Security-Token=",
    "X-Amz-Content-Sha256=",
    "99999999",
    "\t",
    "\x85",
    "\xa0",
]
insertions = st.sampled_from(FRAGMENTS) | st.text(
    st.characters(max_codepoint=0xFF, blacklist_characters="\r\n"), min_size=1, max_size=3
)
edits = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.sampled_from(["replace", "insert", "delete"]),
        insertions,
    ),
    min_size=1,
    max_size=4,
)


def edit_text(text: str, where: int, op: str, chunk: str) -> str:
    i = where % (len(text) + 1)
    if op == "delete":
        return text[:i] + text[i + len(chunk) :]
    return text[:i] + chunk + text[i + (len(chunk) if op == "replace" else 0) :]


def edit_request(req: HttpRequest, field: int, where: int, op: str, chunk: str) -> HttpRequest:
    headers = [list(h) for h in req.headers]
    slot = field % (len(headers) * 2 + 3)
    if slot == 0:
        return dataclasses.replace(req, raw_path=edit_text(req.raw_path, where, op, chunk))
    if slot == 1:
        return dataclasses.replace(req, raw_query=edit_text(req.raw_query, where, op, chunk))
    if slot == 2:
        body = edit_text(req.body.decode("latin-1"), where, op, chunk)
        return dataclasses.replace(req, body=body.encode("latin-1", "replace"))
    index, part = divmod(slot - 3, 2)
    headers[index][part] = edit_text(headers[index][part], where, op, chunk)
    return dataclasses.replace(req, headers=tuple((n, v) for n, v in headers))


@pytest.mark.conformance
@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from(CASES or ["-"]),
    form=st.sampled_from(FORMS),
    changes=edits,
    now=st.datetimes(timezones=st.just(UTC)),
    honour=st.booleans(),
)
def test_property_edited_requests_get_an_aws_error_never_a_crash(
    case: str,
    form: str,
    changes: list[tuple[int, int, str, str]],
    now: datetime,
    honour: bool,
) -> None:
    request, _context, _ = load_case(case, form)
    for field, where, op, chunk in changes:
        request = edit_request(request, field, where, op, chunk)
    for normalize in (True, False):
        try:
            claim = sigv4.parse(request, normalize_path=normalize)
            sigv4.verify(claim, SECRET)
            sigv4.check_time(claim, now, honour_expires=honour)
            sigv4.check_scope(claim, "service", "us-east-1")
        except AwsError as error:
            assert error.status in (400, 403) and error.message.encode("utf-8")
        else:  # what the app will echo, log or serialize is valid text
            assert f"{claim.access_key_id}{claim.session_token}{claim.region}".encode()
