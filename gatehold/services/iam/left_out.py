"""IAM operations in botocore's model that gatehold deliberately does not build
(yet), each with the reason. They answer 501 NotImplemented like any unbuilt
operation. tests/unit/services/test_iam_operation_coverage.py checks that every
IAM operation is either implemented (gatehold.services.registry.HANDLERS) or listed
here, and that README.md's "IAM operations left out" section names each one.
"""

from __future__ import annotations

_DELEGATION = (
    "Delegation requests are a partner-onboarding feature AWS does not offer for general "
    "use: a partner creates the request and receives the exchange token over its own "
    "notification channel, which gatehold has no counterpart for."
)
_ORGANIZATIONS = (
    "Centralized root access works across the member accounts of an AWS Organizations "
    "organization with IAM trusted access; gatehold does not model Organizations yet."
)
_ROLE_TEMPLATES = (
    "Role templates are published and versioned by AWS services (Role Manager); gatehold "
    "has no catalogue of them to create roles from."
)
_LAST_ACCESSED = (
    "Service last accessed reports need per-service, per-action access history for every "
    "entity, which gatehold's audit trail does not record yet."
)
_OUTBOUND_FEDERATION = (
    "Outbound identity federation only makes sense with sts:GetWebIdentityToken issuing "
    "JWTs under a published issuer and key set, which gatehold does not serve yet."
)

LEFT_OUT: dict[str, str] = {
    "AcceptDelegationRequest": _DELEGATION,
    "AssociateDelegationRequest": _DELEGATION,
    "CreateDelegationRequest": _DELEGATION,
    "GetDelegationRequest": _DELEGATION,
    "ListDelegationRequests": _DELEGATION,
    "RejectDelegationRequest": _DELEGATION,
    "UpdateDelegationRequest": _DELEGATION,
    "SendDelegationToken": _DELEGATION,
    "GetHumanReadableSummary": (
        "It summarises delegation requests (its only supported entity type) with a large "
        "language model; gatehold has neither."
    ),
    "AcquireRole": _ROLE_TEMPLATES,
    "GetRoleTemplateVersion": _ROLE_TEMPLATES,
    "GetAccountProperties": (
        "Account properties configure Role Manager (role templates), which gatehold does "
        "not model; AWS documents no namespaces or properties to validate against."
    ),
    "PutAccountProperties": (
        "Account properties configure Role Manager (role templates), which gatehold does "
        "not model; AWS documents no namespaces or properties to validate against."
    ),
    "EnableOrganizationsRootCredentialsManagement": _ORGANIZATIONS,
    "DisableOrganizationsRootCredentialsManagement": _ORGANIZATIONS,
    "EnableOrganizationsRootSessions": _ORGANIZATIONS,
    "DisableOrganizationsRootSessions": _ORGANIZATIONS,
    "ListOrganizationsFeatures": _ORGANIZATIONS,
    "GenerateOrganizationsAccessReport": _ORGANIZATIONS + " " + _LAST_ACCESSED,
    "GetOrganizationsAccessReport": _ORGANIZATIONS + " " + _LAST_ACCESSED,
    "GenerateServiceLastAccessedDetails": _LAST_ACCESSED,
    "GetServiceLastAccessedDetails": _LAST_ACCESSED,
    "GetServiceLastAccessedDetailsWithEntities": _LAST_ACCESSED,
    "EnableOutboundWebIdentityFederation": _OUTBOUND_FEDERATION,
    "DisableOutboundWebIdentityFederation": _OUTBOUND_FEDERATION,
    "GetOutboundWebIdentityFederationInfo": _OUTBOUND_FEDERATION,
    "ListPoliciesGrantingServiceAccess": (
        "It needs a catalogue of which actions belong to which service namespace to match "
        "every identity policy against; gatehold's policy tools do not carry one yet."
    ),
}
