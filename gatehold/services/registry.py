"""Which function implements which (service, operation).

Each service module declares its own HANDLERS (operation name -> function); this
module only gathers them. An operation in botocore's model that is missing here
answers NotImplemented (501).
"""

from __future__ import annotations

from types import ModuleType

from gatehold.services.call import Handler
from gatehold.services.cloudtrail import lookup as cloudtrail
from gatehold.services.cloudtrail import trails as cloudtrail_trails
from gatehold.services.iam import (
    access_keys,
    account_alias,
    account_summary,
    attachments,
    authorization_details,
    credential_report,
    groups,
    inline_policies,
    instance_profiles,
    login,
    mfa,
    oidc_providers,
    policies,
    policy_versions,
    roles,
    saml_providers,
    server_certificates,
    service_credentials,
    service_linked_roles,
    signing_certificates,
    simulator,
    ssh_keys,
    users,
)
from gatehold.services.sts import assume as sts_assume
from gatehold.services.sts import decode as sts_decode
from gatehold.services.sts import identity as sts
from gatehold.services.sts import saml as sts_saml
from gatehold.services.sts import sessions as sts_sessions
from gatehold.services.sts import web_identity as sts_web_identity

_MODULES: dict[str, tuple[ModuleType, ...]] = {
    "sts": (sts, sts_sessions, sts_assume, sts_web_identity, sts_saml, sts_decode),
    "cloudtrail": (cloudtrail, cloudtrail_trails),
    "iam": (
        users,
        groups,
        roles,
        service_linked_roles,
        policies,
        policy_versions,
        attachments,
        inline_policies,
        authorization_details,
        access_keys,
        login,
        mfa,
        account_alias,
        account_summary,
        credential_report,
        instance_profiles,
        oidc_providers,
        saml_providers,
        ssh_keys,
        signing_certificates,
        server_certificates,
        service_credentials,
        simulator,
    ),
}


def _gather() -> dict[tuple[str, str], Handler]:
    handlers: dict[tuple[str, str], Handler] = {}
    for service, modules in _MODULES.items():
        for module in modules:
            for operation, handler in module.HANDLERS.items():
                key = (service, operation)
                if key in handlers:
                    raise RuntimeError(f"{service}:{operation} is implemented twice")
                handlers[key] = handler
    return handlers


HANDLERS: dict[tuple[str, str], Handler] = _gather()

# Operations that only read: they run without taking SQLite's write lock.
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Simulate", "Lookup", "Decode")


# "Get" operations that write: GetSessionToken and GetFederationToken check MFA
# codes (each accepted once, so the device's last step is written).
_GETS_THAT_WRITE = frozenset({"GetSessionToken", "GetFederationToken"})


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES) and operation not in _GETS_THAT_WRITE


# Operations that write only now and then (read_mostly.py): they run in a read
# transaction and ask for a write one (WriteNeeded) only when they must write.
# AssumeRole: RoleLastUsed at most once a minute per role, and MFA codes. The
# federation calls: RoleLastUsed too; and AssumeRoleWithWebIdentity may fetch the
# issuer's keys (up to 5 s), which must not happen while holding SQLite's write lock.
READ_MOSTLY = frozenset({"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def reads_first(operation: str) -> bool:
    """Whether the operation starts in a read transaction (no write lock on SQLite)."""
    return is_read_only(operation) or operation in READ_MOSTLY


# Reads that are a few indexed lookups whatever the account's size: cheap enough to
# answer on the event loop (see app.py).
_HEAVY_GETS = frozenset({"GetAccountAuthorizationDetails", "GetCredentialReport"})


def is_cheap_read(operation: str) -> bool:
    return operation.startswith("Get") and is_read_only(operation) and operation not in _HEAVY_GETS
