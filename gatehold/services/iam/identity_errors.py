"""Errors of the user-centric IAM operations (users, groups, passwords, keys, MFA).

Texts are AWS's where a real AWS answer was found quoted (in bug reports, tool
output or SDK tests); the few that could not be confirmed say so.
"""

from __future__ import annotations

from gatehold.errors import AwsError, access_denied, validation_error
from gatehold.services.iam.errors import (
    delete_conflict,
    entity_already_exists,
    no_such_entity,
    password_policy_violation,
)


def user_exists(name: str) -> AwsError:
    return entity_already_exists(f"User with name {name} already exists.")


def group_exists(name: str) -> AwsError:
    return entity_already_exists(f"Group with name {name} already exists.")


def no_such_group(name: str) -> AwsError:
    return no_such_entity(f"The group with name {name} cannot be found.")


def no_such_login_profile(user_name: str) -> AwsError:
    return no_such_entity(f"Login Profile for User {user_name} cannot be found.")


def login_profile_exists(user_name: str) -> AwsError:
    # Not confirmed against AWS; the wording AWS-compatible servers use.
    return entity_already_exists(f"Login Profile for user {user_name} already exists.")


def no_such_access_key(access_key_id: str) -> AwsError:
    return no_such_entity(f"The Access Key with id {access_key_id} cannot be found.")


def no_such_policy(arn: str) -> AwsError:
    # AWS's text for a managed policy ARN that names nothing attachable.
    return no_such_entity(f"Policy {arn} does not exist or is not attachable.")


def no_such_mfa_device(serial_number: str) -> AwsError:
    # As AWS answers DeleteVirtualMFADevice for an unknown serial number.
    return no_such_entity(f"VirtualMFADevice with serial number {serial_number} doesn't exist.")


def mfa_device_exists() -> AwsError:
    return entity_already_exists("MFADevice entity at the same path and name already exists.")


def mfa_device_in_use(serial_number: str) -> AwsError:
    # Not confirmed against AWS: the device must be deactivated before deletion.
    return delete_conflict("MFA Device is in use by a user and cannot be deleted.")


def invalid_authentication_code() -> AwsError:
    # HTTP 403 per botocore's model of InvalidAuthenticationCodeException.
    return AwsError(
        "InvalidAuthenticationCode", "Authentication code for device is not valid.", 403
    )


def invalid_user_type() -> AwsError:
    # ChangePassword by the root user (its password is not an IAM login profile).
    # The text is not confirmed against AWS.
    return AwsError("InvalidUserType", "Only IAM Users can change their own password.", 400)


def old_password_incorrect() -> AwsError:
    # Not confirmed against AWS: the text AWS-compatible servers answer.
    return access_denied("The old password was incorrect.")


def password_violation(message: str) -> AwsError:
    return password_policy_violation(message)


def missing(member: str) -> AwsError:
    """AWS's validation text for a required member left out (for members botocore
    models as optional only because another kind of caller may omit them)."""
    return validation_error(
        f"1 validation error detected: Value null at '{member}' failed to satisfy "
        "constraint: Member must not be null"
    )


_CONFLICTS = {
    "login profile": "Cannot delete entity, must delete login profile first.",
    "access keys": "Cannot delete entity, must delete access keys first.",
    "signing certificates": "Cannot delete entity, must delete signing certificates first.",
    "SSH public keys": "Cannot delete entity, must delete SSH public keys first.",
    # Not confirmed against AWS.
    "service specific credentials": (
        "Cannot delete entity, must delete service specific credentials first."
    ),
    "MFA devices": "Cannot delete entity, must delete MFA device first.",
    "inline policies": "Cannot delete entity, must delete policies first.",
    "attached policies": "Cannot delete entity, must detach all policies first.",
    "group memberships": "Cannot delete entity, must remove user from all groups first.",
    "members": "Cannot delete entity, must remove users from group first.",
}


def dependents_remain(kind: str) -> AwsError:
    """DeleteConflict for a user or group that still has `kind` (store/dependents.py)."""
    return delete_conflict(_CONFLICTS[kind])
