"""The AWS wire protocols, driven by botocore's service models. No business logic.

    route(req, scope_service)              -> Route (service + operation) or RoutingError
    parse_input(route, req)                -> params dict, parsed and validated, or AwsError
    serialize_output(route, result, rid)   -> HttpResponse
    serialize_error(target, err, rid)      -> HttpResponse in the protocol's error shape

Every response carries ``x-amzn-RequestId``.
"""

from __future__ import annotations

from typing import Any

from gatehold.errors import AwsError
from gatehold.protocol import json_protocol, query, query_xml, rest_json
from gatehold.protocol.errors import RoutingError
from gatehold.protocol.models import ServiceSpec, get_service
from gatehold.protocol.request import HttpRequest, HttpResponse
from gatehold.protocol.routing import Route, error_protocol, operation_hint, route
from gatehold.protocol.validate import validate

__all__ = [
    "VALIDATION_CODE",
    "HttpRequest",
    "HttpResponse",
    "Route",
    "RoutingError",
    "ServiceSpec",
    "get_service",
    "operation_hint",
    "parse_input",
    "route",
    "serialize_error",
    "serialize_output",
    "warm_up",
]

# The code of an input validation error, by protocol (what botocore's models document).
VALIDATION_CODE = {
    "query": "ValidationError",
    "json": "ValidationException",
    "rest-json": "ValidationException",
}


def parse_input(route: Route, req: HttpRequest) -> dict[str, Any]:
    """The operation's parameters, typed by its input shape and validated as AWS does."""
    protocol = route.protocol
    if protocol == "query":
        params = query.parse(route, req)
    elif protocol == "json":
        params = json_protocol.parse(route, req)
    else:
        params = rest_json.parse(route, req)
    validate(params, route.operation.input_shape, VALIDATION_CODE[protocol])
    return params


def serialize_output(route: Route, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
    """The operation's success response; ``result`` is keyed by output member names."""
    protocol = route.protocol
    if protocol == "query":
        return query_xml.serialize(route, result, request_id)
    if protocol == "json":
        return json_protocol.serialize(route, result, request_id)
    return rest_json.serialize(route, result, request_id)


Target = Route | ServiceSpec | HttpRequest | str | None


def serialize_error(target: Target, err: AwsError, request_id: str) -> HttpResponse:
    """``err`` in the error shape of ``target``: a Route, a ServiceSpec, a protocol name
    ('query', 'json', 'rest-json'), or, when routing failed, the request (or None: a
    RoutingError knows its own protocol)."""
    protocol, service = _error_target(target, err)
    if protocol == "query":
        spec = (
            service if service is not None and service.protocol == "query" else get_service("iam")
        )
        return query_xml.serialize_error(err, spec.xml_namespace or "", request_id)
    if protocol == "json":
        content_type = (
            service.json_content_type if service is not None else "application/x-amz-json-1.1"
        )
        return json_protocol.serialize_error(err, content_type, request_id)
    return rest_json.serialize_error(err, request_id)


def _error_target(target: Target, err: AwsError) -> tuple[str, ServiceSpec | None]:
    if isinstance(target, Route):
        return target.protocol, target.service
    if isinstance(target, ServiceSpec):
        return target.protocol, target
    if isinstance(target, str):
        return target, None
    if isinstance(err, RoutingError):
        return err.protocol, err.service
    if isinstance(target, HttpRequest):
        return error_protocol(target), None
    return "query", None


def warm_up() -> None:
    """Load IAM and STS and build their parsing, validation and XML plans now, rather
    than on each operation's first request (the Unicode-category patterns of tags take
    the longest, about 0.1 s)."""
    from gatehold.protocol.validate import errors_for

    for name in ("iam", "sts"):
        spec = get_service(name)
        for op_name in spec.operation_names:
            op = spec.model.operation_model(op_name)
            query.prepare(op.input_shape)
            query_xml.prepare(op.output_shape)
            errors_for({}, op.input_shape)
