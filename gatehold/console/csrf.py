"""CSRF protection for every console form: a signed double-submit token.

Each browser gets a random `gatehold_csrf` cookie (HttpOnly, SameSite=Lax); every
form carries HMAC(key, cookie value) in a hidden field, and a POST is accepted only
when the field matches the cookie it came with. A cross-site page can neither read
the cookie nor compute the HMAC without the server's key (OWASP CSRF Cheat Sheet,
"Signed Double-Submit Cookie"). The key is derived from the operator's master key,
so every worker process agrees on it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "gatehold_csrf"
FIELD = "csrf_token"


def derive_key(master_key: bytes) -> bytes:
    return hmac.new(master_key, b"gatehold console csrf v1", hashlib.sha256).digest()


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def token_for(key: bytes, cookie_value: str) -> str:
    return hmac.new(key, cookie_value.encode("utf-8"), hashlib.sha256).hexdigest()


def valid(key: bytes, cookie_value: str | None, token: str | None) -> bool:
    if not cookie_value or not token:
        return False
    return hmac.compare_digest(token_for(key, cookie_value), token)
