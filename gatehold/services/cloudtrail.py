"""CloudTrail: LookupEvents and trails over the audit records (gatehold/audit)."""

from __future__ import annotations

from gatehold.services.call import Handler

HANDLERS: dict[str, Handler] = {}
