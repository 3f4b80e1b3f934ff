"""An AwsError raised before or while routing, carrying the wire shape to answer it in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatehold.errors import AwsError

if TYPE_CHECKING:
    from gatehold.protocol.models import ServiceSpec


class RoutingError(AwsError):
    """Routing failed; ``protocol`` (and ``service`` when one was identified) say how
    to answer, because no Route exists to say it."""

    def __init__(self, err: AwsError, protocol: str, service: ServiceSpec | None = None) -> None:
        super().__init__(err.code, err.message, err.status, sender_fault=err.sender_fault)
        self.protocol = protocol
        self.service = service
