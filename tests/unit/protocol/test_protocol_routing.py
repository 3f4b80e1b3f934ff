"""Routing: which service and operation a request calls, and AWS's answers when none."""

from __future__ import annotations

import orjson
import pytest
from botocore.parsers import create_parser

from gatehold.protocol import HttpRequest, RoutingError, get_service, route, serialize_error
from gatehold.protocol.models import routing_keys
from tests.unit.protocol.protocol_wire_helpers import botocore_request

FORM = ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")


def _form(body: str, *headers: tuple[str, str]) -> HttpRequest:
    return HttpRequest("POST", "/", "", (FORM, *headers), body.encode())


def _routing_error(req: HttpRequest, scope: str | None) -> RoutingError:
    with pytest.raises(RoutingError) as caught:
        route(req, scope)
    return caught.value


def test_routing_table_matches_the_botocore_models() -> None:
    for name, protocol, signing_name, target_prefix in routing_keys():
        spec = get_service(name)
        assert (spec.protocol, spec.signing_name, spec.target_prefix) == (
            protocol,
            signing_name,
            target_prefix,
        )


@pytest.mark.parametrize(
    ("body", "scope", "expected"),
    [
        ("Action=GetUser&Version=2010-05-08", "iam", ("iam", "GetUser")),
        ("Action=GetCallerIdentity&Version=2011-06-15", "sts", ("sts", "GetCallerIdentity")),
        ("Action=GetCallerIdentity&Version=2011-06-15", None, ("sts", "GetCallerIdentity")),
        ("Action=ListUsers&Version=2010-05-08", None, ("iam", "ListUsers")),
    ],
)
def test_query_action_routes_by_scope_then_version(
    body: str, scope: str | None, expected: tuple[str, str]
) -> None:
    rt = route(_form(body), scope)

    assert (rt.service.name, rt.name) == expected


def test_query_action_in_the_url_of_a_get() -> None:
    req = HttpRequest("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", (), b"")

    assert route(req, "sts").name == "GetCallerIdentity"


def test_unknown_action_is_invalid_action_for_the_version() -> None:
    err = _routing_error(_form("Action=GetUsers&Version=2010-05-08"), "iam")

    assert (err.code, err.status, err.protocol) == ("InvalidAction", 400, "query")
    assert err.message == "Could not find operation GetUsers for version 2010-05-08"


def test_action_of_another_service_version_is_invalid_action() -> None:
    err = _routing_error(_form("Action=ListUsers&Version=2010-05-08"), "sts")

    assert err.message == "Could not find operation ListUsers for version 2010-05-08"
    assert err.service is not None and err.service.name == "sts"


def test_missing_version_is_invalid_action() -> None:
    err = _routing_error(_form("Action=ListUsers"), "iam")

    assert err.code == "InvalidAction"
    assert err.message == "Could not find operation ListUsers for version NO_VERSION_SPECIFIED"


def test_form_without_action_is_missing_action() -> None:
    err = _routing_error(_form("Version=2010-05-08"), None)

    assert (err.code, err.protocol) == ("MissingAction", "query")


def test_invalid_action_answers_in_the_services_xml() -> None:
    err = _routing_error(_form("Action=Nope&Version=2011-06-15"), "sts")

    resp = serialize_error(None, err, "rid")

    assert resp.header("Content-Type") == "text/xml"
    assert b'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in resp.body
    parsed = create_parser("query").parse(
        {"status_code": 400, "headers": {}, "body": resp.body}, None
    )
    assert parsed["Error"]["Code"] == "InvalidAction"


