"""Test helpers: botocore as the client (request serializer, response parser) and
hypothesis strategies that generate params from a shape, within its constraints."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import strategies as st

from gatehold.protocol import HttpRequest, HttpResponse, get_service
from gatehold.protocol.patterns import compile_pattern

SERVICES = (
    "iam",
    "sts",
    "organizations",
    "cloudtrail",
    "identitystore",
    "sso-admin",
    "sso",
    "sso-oidc",
    "accessanalyzer",
)


def operation(service: str, name: str) -> OperationModel:
    return get_service(service).model.operation_model(name)


def botocore_request(service: str, op_name: str, params: dict[str, Any]) -> HttpRequest:
    """``params`` as botocore's own serializer sends them, as gatehold receives them."""
    spec = get_service(service)
    op = spec.model.operation_model(op_name)
    serializer = create_serializer(spec.protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, op)
    prepare_request_dict(request_dict, "https://gatehold.test")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = tuple(
        (k, v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()
    )
    return HttpRequest(prepared.method, url.path, url.query, headers, body)


def botocore_parse(protocol: str, resp: HttpResponse, shape: Shape | None) -> dict[str, Any]:
    parser = create_parser(protocol)
    parsed: dict[str, Any] = parser.parse(
        {"status_code": resp.status, "headers": HeadersDict(resp.headers), "body": resp.body},
        shape,
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


# --- strategies ----------------------------------------------------------------

# Naive on purpose: hypothesis's datetimes() takes naive bounds (zones come from `timezones`).
_EPOCH_MIN = datetime(1970, 1, 2)  # noqa: DTZ001
_EPOCH_MAX = datetime(2100, 1, 1)  # noqa: DTZ001
# Surrogates: UTF-8 cannot encode them.
_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)

# Text an XML 1.0 document can carry and UTF-8 can encode.
_XML_TEXT = st.characters(
    blacklist_categories=_SURROGATES,
    blacklist_characters="".join(chr(c) for c in range(0x20) if c not in (9, 10, 13))
    + "\ufffe\uffff",
)
_ANY_TEXT = st.characters(blacklist_categories=_SURROGATES)
_HEADER_TEXT = st.from_regex(r"[!-~]([ -~]{0,30}[!-~])?", fullmatch=True)


# Small, true subsets of the Unicode categories, for generating values only: hypothesis
# is slow with the full category ranges. Values are still checked against the real pattern.
_CATEGORY_SAMPLES = {
    "L": "a-zA-Z\\u00e0-\\u00f6\\u4e00-\\u4e0f",
    "N": "0-9\\u0660-\\u0669",
    "Z": " \\u00a0\\u3000",
    "M": "\\u0300-\\u0305",
    "S": "\\$\\+\\<\\=\\>\\^\\|\\~",
    "P": "\\!\\#\\%\\&\\*\\,\\.\\/\\:\\;\\?\\@\\_",
}
_CATEGORY = re.compile(r"\\p\{([A-Z])\}")


def _generation_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    pos = 0
    for m in _CATEGORY.finditer(pattern):
        sample = _CATEGORY_SAMPLES[m.group(1)]
        out.append(pattern[pos : m.start()])
        out.append(sample if _in_class(pattern, m.start()) else f"[{sample}]")
        pos = m.end()
    out.append(pattern[pos:])
    regex = compile_pattern("".join(out))
    assert regex is not None, pattern
    return regex


def _in_class(pattern: str, end: int) -> bool:
    inside, i = False, 0
    while i < end:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            inside = True
        elif c == "]":
            inside = False
        i += 1
    return inside


_REPEATED_CLASS = re.compile(r"\^?(\[(?:\\.|[^\]\\])+\]|\\[dw])[+*]\$?")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _xml_ok(text: str) -> bool:
    return all(
        ch in "\t\n\r"
        or (ch >= " " and ch not in "\ufffe\uffff" and not "\ud800" <= ch <= "\udfff")
        for ch in text
    )


class Ctx:
    """How values will travel: which protocol, request or response, where in HTTP."""

    def __init__(self, protocol: str, *, output: bool) -> None:
        self.protocol = protocol
        self.output = output


def _string(shape: Shape, ctx: Ctx, location: str | None) -> st.SearchStrategy[str]:
    md = shape.metadata
    if md.get("enum"):
        return st.sampled_from(md["enum"])
    lo = md.get("min", 0)
    if location == "uri":
        lo = max(lo, 1)
    hi = md.get("max")
    cap = lo + 24 if hi is None else min(hi, lo + 24)
    if location == "header":
        base: st.SearchStrategy[str] = _HEADER_TEXT
    else:
        alphabet = _XML_TEXT if ctx.protocol == "query" else _ANY_TEXT
        base = st.text(alphabet, min_size=lo, max_size=cap)
    pattern = md.get("pattern")
    if pattern is not None:
        regex = compile_pattern(pattern)
        assert regex is not None, pattern
        generating = _generation_regex(pattern)
        from_pattern: st.SearchStrategy[str] = st.from_regex(generating, fullmatch=True)
        repeated = _REPEATED_CLASS.fullmatch(generating.pattern)
        if repeated is not None and location != "header":
            # "[a-f0-9\\-]+" with exact lengths: draw the length, then the characters.
            one = st.from_regex(re.compile(repeated.group(1), re.ASCII), fullmatch=True)
            from_pattern = st.text(one, min_size=lo, max_size=cap)
        base = st.one_of(from_pattern, base).filter(lambda s: regex.fullmatch(s) is not None)
    needs_xml = ctx.protocol == "query"
    return base.filter(
        lambda s: (
            lo <= len(s) <= (hi if hi is not None else 10**6)
            and _encodable(s)
            and (not needs_xml or _xml_ok(s))
        )
    )


def _number(shape: Shape, *, integral: bool) -> st.SearchStrategy[Any]:
    md = shape.metadata
    if integral:
        bits = 64 if shape.type_name == "long" else 32
        lo = md.get("min", -(2 ** (bits - 1)))
        hi = md.get("max", 2 ** (bits - 1) - 1)
        return st.integers(min_value=int(lo), max_value=int(hi))
    return st.floats(
        min_value=md.get("min"), max_value=md.get("max"), allow_nan=False, allow_infinity=False
    )


def _json_document() -> st.SearchStrategy[Any]:
    # Not null at the top: a JSON null member is the same as an absent one.
    leaves = st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8)
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(st.one_of(st.none(), inner), max_size=3)
            | st.dictionaries(st.text(max_size=5), st.one_of(st.none(), inner), max_size=3)
        ),
        max_leaves=6,
    )


