"""Policy size quotas.

AWS (reference_iam-quotas.html, "IAM and AWS STS character limits"): a managed
policy may hold 6,144 characters; the inline policies of one entity together may
hold 2,048 (user), 5,120 (group) or 10,240 (role) characters; a role trust policy
2,048 by default (AssumeRolePolicySizeQuota). IAM does not count white space.
The inline limits are for the sum over the entity's inline policies, so the
caller adds up ``policy_size`` of each and compares with the quota.
"""

from __future__ import annotations

MANAGED_POLICY = 6144
USER_INLINE = 2048
GROUP_INLINE = 5120
ROLE_INLINE = 10240
ROLE_TRUST = 2048


def policy_size(text: str) -> int:
    """Characters that count against the quotas: everything but white space."""
    return sum(1 for ch in text if not ch.isspace())


def within(text: str, quota: int) -> bool:
    return policy_size(text) <= quota


def managed_quota_message(quota: int = MANAGED_POLICY) -> str:
    # AWS's LimitExceeded text for CreatePolicy/CreatePolicyVersion.
    return f"Cannot exceed quota for PolicySize: {quota}"


def inline_quota_message(entity_type: str, name: str, quota: int) -> str:
    # AWS's LimitExceeded text for Put{User,Group,Role}Policy.
    return f"Maximum policy size of {quota} bytes exceeded for {entity_type} {name}"
