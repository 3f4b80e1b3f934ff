"""DecodeAuthorizationMessage: the details behind an encoded authorization failure."""

from __future__ import annotations

from gatehold.services.call import Handler

HANDLERS: dict[str, Handler] = {}
