"""Checking a password against the account password policy. Pure: no I/O.

AWS answers every policy violation with one text, whatever the rule broken
(PasswordPolicyViolation, HTTP 400): "Password does not conform to the account
password policy." — as AWS sends it from CreateLoginProfile, UpdateLoginProfile
and ChangePassword (quoted in CloudFormation events and in boto users' code that
matches on it). Reuse of a remembered password has its own text.
The reasons returned here name each rule broken, for the console to show.

Without a custom policy AWS applies its default (IAM User Guide, "Set an account
password policy for IAM users"): at least 8 characters, at least three of
uppercase, lowercase, numbers and symbols, and not equal to the account name or
email address.
"""

from __future__ import annotations

from collections.abc import Iterable

from gatehold.store.records import PasswordPolicy

VIOLATION_MESSAGE = "Password does not conform to the account password policy."
# Observed AWS text for a password the reuse-prevention rule remembers.
REUSE_MESSAGE = "Policy constraint violation with password reuse prevention during password change."

# The symbols AWS's RequireSymbols counts (IAM User Guide, password policy).
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")

DEFAULT_MINIMUM_LENGTH = 8


def _classes(password: str) -> dict[str, bool]:
    return {
        "uppercase": any("A" <= c <= "Z" for c in password),
        "lowercase": any("a" <= c <= "z" for c in password),
        "number": any(c.isdigit() for c in password),
        "symbol": any(c in SYMBOLS for c in password),
    }


def violations(
    password: str, policy: PasswordPolicy | None, identities: Iterable[str] = ()
) -> list[str]:
    """Each rule `password` breaks, as a short reason; empty when it conforms.

    `policy` None means the account has no custom policy: AWS's default applies,
    and `identities` (the account name, email...) are what the password must not be.
    """
    found = _classes(password)
    if policy is None:
        reasons = []
        if len(password) < DEFAULT_MINIMUM_LENGTH:
            reasons.append(f"at least {DEFAULT_MINIMUM_LENGTH} characters")
        if sum(found.values()) < 3:
            reasons.append("at least three of: uppercase, lowercase, numbers, symbols")
        if any(password.lower() == i.lower() for i in identities if i):
            reasons.append("not the account name or email address")
        return reasons
    required = {
        "uppercase": policy.require_uppercase,
        "lowercase": policy.require_lowercase,
        "number": policy.require_numbers,
        "symbol": policy.require_symbols,
    }
    reasons = []
    if len(password) < policy.minimum_password_length:
        reasons.append(f"at least {policy.minimum_password_length} characters")
    reasons += [
        f"at least one {kind}" for kind, needed in required.items() if needed and not found[kind]
    ]
    return reasons


def violation_message(
    password: str, policy: PasswordPolicy | None, identities: Iterable[str] = ()
) -> str | None:
    """AWS's PasswordPolicyViolation text when `password` breaks the policy, else None."""
    return VIOLATION_MESSAGE if violations(password, policy, identities) else None