def test_target_header_routes_json_services() -> None:
    req = HttpRequest(
        "POST",
        "/",
        "",
        (
            ("X-Amz-Target", "AWSIdentityStore.ListUsers"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ),
        b"{}",
    )

    rt = route(req, "identitystore")

    assert (rt.service.name, rt.name) == ("identitystore", "ListUsers")


@pytest.mark.parametrize("target", ["AWSIdentityStore.Nope", "NoSuchPrefix.ListUsers", "nodot"])
def test_unknown_target_is_unknown_operation(target: str) -> None:
    req = HttpRequest("POST", "/", "", (("X-Amz-Target", target),), b"{}")

    err = _routing_error(req, None)
    resp = serialize_error(req, err, "rid")

    assert (err.code, err.status, err.protocol) == ("UnknownOperationException", 400, "json")
    assert orjson.loads(resp.body) == {"__type": "UnknownOperationException"}
    assert resp.header("x-amzn-ErrorType") == "UnknownOperationException"


def test_json_scope_without_target_is_unknown_operation() -> None:
    req = HttpRequest("POST", "/", "", (("Content-Type", "application/x-amz-json-1.1"),), b"{}")

    err = _routing_error(req, "organizations")

    assert (err.code, err.protocol) == ("UnknownOperationException", "json")


def test_rest_routes_need_no_scope_for_unsigned_calls() -> None:
    for op, params in [
        ("CreateToken", {"clientId": "c", "clientSecret": "s", "grantType": "g"}),
        ("RegisterClient", {"clientName": "n", "clientType": "public"}),
        ("StartDeviceAuthorization", {"clientId": "c", "clientSecret": "s", "startUrl": "u"}),
    ]:
        rt = route(botocore_request("sso-oidc", op, params), None)
        assert (rt.service.name, rt.name, rt.unsigned_allowed) == ("sso-oidc", op, True)


def test_literal_query_in_request_uri_tells_operations_apart() -> None:
    req = botocore_request("sso-oidc", "CreateTokenWithIAM", {"clientId": "c", "grantType": "g"})

    rt = route(req, "sso-oauth")

    assert rt.name == "CreateTokenWithIAM"
    assert rt.unsigned_allowed is False


def test_rest_path_parameters_are_percent_decoded() -> None:
    req = botocore_request(
        "accessanalyzer", "ListTagsForResource", {"resourceArn": "arn:aws:a:b/c d"}
    )

    rt = route(req, "access-analyzer")

    assert rt.name == "ListTagsForResource"
    assert rt.uri_params == {"resourceArn": "arn:aws:a:b/c d"}


def test_more_literal_template_wins() -> None:
    req = HttpRequest("POST", "/analyzer/findings/statistics", "", (), b"{}")

    assert route(req, "access-analyzer").name == "GetFindingsStatistics"


def test_unknown_rest_path_is_404_unknown_operation() -> None:
    req = HttpRequest("GET", "/no/such/thing", "", (), b"")

    err = _routing_error(req, None)
    resp = serialize_error(req, err, "rid")

    assert (err.code, err.status, err.protocol) == ("UnknownOperationException", 404, "rest-json")
    assert resp.status == 404
    assert resp.header("x-amzn-ErrorType") == "UnknownOperationException"


def test_rest_paths_are_unique_across_the_rest_json_services() -> None:
    # Unsigned calls are routed by path alone; no request may match two services.
    from gatehold.protocol.rest_routes import RestTable

    tables = {n: RestTable(get_service(n)) for n in ("sso", "sso-oidc", "accessanalyzer")}
    for name, table in tables.items():
        for r in table.routes:
            sample = r.operation.http["requestUri"].split("?")[0]
            sample = sample.replace("{", "x").replace("}", "").replace("+", "")
            for other, other_table in tables.items():
                if other != name:
                    assert not any(
                        o.method == r.method and o.regex.fullmatch(sample)
                        for o in other_table.routes
                    ), (name, other, sample)


def test_operation_hint_reads_the_action_or_target_and_never_guesses() -> None:
    from gatehold.protocol import HttpRequest, operation_hint

    def req(body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> HttpRequest:
        return HttpRequest("POST", "/", "", headers, body)

    assert operation_hint(req(b"Action=GetUser&Version=2010-05-08")) == "GetUser"
    assert operation_hint(req(b"Version=1&Action=GetCallerIdentity")) == "GetCallerIdentity"
    target = (("X-Amz-Target", "AWSOrganizationsV20161128.ListAccounts"),)
    assert operation_hint(req(b"{}", target)) == "ListAccounts"
    # Two Actions: the parser keeps the last, so a hint could be a lie.
    assert operation_hint(req(b"Action=GetUser&Action=CreateUser")) is None
    assert operation_hint(req(b"XAction=GetUser")) is None
    assert operation_hint(req(b"Action=GetUser&" + b"x" * 5000)) is None
