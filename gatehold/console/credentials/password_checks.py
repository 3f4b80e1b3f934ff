"""Console password checks shared by the forced change (signin/steps.py) and the
self-service page, and the root user's own password change.

AWS answers every policy violation with one text ("Password does not conform to
the account password policy."); the console says which rule failed, as AWS's
console does beside the field.

Root is not an IAM user: ChangePassword answers it InvalidUserType, and the
account password policy does not apply to it. AWS's root password rules are its
own (IAM User Guide, "Change the password for the root user"): at least 8
characters, three of uppercase, lowercase, numbers and symbols, not the account
name or email. They are the rules password_rules applies with no custom policy.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from gatehold.audit import signin_events
from gatehold.audit.recorder import recorder_for
from gatehold.auth import password_rules
from gatehold.auth.password import hash_password, verify_password
from gatehold.services.iam.identity_errors import old_password_incorrect
from gatehold.store import accounts, password_policy
from gatehold.store.db import Store
from gatehold.store.records import Account

# The root password change raced another one (the old password no longer matches).
CHANGED_MEANWHILE = "Your password was changed meanwhile. Reload the page and try again."


def _needs(reasons: list[str], whose: str) -> str | None:
    if not reasons:
        return None
    return f"The new password does not meet {whose}: it needs " + "; ".join(reasons) + "."


def _identities(account: Account) -> list[str]:
    return [account.root_email, account.alias or ""]


def policy_error(db: Connection, account: Account, new: str) -> str | None:
    """Which rules of the account password policy `new` breaks, in words; None if none."""
    policy = password_policy.get(db, account.account_id)
    reasons = password_rules.violations(new, policy, _identities(account))
    return _needs(reasons, "the account password policy")


def root_rules_error(account: Account, new: str) -> str | None:
    reasons = password_rules.violations(new, None, _identities(account))
    return _needs(reasons, "the root user's password requirements")


def change_root_password(
    store: Store,
    account_id: str,
    old: str,
    new: str,
    *,
    now: datetime | None = None,
    source_ip: str = "",
    user_agent: str = "",
) -> str | None:
    """Root changes its own password: None when done, else the message to show.

    Blocking (argon2, twice): call it from a worker thread (Web.run). Hashing
    happens outside the write transaction, which then replaces the hash only if it
    is still the one the old password was checked against, so of two concurrent
    changes one wins and the other is told.
    """
    with store.reading() as db:
        account = accounts.get(db, account_id)
    if account is None or not verify_password(account.root_password_hash, old):
        return old_password_incorrect().message
    error = root_rules_error(account, new)
    if error:
        return error
    new_hash = hash_password(new)
    with store.transaction() as db:
        replaced = accounts.replace_root_password(
            db, account_id, account.root_password_hash, new_hash
        )
        if replaced:  # CloudTrail's PasswordUpdated, with the change
            signin_events.account_event(
                db,
                recorder_for(store),
                name="PasswordUpdated",
                account=account,
                user=None,
                now=now or datetime.now(UTC),
                source_ip=source_ip,
                user_agent=user_agent,
            )
    return None if replaced else CHANGED_MEANWHILE
