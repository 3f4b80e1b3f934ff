"""The enforcer's interface: the shape services and surfaces are handed.

An operation's Call (services/call.py) asks an Enforcer before it acts; the one
that decides with the caller's policies is enforcer.py's PolicyEnforcer. The
shape lives here, in authz, so that services depend on it and authz on nothing
above it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from gatehold.context import RequestContext


class Enforcer:
    """The single enforcement point (see gatehold/authz/enforcer.py); here only its shape."""

    def authorize(
        self,
        db: Connection,
        ctx: RequestContext,
        action: str,
        resource: str,
        condition_values: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:  # pragma: no cover - interface
        raise NotImplementedError
