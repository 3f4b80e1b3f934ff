"""The account security page: the seed's best practices as live checks."""

from __future__ import annotations

from starlette.routing import Route

from gatehold.console.web import Web


def routes(web: Web) -> list[Route]:
    return []
