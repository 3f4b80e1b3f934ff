"""AWS JSON 1.0/1.1 protocol (organizations, cloudtrail, identitystore, sso-admin).

The request body is one JSON object of the input shape; the response body one of
the output shape, with ``Content-Type: application/x-amz-json-1.1`` (or 1.0, per the
model's jsonVersion). Errors are ``{"__type": "Code", "message": "..."}`` with the
code repeated in the ``x-amzn-ErrorType`` header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from gatehold.errors import AwsError, serialization_exception
from gatehold.protocol import jsonshape
from gatehold.protocol.request import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from botocore.model import Shape

    from gatehold.protocol.routing import Route


def decode_body(body: bytes) -> Any:
    """The JSON value of ``body``; an empty body is an empty object."""
    if not body or body.isspace():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise serialization_exception("") from None


def read_body(shape: Shape | None, body: bytes) -> dict[str, Any]:
    value = decode_body(body)
    if shape is None or value is None:
        return {}
    result: dict[str, Any] = jsonshape.reader(shape)(value)
    return result


def encode(value: Any) -> bytes:
    return orjson.dumps(value)


def parse(route: Route, req: HttpRequest) -> dict[str, Any]:
    return read_body(route.operation.input_shape, req.body)


def serialize(route: Route, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
    shape = route.operation.output_shape
    body: Any = {}
    if shape is not None:
        write = jsonshape.writer(shape)
        body = write(result or {}) if write is not None else (result or {})
    headers = [
        ("x-amzn-RequestId", request_id),
        ("Content-Type", route.service.json_content_type),
    ]
    return HttpResponse(200, headers, encode(body))


def error_body(err: AwsError, *, type_key: bool) -> bytes:
    body: dict[str, Any] = {"__type": err.code} if type_key else {}
    if err.message:
        body["message"] = err.message
    extra = getattr(err, "fields", None)
    if isinstance(extra, dict):
        body.update(extra)
    return encode(body)


def serialize_error(err: AwsError, content_type: str, request_id: str) -> HttpResponse:
    headers = [
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", err.code),
        ("Content-Type", content_type),
    ]
    return HttpResponse(err.status, headers, error_body(err, type_key=True))
