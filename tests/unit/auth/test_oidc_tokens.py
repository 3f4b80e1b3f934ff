"""gatehold/auth/oidc_tokens.py: the token rules (pure) and the key source, which
fetches from a real issuer on 127.0.0.1 (tests/support/oidc_issuer.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gatehold.auth import oidc_tokens
from gatehold.errors import AwsError
from tests.support.oidc_issuer import OidcIssuer, new_ec_key, new_rsa_key, running_issuer, tamper


@pytest.fixture(scope="module")
def issuer() -> Iterator[OidcIssuer]:
    with running_issuer() as running:
        yield running


def code_and_message(exc: pytest.ExceptionInfo[AwsError]) -> tuple[str, str]:
    return exc.value.code, exc.value.message


# --- parsing -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "abc", "a.b", "a.b.c", "e30.e30.", "W10.e30.c2ln"])
def test_what_is_no_jwt_is_refused(raw: str) -> None:
    with pytest.raises(AwsError) as exc:
        oidc_tokens.parse(raw)
    assert exc.value.code == "InvalidIdentityToken"


def test_only_rsa_and_ecdsa_algorithms_are_accepted(issuer: OidcIssuer) -> None:
    import jwt

    for alg, key in (("HS256", "x" * 32), ("none", None)):
        # PyJWT's types want a key, but alg "none" takes None (and refuses any other).
        raw = jwt.encode({"iss": issuer.issuer}, key, algorithm=alg)  # type: ignore[arg-type]
        with pytest.raises(AwsError) as exc:
            oidc_tokens.parse(raw)
        assert exc.value.code == "InvalidIdentityToken"
    assert oidc_tokens.parse(issuer.token(key="ec")).algorithm == "ES256"


def test_a_token_without_issuer_is_refused(issuer: OidcIssuer) -> None:
    with pytest.raises(AwsError) as exc:
        oidc_tokens.parse(tamper(issuer.token(), iss=None))
    assert code_and_message(exc) == ("InvalidIdentityToken", "Missing a required claim: iss")


def test_provider_url_drops_the_scheme_only() -> None:
    assert (
        oidc_tokens.provider_url("https://token.actions.githubusercontent.com")
        == "token.actions.githubusercontent.com"
    )
    assert oidc_tokens.provider_url("http://127.0.0.1:8080/idp/") == "127.0.0.1:8080/idp/"


# --- audience and times --------------------------------------------------------------


def test_the_audience_must_be_a_client_id() -> None:
    assert oidc_tokens.audience({"aud": "a"}, ("a", "b")) == "a"
    assert oidc_tokens.audience({"aud": ["x", "b"]}, ("a", "b")) == "b"
    # With azp, azp is the audience (AWS's `:aud` key); aud is only the original one.
    assert oidc_tokens.audience({"aud": "x", "azp": "b"}, ("b",)) == "b"
    with pytest.raises(AwsError) as exc:
        oidc_tokens.audience({"aud": "a", "azp": "x"}, ("a",))
    assert code_and_message(exc) == ("InvalidIdentityToken", "Incorrect token audience")
    with pytest.raises(AwsError) as exc:
        oidc_tokens.audience({"sub": "s"}, ("a",))
    assert code_and_message(exc) == ("InvalidIdentityToken", "Missing a required claim: aud")


def test_times_are_checked_against_now() -> None:
    now = 1_700_000_000
    oidc_tokens.check_times(
        {"exp": now + 1, "nbf": now + oidc_tokens.LEEWAY_SECONDS, "iat": now}, now
    )
    with pytest.raises(AwsError) as exc:
        oidc_tokens.check_times({"exp": now}, now)
    assert code_and_message(exc) == (
        "ExpiredTokenException",
        f"Token expired: current date/time {now} must be before the expiration date/time {now}",
    )
    for claims in (
        {"exp": now + 60, "nbf": now + oidc_tokens.LEEWAY_SECONDS + 1},
        {"exp": now + 60, "iat": now + oidc_tokens.LEEWAY_SECONDS + 1},
        {"exp": float(now + 60)},
        {"exp": "soon"},
        {"exp": True},
        {},
    ):
        with pytest.raises(AwsError) as exc:
            oidc_tokens.check_times(claims, now)
        assert exc.value.code == "InvalidIdentityToken", claims


# --- tags and source identity ----------------------------------------------------------


def test_session_tags_come_from_the_tags_claim() -> None:
    claim = {
        oidc_tokens.TAGS_CLAIM: {
            "principal_tags": {"team": ["web"], "env": "prod"},
            "transitive_tag_keys": ["team"],
        }
    }
    assert oidc_tokens.session_tags(claim) == ((("team", "web"), ("env", "prod")), ("team",))
    assert oidc_tokens.session_tags({}) == ((), ())


@pytest.mark.parametrize(
    "claim",
    [
        "team=web",
        {"principal_tags": {"team": ["web", "ops"]}},
        {"principal_tags": {"team": 1}},
        {"principal_tags": {"aws:team": ["web"]}},
        {"principal_tags": {"Team": ["a"], "team": ["b"]}},
        {"principal_tags": {"t" * 129: ["a"]}},
        {"principal_tags": {"team": ["v" * 257]}},
        {"principal_tags": {f"k{i}": ["v"] for i in range(51)}},
        {"principal_tags": {"team": ["web"]}, "transitive_tag_keys": ["env"]},
    ],
)
def test_bad_session_tags_are_refused(claim: Any) -> None:
    with pytest.raises(AwsError) as exc:
        oidc_tokens.session_tags({oidc_tokens.TAGS_CLAIM: claim})
    assert exc.value.code == "InvalidIdentityToken"


def test_source_identity_follows_assume_roles_rules() -> None:
    assert (
        oidc_tokens.source_identity({oidc_tokens.SOURCE_IDENTITY_CLAIM: "alice@example.com"})
        == "alice@example.com"
    )
    assert oidc_tokens.source_identity({}) is None
    for bad in ("a", "x" * 65, "aws:alice", "has space", 7):
        with pytest.raises(AwsError):
            oidc_tokens.source_identity({oidc_tokens.SOURCE_IDENTITY_CLAIM: bad})


# --- signatures and keys ----------------------------------------------------------------


def test_signatures_verify_with_the_issuers_keys(issuer: OidcIssuer) -> None:
    source = oidc_tokens.KeySource()
    for key in ("rsa", "ec"):
        token = oidc_tokens.parse(issuer.token(sub=f"s-{key}", key=key))
        assert oidc_tokens.verify_signature(token, source.keys_for(token))["sub"] == f"s-{key}"
    for forged in (
        tamper(issuer.token(), sub="admin"),
        issuer.token(signer=new_rsa_key(), kid="rsa"),
        issuer.token(signer=new_ec_key(), kid="ec"),
    ):
        token = oidc_tokens.parse(forged)
        with pytest.raises(AwsError) as exc:
            oidc_tokens.verify_signature(token, source.keys_for(token))
        assert exc.value.code == "InvalidIdentityToken"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_are_cached_and_refreshed() -> None:
    with running_issuer() as fresh:
        clock = FakeClock()
        source = oidc_tokens.KeySource(clock=clock)
        token = oidc_tokens.parse(fresh.token())
        source.keys_for(token)
        source.keys_for(token)
        assert len(fresh.requests) == 2  # discovery + keys, once
        # A token naming an unknown key refreshes, but not more often than allowed.
        rogue = oidc_tokens.parse(fresh.token(signer=new_rsa_key(), kid="new"))
        with pytest.raises(AwsError):
            source.keys_for(rogue)
        assert len(fresh.requests) == 2
        clock.now += oidc_tokens.REFRESH_MIN_INTERVAL_SECONDS
        fresh.keys["new"] = new_rsa_key()  # the provider rotates a key in
        token = oidc_tokens.parse(fresh.token(key="new"))
        assert source.keys_for(token)[0]["kid"] == "new"
        assert len(fresh.requests) == 4
        # Past their time, keys are fetched again; a withdrawn key stops working.
        del fresh.keys["new"]
        clock.now += oidc_tokens.KEYS_TTL_SECONDS
        with pytest.raises(AwsError) as exc:
            source.keys_for(token)
        assert exc.value.message.startswith("Couldn't retrieve verification key")
        assert len(fresh.requests) == 6


def test_an_unreachable_issuer_is_not_asked_again_at_once() -> None:
    gone = OidcIssuer().start()
    token = oidc_tokens.parse(gone.token())
    gone.stop()
    clock = FakeClock()
    calls: list[str] = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        return oidc_tokens.http_fetch(url)

    source = oidc_tokens.KeySource(fetch=fetch, clock=clock)
    for _ in range(3):
        with pytest.raises(AwsError) as exc:
            source.keys_for(token)
        assert exc.value.message.startswith("Couldn't retrieve verification key")
    assert len(calls) == 1
    clock.now += oidc_tokens.FAILURE_BACKOFF_SECONDS
    with pytest.raises(AwsError):
        source.keys_for(token)
    assert len(calls) == 2


def test_a_discovery_document_for_another_issuer_is_refused(issuer: OidcIssuer) -> None:
    def fetch(url: str) -> bytes:
        document = json.loads(oidc_tokens.http_fetch(url))
        if url.endswith("openid-configuration"):
            document["issuer"] = "https://someone.else"
        return json.dumps(document).encode()

    token = oidc_tokens.parse(issuer.token())
    with pytest.raises(AwsError) as exc:
        oidc_tokens.KeySource(fetch=fetch).keys_for(token)
    assert exc.value.message.startswith("Couldn't retrieve verification key")


# --- the fetch ---------------------------------------------------------------------------


def test_plain_http_only_to_this_machine() -> None:
    assert oidc_tokens.fetch_allowed("https://idp.example.com/keys")
    assert oidc_tokens.fetch_allowed("http://127.0.0.1:9/keys")
    assert oidc_tokens.fetch_allowed("http://localhost/keys")
    for url in (
        "http://idp.example.com/keys",
        "ftp://idp.example.com/keys",
        "file:///etc/passwd",
        "https:///nohost",
        "keys",
    ):
        assert not oidc_tokens.fetch_allowed(url)
        with pytest.raises(oidc_tokens.FetchError):
            oidc_tokens.http_fetch(url)


@pytest.fixture
def odd_server() -> Iterator[tuple[str, dict[str, Any]]]:
    """A server that redirects, trickles or floods, as `behaviour["mode"]` says."""
    behaviour: dict[str, Any] = {"mode": "redirect"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            mode = behaviour["mode"]
            if mode == "redirect":
                self.send_response(302)
                self.send_header("Location", "http://example.com/keys")
                self.end_headers()
            elif mode == "hang":
                time.sleep(3)
            elif mode == "flood":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{" + b" " * (oidc_tokens.MAX_DOCUMENT_BYTES + 10))
            elif mode == "trickle":
                self.send_response(200)
                self.end_headers()
                for _ in range(30):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/x", behaviour
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("mode", ["redirect", "hang", "flood", "trickle"])
def test_the_fetch_refuses_redirects_and_is_bounded(
    odd_server: tuple[str, dict[str, Any]], mode: str
) -> None:
    url, behaviour = odd_server
    behaviour["mode"] = mode
    started = time.monotonic()
    with pytest.raises(oidc_tokens.FetchError):
        oidc_tokens.http_fetch(url, timeout=0.5)
    assert time.monotonic() - started < 2.5  # bounded by the timeout, not the server
