"""Root account recovery against the store: issue a link, use it. Blocking code (database,
argon2, mail): pages.py runs every function here in a worker thread.

Two links, both single-use and expiring (recovery_tokens.py), both mailed to the root
user's email address:

- **Forgot password** (anyone may ask, on the root sign-in page): the link sets a new
  root password. It proves possession of the mailbox only, so it does not touch MFA: a
  root user with MFA still needs the device to sign in afterwards.
- **Lost MFA device** (only the operator may ask: `gatehold root reset-mfa`, run by
  whoever holds the server's master key and data folder): the link asks for root's
  password and then removes root's MFA devices. Three things are needed together: the
  operator's approval (standing in for AWS's phone call), the mailbox and the password.
  A wrong password uses the link up; the operator issues a new one. AWS's own path for
  the same case is email plus phone verification ("Resetting a lost or broken root user
  MFA device", IAM User Guide).

Either link, once used, ends every root console session and clears root's lockout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from gatehold.audit import signin_events
from gatehold.audit.recorder import recorder_for
from gatehold.auth import lockout, password_rules
from gatehold.auth.password import hash_password, verify_password
from gatehold.clock import Clock
from gatehold.config import Settings
from gatehold.mail import Sender, compose
from gatehold.store import (
    accounts,
    console_sessions,
    mfa_devices,
    recovery_tokens,
    signin_failures,
)
from gatehold.store.db import Store
from gatehold.store.records import Account

# At most this many links per account and purpose per hour: the form is open to
# anyone, and must not turn gatehold into a way to flood a root user's mailbox.
MAX_LINKS_PER_HOUR = 5
# AWS's root password limit (Account Management guide, "Change the root user password").
MAX_PASSWORD_LENGTH = 128

EXPIRED = "This link has expired or has already been used. Ask for a new one."
MISMATCH = "The passwords you entered do not match."
WRONG_PASSWORD = (
    "The password is incorrect. This link is now used up: ask your operator for a new one."
)


@dataclass(frozen=True)
class Recovery:
    """What the recovery steps need; one per worker process (and one per CLI run)."""

    store: Store
    clock: Clock
    sender: Sender
    sender_address: str
    base_url: str  # where the emailed links point: Settings.public_url or endpoint
    lifetime: timedelta


def from_settings(store: Store, clock: Clock, sender: Sender, settings: Settings) -> Recovery:
    return Recovery(
        store=store,
        clock=clock,
        sender=sender,
        sender_address=settings.smtp_from,
        base_url=(settings.public_url or settings.endpoint).rstrip("/"),
        lifetime=timedelta(minutes=settings.recovery_link_minutes),
    )


def _issue(r: Recovery, account: Account, purpose: str, who: Requester) -> str | None:
    now = r.clock.now()
    with r.store.transaction() as db:
        recent = recovery_tokens.issued_since(
            db, account.account_id, purpose, now - timedelta(hours=1)
        )
        if recent >= MAX_LINKS_PER_HOUR:
            return None
        token = recovery_tokens.issue(db, account.account_id, purpose, now, r.lifetime)
        _record(db, r, _REQUESTED[purpose], account, now, who)
        return token


@dataclass(frozen=True)
class Requester:
    """Where a recovery step came from, for its CloudTrail record."""

    source_ip: str = ""
    user_agent: str = ""


OPERATOR = Requester(user_agent="gatehold root reset-mfa (operator)")

# CloudTrail's names for root's password recovery (sign-in events); the lost-MFA
# path is gatehold's own (AWS's runs through its support), named the same way.
_REQUESTED = {
    recovery_tokens.PASSWORD: "PasswordRecoveryRequested",
    recovery_tokens.MFA: "MFARecoveryRequested",
}
_COMPLETED = {
    recovery_tokens.PASSWORD: "PasswordRecoveryCompleted",
    recovery_tokens.MFA: "MFARecoveryCompleted",
}


def _record(
    db: Connection, r: Recovery, name: str, account: Account, now: datetime, who: Requester
) -> None:
    signin_events.account_event(
        db,
        recorder_for(r.store),
        name=name,
        account=account,
        user=None,
        now=now,
        source_ip=who.source_ip,
        user_agent=who.user_agent,
    )


def _minutes(r: Recovery) -> int:
    return int(r.lifetime.total_seconds() // 60)


def request_password_link(r: Recovery, email: str, who: Requester = Requester()) -> bool:
    """Mail a password link if `email` is a root user's; whether one was sent. The page
    answers the same either way (and before this runs), so nobody learns which."""
    with r.store.reading() as db:
        account = accounts.by_root_email(db, email.strip())
    if account is None:
        return False
    token = _issue(r, account, recovery_tokens.PASSWORD, who)
    if token is None:
        return False
    body = (
        f"Someone asked to reset the password of the root user of gatehold account "
        f"{account.account_id}.\n\n"
        f"To choose a new password, open this link within {_minutes(r)} minutes:\n\n"
        f"{r.base_url}/signin/recover?token={token}\n\n"
        "The link works once. If you did not ask for this, ignore this message: "
        "your password stays as it is.\n"
    )
    subject = "Reset your gatehold root user password"
    r.sender.send(compose(r.sender_address, account.root_email, subject, body, r.clock.now()))
    return True


def issue_mfa_link(r: Recovery, account_id: str) -> str | None:
    """The operator's action: mail root a link that removes its MFA devices; the address
    it went to, or None (no such account, or too many links this hour)."""
    with r.store.reading() as db:
        account = accounts.get(db, account_id)
    if account is None:
        return None
    token = _issue(r, account, recovery_tokens.MFA, OPERATOR)
    if token is None:
        return None
    body = (
        f"Your gatehold operator started the recovery of the root user's lost MFA device "
        f"for account {account.account_id}.\n\n"
        f"Open this link within {_minutes(r)} minutes and confirm with the root user's "
        f"password to remove the root user's MFA devices:\n\n"
        f"{r.base_url}/signin/recover-mfa?token={token}\n\n"
        "Then sign in and set up a new MFA device. If you did not ask your operator for "
        "this, tell them: nothing changes unless the link is used with your password.\n"
    )
    subject = "Remove your gatehold root user's MFA device"
    r.sender.send(compose(r.sender_address, account.root_email, subject, body, r.clock.now()))
    return account.root_email


def link_is_usable(r: Recovery, token: str, purpose: str) -> bool:
    with r.store.reading() as db:
        return recovery_tokens.usable(db, token, purpose, r.clock.now()) is not None


def _end_root_access(db: Connection, account: Account) -> None:
    """After a recovery: no root session outlives it, and root may sign in at once."""
    console_sessions.delete_for_principal(db, account.account_id, None)
    signin_failures.clear(db, lockout.root_subject(account.root_email))


def password_problems(password: str, account: Account) -> list[str]:
    """AWS's rules for a root password: 8 to 128 characters, three of four character
    classes, not the account's email or alias (the same as IAM's default policy)."""
    reasons = password_rules.violations(password, None, [account.root_email, account.alias or ""])
    if len(password) > MAX_PASSWORD_LENGTH:
        reasons.append(f"at most {MAX_PASSWORD_LENGTH} characters")
    return reasons


def reset_password(
    r: Recovery, token: str, new: str, confirm: str, who: Requester = Requester()
) -> str | None:
    """Use a password link: None when the root password was replaced, else why not."""
    now = r.clock.now()
    with r.store.reading() as db:
        found = recovery_tokens.usable(db, token, recovery_tokens.PASSWORD, now)
        account = accounts.get(db, found.account_id) if found else None
    if found is None or account is None:
        return EXPIRED
    if new != confirm:
        return MISMATCH
    problems = password_problems(new, account)
    if problems:
        return "The new password needs " + "; ".join(problems) + "."
    new_hash = hash_password(new)  # argon2id, outside any transaction
    with r.store.transaction() as db:
        if not recovery_tokens.use(db, found, now):
            return EXPIRED
        accounts.set_root_password(db, account.account_id, new_hash)
        _end_root_access(db, account)
        _record(db, r, _COMPLETED[recovery_tokens.PASSWORD], account, now, who)
    return None


def reset_mfa(r: Recovery, token: str, password: str, who: Requester = Requester()) -> str | None:
    """Use an MFA link with root's password: None when root's MFA devices were removed."""
    now = r.clock.now()
    with r.store.reading() as db:
        found = recovery_tokens.usable(db, token, recovery_tokens.MFA, now)
        account = accounts.get(db, found.account_id) if found else None
    # Hashed whatever the link, so a dead link and a wrong password take the same time.
    ok = verify_password(account.root_password_hash if account else None, password)
    if found is None or account is None:
        return EXPIRED
    with r.store.transaction() as db:
        if not recovery_tokens.use(db, found, now):
            return EXPIRED
        if not ok:
            return WRONG_PASSWORD  # the link stays used up: no guessing with it
        mfa_devices.delete_for_owner(db, account.account_id, None)
        _end_root_access(db, account)
        _record(db, r, _COMPLETED[recovery_tokens.MFA], account, now, who)
    return None
