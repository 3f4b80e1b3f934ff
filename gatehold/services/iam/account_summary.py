"""GetAccountSummary and the STS token-version preference it reports.

Usage figures are real counts from the store; quotas are AWS's defaults, as a
real account answers them (recorded GetAccountSummary answer in LocalStack's
snapshot tests, 2026-02, and the IAM quotas page). Sizes are in characters.
"""

from __future__ import annotations

from gatehold.services.call import Call, Params, Result
from gatehold.store import account_info

DEFAULT_QUOTAS: dict[str, int] = {
    "UsersQuota": 5000,
    "GroupsQuota": 300,
    "RolesQuota": 1000,
    "PoliciesQuota": 1500,
    "InstanceProfilesQuota": 1000,
    "ServerCertificatesQuota": 20,
    "GroupsPerUserQuota": 10,
    "AccessKeysPerUserQuota": 2,
    "SigningCertificatesPerUserQuota": 2,
    "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
    "VersionsPerPolicyQuota": 5,
    "PolicyVersionsInUseQuota": 10000,
    "UserPolicySizeQuota": 2048,
    "GroupPolicySizeQuota": 5120,
    "RolePolicySizeQuota": 10240,
    "PolicySizeQuota": 6144,
    "AssumeRolePolicySizeQuota": 2048,
}

TOKEN_VERSION_SETTING = "sts_global_endpoint_token_version"
_TOKEN_VERSIONS = {"v1Token": "1", "v2Token": "2"}


def global_endpoint_token_version(call: Call) -> int:
    """1 unless the account chose v2 tokens (AWS's default for the global endpoint)."""
    value = account_info.get_setting(call.db, call.ctx.principal.account_id, TOKEN_VERSION_SETTING)
    return int(value) if value else 1


def get_account_summary(call: Call, params: Params) -> Result:
    call.authorize("iam:GetAccountSummary", "*")
    summary = dict(DEFAULT_QUOTAS)
    summary.update(account_info.entity_counts(call.db, call.ctx.principal.account_id))
    summary["GlobalEndpointTokenVersion"] = global_endpoint_token_version(call)
    return {"SummaryMap": summary}


def set_security_token_service_preferences(call: Call, params: Params) -> Result:
    call.authorize("iam:SetSecurityTokenServicePreferences", "*")
    account_info.put_setting(
        call.db,
        call.ctx.principal.account_id,
        TOKEN_VERSION_SETTING,
        _TOKEN_VERSIONS[params["GlobalEndpointTokenVersion"]],
    )
    return {}


HANDLERS = {
    "GetAccountSummary": get_account_summary,
    "SetSecurityTokenServicePreferences": set_security_token_service_preferences,
}
