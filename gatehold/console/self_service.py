"""The signed-in user's own pages: password, MFA devices, access keys."""

from __future__ import annotations

from starlette.routing import Route

from gatehold.console.web import Web


def routes(web: Web) -> list[Route]:
    return []
