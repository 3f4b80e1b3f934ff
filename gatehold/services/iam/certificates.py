"""Credentials stored as objects: SSH public keys, signing certificates, server
certificates and service-specific credentials (one module each). This module
gathers their operations for the registry."""

from __future__ import annotations

from gatehold.services.call import Handler
from gatehold.services.iam import (
    server_certificates,
    service_credentials,
    signing_certificates,
    ssh_keys,
)

HANDLERS: dict[str, Handler] = {
    **ssh_keys.HANDLERS,
    **signing_certificates.HANDLERS,
    **server_certificates.HANDLERS,
    **service_credentials.HANDLERS,
}
