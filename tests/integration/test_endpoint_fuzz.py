"""Anything thrown at the endpoint gets a well-formed AWS error: never a 500, never
HTML, never a crash, and nothing stored changes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.raw import request
from tests.support.servers import RunningServer
from tests.support.snapshot import snapshot

# Header names that break HTTP framing are the HTTP server's business, not the API's.
_FRAMING = {"content-length", "transfer-encoding", "host", "connection", "expect", "upgrade"}
_HEADER_NAME = st.from_regex(r"\A[A-Za-z0-9-]{1,30}\Z").filter(lambda n: n.lower() not in _FRAMING)
_HEADER_VALUE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200
)
_INTERESTING_HEADERS = st.sampled_from(
    [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Type", "application/json"),
        ("X-Amz-Target", "AWSOrganizationsV20161128.ListAccounts"),
        ("X-Amz-Target", "Nope.Nothing"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 "
            "Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, "
            "SignedHeaders=host, Signature=00",
        ),
        ("Authorization", "AWS4-HMAC-SHA256"),
        ("Authorization", "Bearer x"),
        ("X-Amz-Date", "20260101T000000Z"),
        ("X-Amz-Security-Token", "garbage"),
    ]
)
_BODIES = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass") if s else b""),
    st.just(b"Action=GetUser&Version=2010-05-08&UserName=%ZZ"),
    st.just(b"Action=GetCallerIdentity&Version=2011-06-15"),
    st.just(b"\xff\xfe\x00Action=\xc3\x28"),
    st.just(b"{" * 5000),
    st.just(b"Action=" + b"A" * 100_000),
)
_PATHS = st.sampled_from(
    [
        "/",
        "/device_authorization",
        "/token",
        "/federation/credentials",
        "/x/../..//%2e%2e",
        "/?Action=GetUser",
    ]
)


def _is_aws_error(status: int, headers: dict[str, str], body: bytes) -> bool:
    if not headers.get("x-amzn-requestid"):
        return False
    if headers.get("content-type", "").startswith("text/xml"):
        root = ET.fromstring(body)
        return root.tag.endswith("ErrorResponse") and root.find(".//{*}Code") is not None
    doc = json.loads(body)
    # JSON protocols name the error in the body's __type or, for rest-json, in the
    # x-amzn-ErrorType header (where botocore's parser looks first).
    code = headers.get("x-amzn-errortype") or doc.get("__type") or doc.get("code")
    return isinstance(doc, dict) and bool(code)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH"]),
    path=_PATHS,
    headers=st.lists(
        st.one_of(_INTERESTING_HEADERS, st.tuples(_HEADER_NAME, _HEADER_VALUE)), max_size=6
    ),
    body=_BODIES,
)
def test_garbage_gets_aws_errors(
    server: RunningServer, method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    status, resp_headers, resp_body = request(server.endpoint, method, path, body, headers)
    assert status != 500 and status < 600, resp_body[:300]
    assert 400 <= status < 600, resp_body[:300]
    assert _is_aws_error(status, resp_headers, resp_body), resp_body[:300]


def test_fuzzing_changes_nothing_stored(server: RunningServer) -> None:
    before = snapshot(server)
    for body in (b"Action=CreateUser&Version=2010-05-08&UserName=x", b"\x00" * 100, b"{}"):
        for content_type in ("application/x-www-form-urlencoded", "application/x-amz-json-1.1"):
            status, _, _ = request(
                server.endpoint, "POST", "/", body, [("Content-Type", content_type)]
            )
            assert status >= 400
    assert snapshot(server) == before
