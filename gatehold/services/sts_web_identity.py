"""AssumeRoleWithWebIdentity: role sessions for holders of an OIDC identity token."""

from __future__ import annotations

from gatehold.services.call import Handler

HANDLERS: dict[str, Handler] = {}
