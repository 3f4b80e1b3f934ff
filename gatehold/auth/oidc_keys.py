"""An OIDC issuer's signing keys, fetched as AWS STS finds them: through
`<iss>/.well-known/openid-configuration` -> `jwks_uri` (OIDC Discovery 1.0).

The only I/O of web identity federation: two HTTP GETs per issuer, cached. The
HTTP fetch is a seam (`Fetch`), so the key source can be given another one. The
token rules that use these keys are oidc_tokens.py's.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gatehold.auth.oidc_tokens import UnverifiedToken, candidate_keys, no_verification_key

log = logging.getLogger("gatehold.oidc")

# AWS gives up on an identity provider that takes more than 5 seconds (knowledge
# center, "iam-sts-invalididentitytoken"); a request must never wait longer.
FETCH_TIMEOUT_SECONDS = 5.0
# Discovery documents and JWKS are a few kilobytes; a provider answering more is
# broken or hostile, and must not fill our memory.
MAX_DOCUMENT_BYTES = 256 * 1024
# Keys are kept this long (providers rotate keys with overlap of days); a token
# naming a key we do not hold refreshes them sooner, but at most this often.
KEYS_TTL_SECONDS = 300.0
REFRESH_MIN_INTERVAL_SECONDS = 30.0
# A provider that could not be reached is not asked again for this long: the
# request that fetches holds its database transaction open meanwhile (on SQLite,
# the unsigned path's write lock), so an outage must not become a stall on every call.
FAILURE_BACKOFF_SECONDS = 15.0

# Plain HTTP only to this machine (a provider under test, or a sidecar); anywhere
# else a token's keys must come over verified TLS.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_WELL_KNOWN = "/.well-known/openid-configuration"


class FetchError(Exception):
    """A document could not be fetched (unreachable, refused, too slow, too big, not JSON)."""


Fetch = Callable[[str], bytes]


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead from https to plain http, or to another host entirely.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS


def http_fetch(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    """GET `url` over verified TLS (or plain HTTP to this machine), within `timeout`
    seconds in all, at most MAX_DOCUMENT_BYTES; no redirects."""
    if not fetch_allowed(url):
        raise FetchError(f"refused url {url!r}: https only (http to loopback)")
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_RefuseRedirects())
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "gatehold-sts"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise FetchError(f"{url}: HTTP {response.status}")
            body = b""
            # The socket timeout bounds each read; the deadline bounds them all (a
            # provider trickling bytes would otherwise hold the request for long).
            # read1: what has arrived (read(n) would wait for n bytes, past the deadline).
            while chunk := response.read1(16384):
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise FetchError(f"{url}: larger than {MAX_DOCUMENT_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise FetchError(f"{url}: slower than {timeout} s")
            return body
    except (urllib.error.URLError, OSError, ValueError) as exc:  # HTTPError is a URLError
        raise FetchError(f"{url}: {exc}") from None


def _json_object(fetch: Fetch, url: str) -> dict[str, Any]:
    try:
        document = json.loads(fetch(url))
    except ValueError:
        raise FetchError(f"{url}: not JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{url}: not a JSON object")
    return document


def discover_keys(fetch: Fetch, issuer: str) -> list[dict[str, Any]]:
    """The issuer's JWKS keys, through its discovery document (OIDC Discovery 1.0, 4)."""
    config = _json_object(fetch, issuer.rstrip("/") + _WELL_KNOWN)
    # OIDC Discovery 4.3: the document's issuer must be exactly the one asked about,
    # or a provider could pass off another's keys as its own.
    if config.get("issuer") != issuer:
        raise FetchError(f"discovery document of {issuer} names issuer {config.get('issuer')!r}")
    jwks_uri = config.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not fetch_allowed(jwks_uri):
        raise FetchError(f"discovery document of {issuer}: bad jwks_uri {jwks_uri!r}")
    keys = _json_object(fetch, jwks_uri).get("keys")
    if not isinstance(keys, list):
        raise FetchError(f"{jwks_uri}: no keys")
    return [k for k in keys if isinstance(k, dict)]


@dataclass
class _Entry:
    keys: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: float | None = None  # monotonic; None: never fetched successfully
    failed_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class KeySource:
    """Each issuer's signing keys, fetched when first needed and kept for a while.

    Thread-safe: requests run in worker threads. Concurrent requests for one issuer
    wait for a single fetch instead of each fetching.
    """

    def __init__(
        self,
        fetch: Fetch = http_fetch,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = KEYS_TTL_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def keys_for(self, token: UnverifiedToken) -> list[Mapping[str, Any]]:
        """The keys that may have signed `token`; InvalidIdentityToken when there are none
        (the provider unreachable, or no key of the token's `kid`)."""
        issuer = token.issuer
        with self._lock:
            entry = self._entries.setdefault(issuer, _Entry())
            if len(self._entries) > 1000:  # issuers are registered ones: never this many
                self._entries = {issuer: entry}
        with entry.lock:
            now = self._clock()
            stale = entry.fetched_at is None or now - entry.fetched_at >= self._ttl
            if stale:
                # Keys are never used past their time, not even while the provider is
                # down: a key it has withdrawn must stop working.
                entry.keys = []
            if not candidate_keys(entry.keys, token) and self._may_fetch(entry, now):
                try:
                    entry.keys = discover_keys(self._fetch, issuer)
                    entry.fetched_at, entry.failed_at = now, None
                except FetchError as exc:
                    # The client only learns that the keys could not be had (AWS's
                    # answer); the operator needs to know why.
                    log.warning("signing keys of %s not available: %s", issuer, exc)
                    entry.failed_at = now
            found = candidate_keys(entry.keys, token)
        if not found:
            raise no_verification_key()
        return found

    def _may_fetch(self, entry: _Entry, now: float) -> bool:
        if entry.failed_at is not None and now - entry.failed_at < FAILURE_BACKOFF_SECONDS:
            return False
        # Stale keys are refreshed; fresh ones only now and then (a token naming an
        # unknown key must not make us fetch on every request).
        return entry.fetched_at is None or now - entry.fetched_at >= min(
            self._ttl, REFRESH_MIN_INTERVAL_SECONDS
        )
