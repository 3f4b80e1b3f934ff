"""Whom a sign-in is for, and the facts about them the state machine decides on.

A sign-in names an IAM user (account ID or alias, and a user name) or a root user
(an email address); either may not exist, and the steps treat an unknown principal
exactly like a known one (the same lockout subject, the same hashing), so neither
the answer nor the time tells which. The lockout counters are read here too: as a
first look before the password is hashed, and again under a row lock when a step
records its outcome (steps.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from gatehold.auth import lockout
from gatehold.console.signin.machine import PrincipalFacts
from gatehold.store import (
    accounts,
    console_sessions,
    login_profiles,
    mfa_devices,
    password_policy,
    signin_failures,
    users,
)
from gatehold.store.records import Account, User


@dataclass(frozen=True)
class Who:
    """Whoever a sign-in is for, as far as the store knows (None parts: unknown)."""

    subject: str  # the lockout subject, known user or not
    account: Account | None
    user: User | None = None  # None with an account: root
    password_hash: str | None = None


@dataclass(frozen=True)
class MfaChoice:
    serial_number: str
    device_name: str
    kind: str = mfa_devices.VIRTUAL  # or mfa_devices.U2F: a security key


# ---- finding the principal ------------------------------------------------------


def find_account(db: Connection, id_or_alias: str) -> Account | None:
    key = id_or_alias.strip()
    if key.isdigit() and len(key) == 12:
        return accounts.get(db, key)
    return accounts.by_alias(db, key.lower())


def find_user(db: Connection, account_field: str, user_name: str) -> Who:
    account = find_account(db, account_field)
    subject = lockout.account_subject(account.account_id if account else account_field, user_name)
    user = users.get_by_name(db, account.account_id, user_name) if account else None
    profile = login_profiles.get(db, user.user_id) if user else None
    if account is None or user is None or profile is None:
        return Who(subject, None)
    return Who(subject, account, user, profile.password_hash)


def find_root(db: Connection, email: str) -> Who:
    account = accounts.by_root_email(db, email)
    subject = lockout.root_subject(email)
    return Who(subject, account, None, account.root_password_hash if account else None)


def who_of(db: Connection, session: console_sessions.Session) -> Who:
    account = accounts.get(db, session.account_id)
    assert account is not None
    if session.user_id is None:
        return Who(
            lockout.root_subject(account.root_email), account, None, account.root_password_hash
        )
    user = users.get_by_id(db, session.user_id)
    assert user is not None
    return Who(lockout.account_subject(account.account_id, user.user_name), account, user)


# ---- facts --------------------------------------------------------------------


def mfa_choices(db: Connection, account_id: str, user_id: str | None) -> list[MfaChoice]:
    """The MFA devices a principal can sign in with: virtual devices (a code) and
    security keys (console/credentials/webauthn_keys.py)."""
    devices = mfa_devices.for_owner(db, account_id, user_id)
    return [
        MfaChoice(d.serial_number, d.device_name, d.kind)
        for d in devices
        if (d.kind == mfa_devices.VIRTUAL and d.seed_sealed is not None)
        or (d.kind == mfa_devices.U2F and d.public_key is not None)
    ]


def is_locked(
    db: Connection, who: Who, source_ip: str, now: datetime, *, for_update: bool = False
) -> bool:
    """Whether the account or the source address is locked. for_update (in a write
    transaction): both rows stay locked until it ends, always account then address,
    the order steps._count_failure takes them in too, so two sign-ins never deadlock. The
    rows are held (created if missing): FOR UPDATE locks no row that does not exist,
    so the first burst of failures for a new subject would otherwise all be judged
    unlocked at once on PostgreSQL and all be counted, past the threshold."""
    address_key = lockout.address_subject(source_ip)
    if for_update:
        account = signin_failures.hold(db, who.subject, now)
        address = signin_failures.hold(db, address_key, now)
    else:
        account = signin_failures.get(db, who.subject)
        address = signin_failures.get(db, address_key)
    return lockout.is_locked(account, now) or lockout.is_locked(address, now)


def facts_of(
    db: Connection,
    who: Who,
    source_ip: str,
    now: datetime,
    *,
    for_update: bool = False,
) -> PrincipalFacts:
    locked = is_locked(db, who, source_ip, now, for_update=for_update)
    if who.account is None:
        return PrincipalFacts(False, locked, False, False, False, False)
    user_id = who.user.user_id if who.user else None
    has_mfa = bool(mfa_choices(db, who.account.account_id, user_id))
    if who.user is None:
        return PrincipalFacts(True, locked, has_mfa, False, False, False)
    profile = login_profiles.get(db, who.user.user_id)
    policy = password_policy.get(db, who.account.account_id)
    expired = bool(
        profile
        and policy
        and policy.max_password_age
        and now - profile.password_changed_at > timedelta(days=policy.max_password_age)
    )
    return PrincipalFacts(
        True,
        locked,
        has_mfa,
        bool(profile and profile.password_reset_required),
        expired,
        bool(policy and policy.hard_expiry),
    )
