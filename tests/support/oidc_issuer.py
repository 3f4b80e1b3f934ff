"""A real OpenID Connect issuer for tests: an HTTP server on 127.0.0.1 that publishes
its discovery document and signing keys (JWKS), and mints signed ID tokens.

It stands for the outside world (GitHub Actions, EKS, an enterprise IdP): gatehold
fetches its keys over HTTP exactly as it would from a real provider. Plain HTTP
is what gatehold accepts from loopback only; IAM registers the provider under
its https:// URL, and both name the same host/path.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _public_jwk(key: PrivateKey, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk["alg"] = "RS256"
    else:
        jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
        jwk["alg"] = "ES256"
    jwk.update(kid=kid, use="sig")
    return dict(jwk)


class OidcIssuer:
    """An issuer at http://127.0.0.1:PORT/<path> with an RSA ("rsa") and an EC ("ec") key."""

    def __init__(self) -> None:
        self.path = f"/idp-{uuid.uuid4().hex[:8]}"
        self.keys: dict[str, PrivateKey] = {"rsa": new_rsa_key(), "ec": new_ec_key()}
        self.requests: list[str] = []  # paths served, in order
        self.delay = 0.0  # seconds to wait before answering (a slow provider)
        # Set `hold` to keep requests waiting until it is set (at most 30 s);
        # `held` is set when a request has started waiting.
        self.hold: threading.Event | None = None
        self.held = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    # --- names ---

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def issuer(self) -> str:
        """The `iss` of its tokens."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def provider_url(self) -> str:
        """Its IAM OIDC provider URL without scheme (the condition-key prefix)."""
        return f"127.0.0.1:{self.port}{self.path}"

    @property
    def iam_url(self) -> str:
        """What CreateOpenIDConnectProvider is given (IAM accepts https:// URLs only)."""
        return f"https://{self.provider_url}"

    def jwks(self) -> dict[str, Any]:
        return {"keys": [_public_jwk(k, kid) for kid, k in self.keys.items()]}

    # --- tokens ---

    def token(
        self,
        sub: str = "repo:acme/app:ref:refs/heads/main",
        aud: str | list[str] = "sts.amazonaws.com",
        *,
        key: str = "rsa",
        lifetime: int = 300,
        claims: dict[str, Any] | None = None,
        signer: PrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        """An ID token signed with the key named `key` (or by `signer`, under that key's kid)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": aud,
            "iat": now,
            "nbf": now - 5,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }
        payload.update(claims or {})
        private = signer or self.keys[key]
        algorithm = "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"
        return jwt.encode(
            payload, private, algorithm=algorithm, headers={"kid": kid or key, "typ": "JWT"}
        )

    # --- the server ---

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                if issuer.hold is not None:
                    issuer.held.set()
                    issuer.hold.wait(30)
                if issuer.delay:
                    time.sleep(issuer.delay)
                if self.path == f"{issuer.path}/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": issuer.issuer,
                        "jwks_uri": f"{issuer.issuer}/keys",
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                        "response_types_supported": ["id_token"],
                        "subject_types_supported": ["public"],
                    }
                elif self.path == f"{issuer.path}/keys":
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

        return Handler

    def start(self) -> OidcIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_issuer() -> Iterator[OidcIssuer]:
    issuer = OidcIssuer().start()
    try:
        yield issuer
    finally:
        issuer.stop()


def tamper(token: str, **changes: Any) -> str:
    """`token` with its claims changed and its original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"
