"""Bad input of any kind gets an AwsError (and so an AWS-shaped answer), never a crash."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehold.errors import AwsError
from gatehold.protocol import (
    HttpRequest,
    Route,
    get_service,
    parse_input,
    route,
    serialize_error,
    serialize_output,
)
from tests.unit.protocol.protocol_wire_helpers import SERVICES, botocore_request

_settings = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

SIGNING_NAMES = [get_service(s).signing_name for s in SERVICES]
TARGETS = [
    f"{get_service(s).target_prefix}.{op}"
    for s in ("organizations", "cloudtrail", "identitystore", "sso-admin")
    for op in sorted(get_service(s).operation_names)[:5]
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-amz-json-1.1",
    "application/x-amz-json-1.0",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
]
PATHS = [
    "/",
    "/token",
    "/client/register",
    "/device_authorization",
    "/federation/credentials",
    "/assignment/accounts",
    "/analyzer",
    "/analyzer/a%zz",
    "/tags/%FF%FE",
    "/finding/x",
    "/logout",
]

_text = st.text(max_size=40)
_bytes_text = st.binary(max_size=60).map(lambda b: b.decode("latin-1"))
_query_text = st.one_of(
    _text,
    _bytes_text,
    st.lists(
        st.tuples(
            st.sampled_from(
                ["Action", "Version", "UserName", "Tags.member.1.Key", "a.b.c", "%zz", "%ff"]
            ),
            st.one_of(_text, st.just("%ED%A0%80"), st.just("%FF")),
        ),
        max_size=6,
    ).map(lambda kv: "&".join(f"{k}={v}" for k, v in kv)),
)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_body = st.one_of(
    st.binary(max_size=200),
    _query_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
    _json_value.map(
        lambda v: orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS) if _dumpable(v) else b"{"
    ),
    st.just(b"[" * 5000),
    st.just(b"\xff\xfe{}"),
)


def _dumpable(value: object) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True


_headers = st.lists(
    st.one_of(
        st.tuples(st.just("Content-Type"), st.sampled_from(CONTENT_TYPES)),
        st.tuples(st.just("X-Amz-Target"), st.one_of(st.sampled_from(TARGETS), _text)),
        st.tuples(st.just("x-amz-sso_bearer_token"), _text),
        st.tuples(_text, _text),
    ),
    max_size=5,
).map(tuple)


def _answer(req: HttpRequest, scope: str | None) -> None:
    rt: Route | None = None
    try:
        rt = route(req, scope)
        parse_input(rt, req)
        resp = serialize_output(rt, {}, "rid")
    except AwsError as err:
        resp = serialize_error(rt if rt is not None else req, err, "rid")
        assert resp.status >= 400
    assert resp.header("x-amzn-RequestId") == "rid"


@_settings
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.one_of(st.sampled_from(PATHS), _text.map(lambda t: "/" + t)),
    query=_query_text,
    headers=_headers,
    body=_body,
    scope=st.one_of(st.none(), st.sampled_from(SIGNING_NAMES), _text),
)
def test_random_requests_get_aws_errors(
    method: str,
    path: str,
    query: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    scope: str | None,
) -> None:
    _answer(HttpRequest(method, path, query, headers, body), scope)


@_settings
@given(
    service=st.sampled_from(["organizations", "cloudtrail", "identitystore", "sso-admin"]),
    data=st.data(),
    body=_json_value,
)
def test_json_bodies_of_wrong_types_get_aws_errors(
    service: str, data: st.DataObject, body: object
) -> None:
    spec = get_service(service)
    op = data.draw(st.sampled_from(sorted(spec.operation_names)))
    target = ("X-Amz-Target", f"{spec.target_prefix}.{op}")
    payload = orjson.dumps(body) if _dumpable(body) else b"{}"

    _answer(HttpRequest("POST", "/", "", (target,), payload), spec.signing_name)


@_settings
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "Tags.member.1.Key",
                    "Tags.member.2.Value",
                    "Tags.member",
                    "Tags.member.x",
                    "Tags",
                    "PolicyArns.member.1.arn",
                    "MaxItems",
                    "DurationSeconds",
                    "UserName",
                    "Marker",
                ]
            ),
            st.one_of(_text, st.just("%zz"), st.just("-1"), st.just("99999999999999999999")),
        ),
        max_size=8,
    ),
    action=st.sampled_from(["CreateUser", "TagUser", "ListUsers", "AssumeRole", "GetSessionToken"]),
)
def test_query_params_of_any_shape_get_aws_errors(
    pairs: list[tuple[str, str]], action: str
) -> None:
    version = "2011-06-15" if action in ("AssumeRole", "GetSessionToken") else "2010-05-08"
    body = f"Action={action}&Version={version}&" + "&".join(f"{k}={v}" for k, v in pairs)
    req = HttpRequest(
        "POST",
        "/",
        "",
        (("Content-Type", CONTENT_TYPES[0]),),
        body.encode("utf-8", "surrogatepass"),
    )

    _answer(req, None)


def test_huge_inputs_get_aws_errors() -> None:
    form = ("Content-Type", CONTENT_TYPES[0])
    many_fields = b"Action=ListUsers&Version=2010-05-08&" + b"a=b&" * 100_000
    deep_names = b"Action=CreateUser&Version=2010-05-08&" + b"Tags" + b".member.1" * 5000 + b"=x"
    long_value = b"Action=CreateUser&Version=2010-05-08&UserName=" + b"a" * 1_000_000
    for body in (many_fields, deep_names, long_value):
        _answer(HttpRequest("POST", "/", "", (form,), body), "iam")
    deep_json = b"[" * 100_000
    _answer(HttpRequest("POST", "/", "", (("X-Amz-Target", TARGETS[0]),), deep_json), None)
    huge_path = "/tags/" + "a/" * 100_000
    _answer(HttpRequest("GET", huge_path, "", (), b""), None)


def test_valid_requests_still_parse_after_all_that() -> None:
    req = botocore_request("iam", "CreateUser", {"UserName": "alice"})

    assert parse_input(route(req, "iam"), req) == {"UserName": "alice"}
