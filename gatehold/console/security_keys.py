"""FIDO2/WebAuthn security keys: registration and the sign-in step."""

from __future__ import annotations

from starlette.routing import Route

from gatehold.console.web import Web


def routes(web: Web) -> list[Route]:
    return []
