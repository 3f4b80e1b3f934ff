"""What still hangs off a user or group, which AWS requires removed before deletion.

Each check answers the first kind of dependent found, in the order the IAM API
Reference lists them for DeleteUser ("Deleting an IAM user ... you must delete the
items attached to the user manually"), or None when there is none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from gatehold.store import schema

LOGIN_PROFILE = "login profile"
ACCESS_KEYS = "access keys"
SIGNING_CERTIFICATES = "signing certificates"
SSH_PUBLIC_KEYS = "SSH public keys"
SERVICE_SPECIFIC_CREDENTIALS = "service specific credentials"
MFA_DEVICES = "MFA devices"
INLINE_POLICIES = "inline policies"
ATTACHED_POLICIES = "attached policies"
GROUP_MEMBERSHIPS = "group memberships"
MEMBERS = "members"


def _any(conn: Connection, column: Any, value: str, *more: Any) -> bool:
    return conn.execute(select(column).where(column == value, *more).limit(1)).first() is not None


def _policies(conn: Connection, principal_type: str, principal_id: str) -> str | None:
    inline, attached = schema.inline_policies, schema.policy_attachments
    if _any(conn, inline.c.principal_id, principal_id, inline.c.principal_type == principal_type):
        return INLINE_POLICIES
    if _any(
        conn, attached.c.principal_id, principal_id, attached.c.principal_type == principal_type
    ):
        return ATTACHED_POLICIES
    return None


def of_user(conn: Connection, user_id: str) -> str | None:
    checks = [
        (LOGIN_PROFILE, schema.login_profiles.c.user_id),
        (ACCESS_KEYS, schema.access_keys.c.user_id),
        (SIGNING_CERTIFICATES, schema.signing_certificates.c.user_id),
        (SSH_PUBLIC_KEYS, schema.ssh_public_keys.c.user_id),
        (SERVICE_SPECIFIC_CREDENTIALS, schema.service_specific_credentials.c.user_id),
        (MFA_DEVICES, schema.mfa_devices.c.user_id),
    ]
    for kind, column in checks:
        if _any(conn, column, user_id):
            return kind
    found = _policies(conn, "user", user_id)
    if found:
        return found
    if _any(conn, schema.group_members.c.user_id, user_id):
        return GROUP_MEMBERSHIPS
    return None


def of_group(conn: Connection, group_id: str) -> str | None:
    if _any(conn, schema.group_members.c.group_id, group_id):
        return MEMBERS
    return _policies(conn, "group", group_id)


def customer_policy_exists(conn: Connection, account_id: str, arn: str) -> bool:
    """A customer managed policy of this account with this ARN (for boundaries)."""
    p = schema.policies
    return _any(conn, p.c.arn, arn, p.c.account_id == account_id)
