"""Root account recovery: the emailed single-use link, and a lost root MFA device."""

from __future__ import annotations

from starlette.routing import Route

from gatehold.console.web import Web


def routes(web: Web) -> list[Route]:
    return []
