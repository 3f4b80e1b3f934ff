"""SigV4's canonical request and string to sign, rebuilt from what arrived on the wire.

Pure string work, each step as botocore's signer does it (and as AWS's test suite
expects), so that a request signed by any SDK yields the very text it signed: the
URI encoded as sent, the query re-encoded from its bytes and sorted, the signed
headers trimmed and joined, the payload hash the client declared only when it holds.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote_from_bytes, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def sign_form(
    head: tuple[str, str], canonical_query: str, tail: tuple[str, str, str], scope: str
) -> tuple[str, str]:
    """(canonical request, string to sign)."""
    request = "\n".join((*head, canonical_query, *tail))
    return request, f"{ALGORITHM}\n{scope}\n{hashlib.sha256(wire_bytes(request)).hexdigest()}"


def canonical_uri(raw_path: str, *, normalize: bool) -> str:
    path = _remove_dot_segments(raw_path) if normalize else raw_path
    # Encoded *as sent*, '%' included: every service but S3 URI-encodes the already
    # encoded path a second time (botocore: quote(path, safe='/~')).
    return quote_from_bytes(wire_bytes(path or "/"), safe="/~")


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 5.2.4, and empty segments collapse: exactly as botocore and AWS do.
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    first = "/" if path.startswith("/") else ""
    return first + "/".join(out) + ("/" if path.endswith("/") and out else "")


def query_pairs(raw_query: str) -> list[tuple[bytes, bytes]]:
    # Decoded to bytes so that re-encoding is exact, whatever the client escaped or not.
    # '+' is a literal '+' (RFC 3986): SigV4 clients send a space as %20, never as '+'.
    if not raw_query:
        return []
    pairs = []
    for part in wire_bytes(raw_query).split(b"&"):
        key, _, value = part.partition(b"=")  # a key without '=' has an empty value
        pairs.append((unquote_to_bytes(key), unquote_to_bytes(value)))
    return pairs


def canonical_query(pairs: list[tuple[bytes, bytes]], excluded: set[bytes]) -> str:
    encoded = sorted(
        (quote_from_bytes(key, safe="~"), quote_from_bytes(value, safe="~"))
        for key, value in pairs
        if key not in excluded
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def canonical_headers(
    headers: dict[str, list[str]], signed_headers: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    lines: list[str] = []
    absent: list[str] = []
    for name in signed_headers:
        values = headers.get(name.lower())
        if values is None:
            absent.append(name)
        # Trimmed, blank runs collapsed (botocore: ' '.join(v.split())); a repeated
        # header is joined with ',' in the order received.
        lines.append(f"{name}:" + ",".join(" ".join(v.split()) for v in values or ()) + "\n")
    return "".join(lines), tuple(absent)


def payload_hash(body: bytes, declared: str | None) -> str:
    actual = hashlib.sha256(body).hexdigest()
    if declared is not None and (
        declared.lower() == actual or (declared == UNSIGNED_PAYLOAD and not body)
    ):
        return declared
    # Anything else (a wrong digest, UNSIGNED-PAYLOAD over a body, a streaming mode):
    # sign what actually arrived, so an altered or unsigned body can never pass.
    return actual


def wire_bytes(text: str) -> bytes:
    """The bytes `text` was decoded from (non-ASCII as UTF-8 with surrogateescape)."""
    return text.encode("utf-8", "surrogateescape")