def for_shape(
    shape: Shape, ctx: Ctx, depth: int = 0, location: str | None = None, *, nonempty: bool = False
) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    md = shape.metadata
    if kind == "structure":
        if md.get("document"):
            return _json_document()
        return _structure(shape, ctx, depth)
    if kind == "string":
        return _string(shape, ctx, location)
    if kind in ("integer", "long"):
        return _number(shape, integral=True)
    if kind in ("float", "double"):
        return _number(shape, integral=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(_EPOCH_MIN, _EPOCH_MAX, timezones=st.just(UTC)).map(
            lambda d: d.replace(microsecond=0)
        )
    if kind == "blob":
        hi = md.get("max")
        lo = md.get("min", 0)
        return st.binary(min_size=lo, max_size=min(hi, lo + 16) if hi is not None else lo + 16)
    lo = md.get("min", 0)
    hi = md.get("max")
    size = min(hi, lo + 2) if hi is not None else lo + 2
    if location == "querystring":
        lo = max(lo, 1)
        size = max(size, lo)
    if depth > 3:
        size = lo
    if kind == "list":
        item = _nonempty_for_query(shape.member, ctx, depth + 1, None)
        return st.lists(item, min_size=lo, max_size=size)
    if kind == "map":
        if nonempty:
            lo, size = max(lo, 1), max(size, 1)
        keys = for_shape(
            shape.key, ctx, depth + 1, location="header" if location == "headers" else None
        )
        return st.dictionaries(
            keys, for_shape(shape.value, ctx, depth + 1), min_size=lo, max_size=size
        )
    raise AssertionError(kind)


def _nonempty_for_query(
    shape: Shape, ctx: Ctx, depth: int, location: str | None
) -> st.SearchStrategy[Any]:
    """botocore's query serializer sends nothing at all for {}: a required or listed
    structure or map must have something in it to arrive."""
    if ctx.protocol != "query" or ctx.output:
        return for_shape(shape, ctx, depth, location)
    if shape.type_name == "map":
        return for_shape(shape, ctx, depth, location, nonempty=True)
    strategy = for_shape(shape, ctx, depth, location)
    if shape.type_name == "structure" and shape.members and not shape.metadata.get("document"):
        strategy = strategy.filter(bool)
    return strategy


def _structure(shape: Shape, ctx: Ctx, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, Any] = {}
    optional: dict[str, Any] = {}
    must = set(shape.required_members)
    if shape.metadata.get("union"):
        # A union carries exactly one member.
        return st.one_of(
            [
                st.fixed_dictionaries({name: for_shape(member, ctx, depth + 1)})
                for name, member in shape.members.items()
            ]
        )
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if ctx.output and location is not None:
            continue  # response headers and status codes are checked separately
        if location == "headers":
            continue
        if name not in must and depth > 3:
            continue
        strategy = _nonempty_for_query(member, ctx, depth + 1, location)
        if name in must:
            required[name] = strategy
        else:
            optional[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def normalize(value: Any, protocol: str) -> Any:
    """Values as they compare after a trip over ``protocol``'s wire."""
    if isinstance(value, dict):
        out = {k: normalize(v, protocol) for k, v in value.items() if v is not None}
        if protocol == "query":
            out = {k: v for k, v in out.items() if v != {}}
        return out
    if isinstance(value, list):
        return [normalize(v, protocol) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, bytearray):
        return bytes(value)
    return value
