"""IAM's own errors, with the texts the IAM API reference and AWS send.

Check a text against the API reference or a real AWS answer (search the issues
corpus for it) before adding it; say where it came from when it is not obvious.
"""

from __future__ import annotations

from gatehold.errors import AwsError


def no_such_entity(message: str) -> AwsError:
    return AwsError("NoSuchEntity", message, 404)


def no_such_user(user_name: str) -> AwsError:
    return no_such_entity(f"The user with name {user_name} cannot be found.")


def entity_already_exists(message: str) -> AwsError:
    return AwsError("EntityAlreadyExists", message, 409)


def delete_conflict(message: str) -> AwsError:
    return AwsError("DeleteConflict", message, 409)


def limit_exceeded(message: str) -> AwsError:
    return AwsError("LimitExceeded", message, 409)


def quota_exceeded(quota: str, limit: int) -> AwsError:
    """AWS: "Cannot exceed quota for AccessKeysPerUser: 2"."""
    return limit_exceeded(f"Cannot exceed quota for {quota}: {limit}")


def invalid_input(message: str) -> AwsError:
    return AwsError("InvalidInput", message, 400)


def malformed_policy_document(message: str) -> AwsError:
    return AwsError("MalformedPolicyDocument", message, 400)


def password_policy_violation(message: str) -> AwsError:
    return AwsError("PasswordPolicyViolation", message, 400)


def entity_temporarily_unmodifiable(message: str) -> AwsError:
    return AwsError("EntityTemporarilyUnmodifiable", message, 409)


def unmodifiable_entity(message: str) -> AwsError:
    return AwsError("UnmodifiableEntity", message, 400)
