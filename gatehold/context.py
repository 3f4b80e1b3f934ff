"""Who is calling and under what circumstances: the typed facts every operation sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class PrincipalKind(Enum):
    ROOT = "Root"
    USER = "IAMUser"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    account_id: str
    arn: str
    # AIDA... for a user; the account ID for root (what GetCallerIdentity answers).
    user_id: str
    user_name: str | None = None
    access_key_id: str | None = None


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    principal: Principal
    now: datetime
    region: str
    service: str
    operation: str
    source_ip: str
    user_agent: str
    secure_transport: bool
    # Condition keys that come from the request itself (tags, etc.), added by operations.
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)
