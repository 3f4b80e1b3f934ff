"""STS deactivated in a region: RegionDisabledException for credential-issuing calls.

AWS (id_credentials_temp_enable-regions): an account administrator can deactivate
STS's regional endpoints; a request for temporary credentials sent to a region
where the account that would generate them has STS deactivated is refused with
RegionDisabledException (HTTP 403). That account is the role's for AssumeRole
(and the federation calls), whatever account the caller is in; the caller's own
for GetSessionToken and GetFederationToken. US East (N. Virginia) cannot be
deactivated. The operations are those STS's model lists RegionDisabledException
for; calls that issue nothing (GetCallerIdentity, GetAccessKeyInfo ...) are not
affected.

gatehold has no console page for it (AWS has no API for it either): the operator
names the deactivated regions for every account in Settings.sts_disabled_regions
(GATEHOLD_STS_DISABLED_REGIONS, comma-separated). The region is the one the
request is signed for (its credential scope), as an AWS endpoint's region is.
"""

from __future__ import annotations

from collections.abc import Mapping

from gatehold.errors import AwsError

# Never deactivated in AWS; a setting naming it is ignored.
ALWAYS_ACTIVE = "us-east-1"

_ROLE_OPERATIONS = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})
_CALLER_OPERATIONS = frozenset({"GetSessionToken", "GetFederationToken", "GetDelegatedAccessToken"})


def parse(setting: str) -> frozenset[str]:
    """The regions a Settings.sts_disabled_regions text names ("us-west-2, eu-west-1")."""
    regions = {r.strip().lower() for r in setting.split(",") if r.strip()}
    return frozenset(regions - {ALWAYS_ACTIVE})


def region_disabled(account_id: str) -> AwsError:
    # AWS's text, as quoted in SDK and tool reports (org-formation-cli#465,
    # steampipe-plugin-aws#1510, spinnaker/swabbie#666).
    return AwsError(
        "RegionDisabledException",
        f"STS is not activated in this region for account:{account_id}. Your account "
        "administrator can activate STS in this region using the IAM Console.",
        403,
    )


def issuing_account(
    operation: str, params: Mapping[str, object], caller_account: str
) -> str | None:
    """The account that would generate the credentials; None when the operation
    issues none."""
    if operation in _ROLE_OPERATIONS:
        parts = str(params.get("RoleArn") or "").split(":")
        return parts[4] if len(parts) > 5 and parts[4] else caller_account
    if operation in _CALLER_OPERATIONS:
        return caller_account
    if operation == "AssumeRoot":  # TargetPrincipal: a member account's ID or ARN
        target = str(params.get("TargetPrincipal") or "")
        parts = target.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else (target or caller_account)
    return None


def check(
    disabled: frozenset[str],
    service: str,
    operation: str,
    region: str,
    params: Mapping[str, object],
    caller_account: str,
) -> None:
    """Raise RegionDisabledException when `operation` would issue credentials in a
    region where STS is deactivated."""
    if not disabled or service != "sts" or region.lower() not in disabled:
        return
    account = issuing_account(operation, params, caller_account)
    if account is not None:
        raise region_disabled(account)
