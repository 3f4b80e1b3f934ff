"""Round trips through real client code: botocore serializes a request, gatehold routes
and parses it; gatehold serializes a response or an error, botocore parses it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehold.errors import AwsError
from gatehold.protocol import (
    HttpResponse,
    Route,
    get_service,
    parse_input,
    route,
    serialize_error,
    serialize_output,
    warm_up,
)
from tests.unit.protocol.protocol_wire_helpers import (
    SERVICES,
    Ctx,
    botocore_parse,
    botocore_request,
    for_shape,
    normalize,
)

ALL_OPERATIONS = [
    (service, op) for service in SERVICES for op in sorted(get_service(service).operation_names)
]

_settings = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize(("service", "op_name"), ALL_OPERATIONS)
@_settings
@given(data=st.data())
def test_botocore_request_parses_back_to_its_params(
    service: str, op_name: str, data: st.DataObject
) -> None:
    spec = get_service(service)
    op = spec.model.operation_model(op_name)
    params = (
        {}
        if op.input_shape is None
        else data.draw(for_shape(op.input_shape, Ctx(spec.protocol, output=False)))
    )
    req = botocore_request(service, op_name, params)
    scope = data.draw(st.sampled_from([spec.signing_name, None]))

    rt = route(req, scope)
    parsed = parse_input(rt, req)

    assert (rt.service.name, rt.name) == (service, op_name)
    assert normalize(parsed, spec.protocol) == normalize(params, spec.protocol)


@pytest.mark.parametrize(("service", "op_name"), ALL_OPERATIONS)
@_settings
@given(data=st.data())
def test_output_parses_back_in_botocore(service: str, op_name: str, data: st.DataObject) -> None:
    spec = get_service(service)
    op = spec.model.operation_model(op_name)
    result = (
        {}
        if op.output_shape is None
        else data.draw(for_shape(op.output_shape, Ctx(spec.protocol, output=True)))
    )

    resp = serialize_output(Route(spec, op), result, "req-1")
    parsed = botocore_parse(spec.protocol, resp, op.output_shape)

    assert resp.header("x-amzn-RequestId") == "req-1"
    assert normalize(parsed, spec.protocol) == normalize(result, spec.protocol)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        ("NoSuchEntity", "The user with name bob cannot be found.", 404),
        ("AccessDenied", "not authorized: <&> \"quoted\" 'single'", 403),
        ("ThrottlingException", "Rate exceeded", 400),
    ],
)
def test_botocore_reads_code_and_message_of_errors(
    service: str, code: str, message: str, status: int
) -> None:
    spec = get_service(service)
    resp = serialize_error(spec, AwsError(code, message, status), "req-2")

    parsed = create_error(spec.protocol, resp)

    assert resp.status == status
    assert resp.header("x-amzn-RequestId") == "req-2"
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == message


def create_error(protocol: str, resp: HttpResponse) -> dict[str, Any]:
    parsed: dict[str, Any] = create_parser(protocol).parse(
        {"status_code": resp.status, "headers": HeadersDict(resp.headers), "body": resp.body}, None
    )
    return parsed


@pytest.mark.parametrize("protocol", ["query", "json", "rest-json"])
def test_errors_name_their_fault_and_request_id(protocol: str) -> None:
    resp = serialize_error(
        protocol, AwsError("InternalFailure", "boom", 500, sender_fault=False), "rid"
    )

    parsed = create_error(protocol, resp)

    assert parsed["Error"]["Code"] == "InternalFailure"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"
    if protocol == "query":
        assert b"<Type>Receiver</Type>" in resp.body


class _OidcError(AwsError):
    """sso-oidc's errors carry OAuth's error and error_description members."""

    def __init__(self) -> None:
        super().__init__("InvalidGrantException", "Invalid grant provided", 400)
        self.fields = {"error": "invalid_grant", "error_description": "Invalid grant provided"}


def test_extra_error_fields_travel_in_json_bodies() -> None:
    spec = get_service("sso-oidc")
    resp = serialize_error(spec, _OidcError(), "rid")

    parsed = create_error("rest-json", resp)

    assert parsed["Error"]["Code"] == "InvalidGrantException"
    assert orjson.loads(resp.body)["error"] == "invalid_grant"


def test_warm_up_builds_iam_and_sts_plans() -> None:
    warm_up()

    req = botocore_request("sts", "GetCallerIdentity", {})
    assert parse_input(route(req, "sts"), req) == {}
