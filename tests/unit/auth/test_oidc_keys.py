"""gatehold/auth/oidc_keys.py: the key source, which fetches from a real issuer on
127.0.0.1 (tests/support/oidc_issuer.py), and the bounded fetch itself."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gatehold.auth import oidc_keys, oidc_tokens
from gatehold.errors import AwsError
from tests.support.oidc_issuer import OidcIssuer, new_rsa_key, running_issuer


@pytest.fixture(scope="module")
def issuer() -> Iterator[OidcIssuer]:
    with running_issuer() as running:
        yield running


# --- keys ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_are_cached_and_refreshed() -> None:
    with running_issuer() as fresh:
        clock = FakeClock()
        source = oidc_keys.KeySource(clock=clock)
        token = oidc_tokens.parse(fresh.token())
        source.keys_for(token)
        source.keys_for(token)
        assert len(fresh.requests) == 2  # discovery + keys, once
        # A token naming an unknown key refreshes, but not more often than allowed.
        rogue = oidc_tokens.parse(fresh.token(signer=new_rsa_key(), kid="new"))
        with pytest.raises(AwsError):
            source.keys_for(rogue)
        assert len(fresh.requests) == 2
        clock.now += oidc_keys.REFRESH_MIN_INTERVAL_SECONDS
        fresh.keys["new"] = new_rsa_key()  # the provider rotates a key in
        token = oidc_tokens.parse(fresh.token(key="new"))
        assert source.keys_for(token)[0]["kid"] == "new"
        assert len(fresh.requests) == 4
        # Past their time, keys are fetched again; a withdrawn key stops working.
        del fresh.keys["new"]
        clock.now += oidc_keys.KEYS_TTL_SECONDS
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
        return oidc_keys.http_fetch(url)

    source = oidc_keys.KeySource(fetch=fetch, clock=clock)
    for _ in range(3):
        with pytest.raises(AwsError) as exc:
            source.keys_for(token)
        assert exc.value.message.startswith("Couldn't retrieve verification key")
    assert len(calls) == 1
    clock.now += oidc_keys.FAILURE_BACKOFF_SECONDS
    with pytest.raises(AwsError):
        source.keys_for(token)
    assert len(calls) == 2


def test_a_discovery_document_for_another_issuer_is_refused(issuer: OidcIssuer) -> None:
    def fetch(url: str) -> bytes:
        document = json.loads(oidc_keys.http_fetch(url))
        if url.endswith("openid-configuration"):
            document["issuer"] = "https://someone.else"
        return json.dumps(document).encode()

    token = oidc_tokens.parse(issuer.token())
    with pytest.raises(AwsError) as exc:
        oidc_keys.KeySource(fetch=fetch).keys_for(token)
    assert exc.value.message.startswith("Couldn't retrieve verification key")


# --- the fetch ---------------------------------------------------------------------------


def test_plain_http_only_to_this_machine() -> None:
    assert oidc_keys.fetch_allowed("https://idp.example.com/keys")
    assert oidc_keys.fetch_allowed("http://127.0.0.1:9/keys")
    assert oidc_keys.fetch_allowed("http://localhost/keys")
    for url in (
        "http://idp.example.com/keys",
        "ftp://idp.example.com/keys",
        "file:///etc/passwd",
        "https:///nohost",
        "keys",
    ):
        assert not oidc_keys.fetch_allowed(url)
        with pytest.raises(oidc_keys.FetchError):
            oidc_keys.http_fetch(url)


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
                self.wfile.write(b"{" + b" " * (oidc_keys.MAX_DOCUMENT_BYTES + 10))
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
    with pytest.raises(oidc_keys.FetchError):
        oidc_keys.http_fetch(url, timeout=0.5)
    assert time.monotonic() - started < 2.5  # bounded by the timeout, not the server
