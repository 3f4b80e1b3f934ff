"""What an operation is handed: who calls, its transaction, and the enforcement point."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from gatehold.audit.records import AuditFacts
from gatehold.authz.interface import Enforcer as Enforcer  # named from here by the surfaces
from gatehold.config import Settings
from gatehold.context import RequestContext
from gatehold.store.secretbox import SecretBox

Params = dict[str, Any]
Result = dict[str, Any]


@dataclass
class Call:
    ctx: RequestContext
    db: Connection
    enforcer: Enforcer
    # The operator's key, for operations that seal or open secrets at rest
    # (secret access keys, TOTP seeds).
    box: SecretBox | None = None
    # What the operation learned that its CloudTrail record needs (audit/records.py):
    # e.g. call.audit.federated("WebIdentityUser", subject=..., provider=...) once a
    # federation token is verified, so even a refused call names who presented it.
    audit: AuditFacts = field(default_factory=AuditFacts)
    # The operator's settings, for operations that depend on them (a trail's
    # destination folder). None where a caller has none to give.
    settings: Settings | None = None
    # Whether this attempt's success is a CloudTrail record. A console action that
    # only prepares an operation (a security key's registration options), or that
    # answers a refusal in its result rather than raising it (so its transaction still
    # commits what the refusal used up), sets it False; its refusals raised are
    # recorded as any.
    recorded: bool = True

    def authorize(
        self,
        action: str,
        resource: str,
        condition_values: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """Raise AccessDenied unless the caller may do `action` on `resource`."""
        self.enforcer.authorize(self.db, self.ctx, action, resource, condition_values)


Handler = Callable[[Call, Params], Result]
