"""Decoding of URL query strings and form bodies (application/x-www-form-urlencoded).

Bad input (invalid UTF-8 after percent-decoding, a raw body that is not UTF-8, more fields
than any operation takes) is answered with AWS's InvalidQueryParameter, never with
a Python exception.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from gatehold.errors import AwsError, invalid_query_parameter
from gatehold.protocol.request import HttpRequest, header

# The largest IAM/STS inputs (a policy document up to 131,072 characters, 50 tags,
# 20 policy ARNs) use well under this many fields; more is not a real client.
MAX_FIELDS = 2000

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def _pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)`` with strict UTF-8, several times faster:
    most names and values need no decoding at all."""
    if text.count("&") >= MAX_FIELDS:
        raise _malformed()
    out: list[tuple[str, str]] = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            out.append((_decode(name), _decode(value)))
    return out


def _decode(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed() from None


def _malformed() -> AwsError:
    return invalid_query_parameter(
        "The AWS query string is malformed or does not adhere to AWS standards."
    )


def parse_query(raw_query: str) -> dict[str, list[str]]:
    """The URL query as name -> values (in order)."""
    out: dict[str, list[str]] = {}
    if raw_query:
        for k, v in _pairs(raw_query):
            out.setdefault(k, []).append(v)
    return out


def is_form(req: HttpRequest) -> bool:
    ctype = header(req.headers, "content-type")
    return ctype is not None and ctype.split(";", 1)[0].strip().lower() == FORM_CONTENT_TYPE


def form_params(req: HttpRequest) -> dict[str, str]:
    """Query-protocol parameters: the URL query and, for a form body, the body.

    A later value for the same name replaces an earlier one; body fields come after
    the URL's.
    """
    params: dict[str, str] = {}
    if req.raw_query:
        params.update(_pairs(req.raw_query))
    if req.body and is_form(req):
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed() from None
        params.update(_pairs(text))
    return params
