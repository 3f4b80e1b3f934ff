"""AWS rest-json protocol (sso portal, sso-oidc, accessanalyzer).

Input members are bound by ``location``: ``uri`` (a ``{name}`` in the requestUri),
``querystring``, ``header`` / ``headers``, or, without a location, the JSON body.
Output members with ``location: header`` become response headers, ``statusCode``
the status; the rest is the JSON body. The success status is the model's
``http.responseCode`` (200 when absent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from gatehold.errors import AwsError, serialization_exception
from gatehold.protocol import jsonshape, values
from gatehold.protocol.json_protocol import decode_body, encode, error_body
from gatehold.protocol.request import HttpRequest, HttpResponse
from gatehold.protocol.shapes import PlanCache, wire_name
from gatehold.protocol.urlencoded import parse_query

if TYPE_CHECKING:
    from botocore.model import Shape

    from gatehold.protocol.routing import Route

CONTENT_TYPE = "application/json"

Text = Callable[[str], Any]


def _text_error(text: str, type_name: str) -> AwsError:
    return jsonshape.type_error(text, type_name)


def _t_int(bits: int, type_name: str) -> Text:
    def conv(text: str) -> int:
        value = values.parse_int(text, bits)
        if value is None:
            raise _text_error(text, type_name)
        return value

    return conv


def _t_bool(text: str) -> bool:
    value = values.parse_bool(text)
    if value is None:
        raise _text_error(text, "boolean")
    return value


def _t_float(text: str) -> float:
    value = values.parse_float(text)
    if value is None:
        raise _text_error(text, "double")
    return value


def _t_timestamp(text: str) -> datetime:
    value = values.parse_timestamp(text)
    if value is None:
        raise _text_error(text, "timestamp")
    return value


def _t_blob(text: str) -> bytes:
    value = values.parse_blob(text)
    if value is None:
        raise _text_error(text, "blob")
    return value


def _t_jsonvalue(text: str) -> Any:
    raw = values.parse_blob(text)
    try:
        return orjson.loads(raw) if raw is not None else orjson.loads(text)
    except orjson.JSONDecodeError:
        raise serialization_exception("") from None


_TEXT: dict[str, Text] = {
    "string": str,
    "integer": _t_int(32, "integer"),
    "long": _t_int(64, "long"),
    "boolean": _t_bool,
    "float": _t_float,
    "double": _t_float,
    "timestamp": _t_timestamp,
    "blob": _t_blob,
}


def _text(shape: Shape) -> Text:
    if shape.serialization.get("jsonvalue"):
        return _t_jsonvalue
    conv = _TEXT.get(shape.type_name)
    if conv is None:
        raise TypeError(f"unsupported bound shape type {shape.type_name}")
    return conv


class _InputPlan:
    def __init__(self, shape: Shape) -> None:
        self.uri: list[tuple[str, str, Text]] = []
        self.query: list[tuple[str, str, str, Text]] = []  # name, key, kind, conv
        self.query_map: list[tuple[str, bool]] = []  # name, values are lists
        self.headers: list[tuple[str, str, Text]] = []
        self.header_maps: list[tuple[str, str]] = []  # name, prefix (lowercase)
        self.has_body = False
        for name, m in shape.members.items():
            where = m.serialization.get("location")
            key = wire_name(m, name)
            if where == "uri":
                self.uri.append((name, key, _text(m)))
            elif where == "querystring":
                if m.type_name == "map":
                    self.query_map.append((name, m.value.type_name == "list"))
                elif m.type_name == "list":
                    self.query.append((name, key, "list", _text(m.member)))
                else:
                    self.query.append((name, key, "scalar", _text(m)))
            elif where == "header":
                self.headers.append((name, key.lower(), _text(m)))
            elif where == "headers":
                self.header_maps.append((name, key.lower()))
            elif where is None:
                self.has_body = True
        self.claimed = {key for _, key, _, _ in self.query}


_plans = PlanCache()


def _read_bound(plan: _InputPlan, route: Route, req: HttpRequest, out: dict[str, Any]) -> None:
    uri = route.uri_params or {}
    for name, key, conv in plan.uri:
        if key in uri:
            out[name] = conv(uri[key])
    if plan.query or plan.query_map:
        query = route.query if route.query is not None else parse_query(req.raw_query)
        for name, key, kind, conv in plan.query:
            found = query.get(key)
            if found:
                out[name] = [conv(v) for v in found] if kind == "list" else conv(found[0])
        for name, as_lists in plan.query_map:
            rest = {k: (v if as_lists else v[0]) for k, v in query.items() if k not in plan.claimed}
            if rest:
                out[name] = rest
    if plan.headers or plan.header_maps:
        lowered = [(k.lower(), v) for k, v in req.headers]
        for name, key, conv in plan.headers:
            for k, v in lowered:
                if k == key:
                    out[name] = conv(v)
                    break
        for name, prefix in plan.header_maps:
            prefixed = {k[len(prefix) :]: v for k, v in lowered if k.startswith(prefix)}
            if prefixed:
                out[name] = prefixed


def parse(route: Route, req: HttpRequest) -> dict[str, Any]:
    shape = route.operation.input_shape
    if shape is None:
        return {}
    plan = _plans.get(shape, _InputPlan)
    out: dict[str, Any] = {}
    if plan.has_body:
        value = decode_body(req.body)
        if value is not None:
            out.update(jsonshape.reader(shape)(value))
    _read_bound(plan, route, req, out)
    return out


# --- output -------------------------------------------------------------------


class _OutputPlan:
    def __init__(self, shape: Shape) -> None:
        self.headers: list[tuple[str, str, Shape]] = []
        self.header_maps: list[tuple[str, str]] = []
        self.status: str | None = None
        for name, m in shape.members.items():
            where = m.serialization.get("location")
            if where == "header":
                self.headers.append((name, wire_name(m, name), m))
            elif where == "headers":
                self.header_maps.append((name, wire_name(m, name)))
            elif where == "statusCode":
                self.status = name
        self.body = jsonshape.writer(shape)


_out_plans = PlanCache()


def _header_text(value: Any, shape: Shape) -> str:
    if shape.serialization.get("jsonvalue"):
        return values.encode_blob(orjson.dumps(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return str(
            values.format_timestamp(value, shape.serialization.get("timestampFormat", "rfc822"))
        )
    if isinstance(value, (bytes, bytearray)):
        return values.encode_blob(value)
    return str(value)


def serialize(route: Route, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
    status = int(route.operation.http.get("responseCode", 200))
    headers = [("x-amzn-RequestId", request_id), ("Content-Type", CONTENT_TYPE)]
    shape = route.operation.output_shape
    if shape is None:
        return HttpResponse(status, headers, b"")
    result = result or {}
    plan = _out_plans.get(shape, _OutputPlan)
    for name, key, m in plan.headers:
        if result.get(name) is not None:
            headers.append((key, _header_text(result[name], m)))
    for name, prefix in plan.header_maps:
        for k, v in (result.get(name) or {}).items():
            headers.append((prefix + k, str(v)))
    if plan.status is not None and result.get(plan.status) is not None:
        status = int(result[plan.status])
    body = plan.body(result) if plan.body is not None else result
    return HttpResponse(status, headers, encode(body))


def serialize_error(err: AwsError, request_id: str) -> HttpResponse:
    headers = [
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", err.code),
        ("Content-Type", CONTENT_TYPE),
    ]
    return HttpResponse(err.status, headers, error_body(err, type_key=False))
