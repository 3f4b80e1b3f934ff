"""AssumeRoleWithSAML: role sessions for holders of a signed SAML assertion."""

from __future__ import annotations

from gatehold.services.call import Handler

HANDLERS: dict[str, Handler] = {}
