"""Administration pages: users, groups, roles, policies, through the IAM services."""

from __future__ import annotations

from starlette.routing import Route

from gatehold.console.web import Web


def routes(web: Web) -> list[Route]:
    return []
