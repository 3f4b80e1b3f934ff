"""The account security checks, pure: facts and `now` in, checks with status and fixes out.

The checks are the practices the IAM User Guide lists under "Security best practices
in IAM" and the root user guidance, with the thresholds CIS's AWS Foundations
Benchmark uses where AWS names none:

- the root user has MFA, and no access keys;
- every user with a console password has MFA;
- access keys are rotated (older than 90 days: CIS 1.14) and credentials that are not
  used are removed (no use for 90 days, or never used within 90 days of creation);
- console passwords not used for 90 days are removed;
- a password policy is set, at least 14 characters long (CIS 1.8);
- no user stays locked out until an administrator unlocks them (gatehold's lockout,
  auth/lockout.py: 100 consecutive failures).

Fix links point at the page where the principal fixes it: their own security
credentials (root's MFA and keys), or the user's page in the IAM pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import quote

STALE = timedelta(days=90)
CIS_MINIMUM_LENGTH = 14

OWN_CREDENTIALS = "/console/credentials"
PASSWORD_POLICY_PAGE = "/console/iam/account-settings"


def user_page(name: str) -> str:
    return f"/console/iam/users/{quote(name, safe='')}"


@dataclass(frozen=True)
class KeyFacts:
    access_key_id: str
    active: bool
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class UserFacts:
    name: str
    password_created_at: datetime | None  # None: no console password
    password_last_used: datetime | None
    mfa_devices: int
    keys: tuple[KeyFacts, ...] = ()
    locked_for_good: bool = False  # only an administrator's unlock lets them in

    @property
    def has_password(self) -> bool:
        return self.password_created_at is not None


@dataclass(frozen=True)
class PolicyFacts:
    minimum_length: int


@dataclass(frozen=True)
class AccountFacts:
    root_mfa: bool
    root_access_keys: bool
    policy: PolicyFacts | None  # None: no password policy set
    users: tuple[UserFacts, ...]


class Status(Enum):
    OK = "ok"
    ATTENTION = "attention"


@dataclass(frozen=True)
class Finding:
    subject: str
    detail: str
    fix_url: str


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    status: Status
    summary: str
    fix_url: str | None = None  # where to fix it, when it is one place
    findings: tuple[Finding, ...] = ()


def _day(t: datetime) -> str:
    return t.strftime("%Y-%m-%d")


def _single(key: str, title: str, *, ok: bool, good: str, bad: str, fix: str) -> Check:
    if ok:
        return Check(key, title, Status.OK, good)
    return Check(key, title, Status.ATTENTION, bad, fix)


def _listing(key: str, title: str, findings: list[Finding], good: str, bad: str) -> Check:
    if not findings:
        return Check(key, title, Status.OK, good)
    return Check(key, title, Status.ATTENTION, bad.format(n=len(findings)), None, tuple(findings))


def root_mfa(f: AccountFacts) -> Check:
    return _single(
        "root-mfa",
        "MFA for the root user",
        ok=f.root_mfa,
        good="The root user has an MFA device.",
        bad="The root user has no MFA device: anyone with its password can sign in.",
        fix=OWN_CREDENTIALS,
    )


def root_keys(f: AccountFacts) -> Check:
    return _single(
        "root-access-keys",
        "No access keys for the root user",
        ok=not f.root_access_keys,
        good="The root user has no access keys.",
        bad="The root user has access keys: delete them and use IAM users or roles.",
        fix=OWN_CREDENTIALS,
    )


def users_without_mfa(f: AccountFacts) -> Check:
    found = [
        Finding(u.name, "console password, no MFA device", user_page(u.name))
        for u in f.users
        if u.has_password and u.mfa_devices == 0
    ]
    return _listing(
        "users-without-mfa",
        "MFA for users who sign in to the console",
        found,
        "Every user with a console password has MFA.",
        "{n} user(s) sign in with a password and no MFA device.",
    )


def old_keys(f: AccountFacts, now: datetime) -> Check:
    found = [
        Finding(
            u.name, f"access key {k.access_key_id} created {_day(k.created_at)}", user_page(u.name)
        )
        for u in f.users
        for k in u.keys
        if k.active and now - k.created_at > STALE
    ]
    return _listing(
        "old-access-keys",
        "Access keys rotated within 90 days",
        found,
        "No active access key is older than 90 days.",
        "{n} active access key(s) are older than 90 days: rotate them.",
    )


def _key_unused(k: KeyFacts, now: datetime) -> str | None:
    if not k.active:
        return None
    if k.last_used_at is None:
        return f"never used since {_day(k.created_at)}" if now - k.created_at > STALE else None
    return f"last used {_day(k.last_used_at)}" if now - k.last_used_at > STALE else None


def unused_keys(f: AccountFacts, now: datetime) -> Check:
    found = [
        Finding(u.name, f"access key {k.access_key_id} {why}", user_page(u.name))
        for u in f.users
        for k in u.keys
        if (why := _key_unused(k, now)) is not None
    ]
    return _listing(
        "unused-access-keys",
        "No unused access keys",
        found,
        "Every active access key was used within 90 days.",
        "{n} active access key(s) were not used for 90 days: deactivate or delete them.",
    )


def unused_passwords(f: AccountFacts, now: datetime) -> Check:
    found = []
    for u in f.users:
        if u.password_created_at is None:
            continue
        if u.password_last_used is None and now - u.password_created_at > STALE:
            found.append(
                Finding(
                    u.name, f"never used since {_day(u.password_created_at)}", user_page(u.name)
                )
            )
        elif u.password_last_used is not None and now - u.password_last_used > STALE:
            found.append(
                Finding(u.name, f"last used {_day(u.password_last_used)}", user_page(u.name))
            )
    return _listing(
        "unused-passwords",
        "No unused console passwords",
        found,
        "Every console password was used within 90 days.",
        "{n} console password(s) were not used for 90 days: remove them.",
    )


def password_policy(f: AccountFacts) -> Check:
    key, title = "password-policy", "A password policy for IAM users"
    if f.policy is None:
        return Check(
            key, title, Status.ATTENTION,
            "No password policy is set: IAM users get AWS's default rules only.",
            PASSWORD_POLICY_PAGE,
        )  # fmt: skip
    if f.policy.minimum_length < CIS_MINIMUM_LENGTH:
        return Check(
            key, title, Status.ATTENTION,
            f"The policy allows passwords of {f.policy.minimum_length} characters; "
            f"require at least {CIS_MINIMUM_LENGTH}.",
            PASSWORD_POLICY_PAGE,
        )  # fmt: skip
    return Check(key, title, Status.OK, "A password policy is set.")


def locked_users(f: AccountFacts) -> Check:
    found = [
        Finding(u.name, "locked until an administrator unlocks the user", user_page(u.name))
        for u in f.users
        if u.locked_for_good
    ]
    return _listing(
        "locked-users",
        "No users waiting for an administrator's unlock",
        found,
        "No user is locked out for good.",
        "{n} user(s) are locked out until an administrator unlocks them.",
    )


def evaluate(f: AccountFacts, now: datetime) -> list[Check]:
    return [
        root_mfa(f),
        root_keys(f),
        users_without_mfa(f),
        old_keys(f, now),
        unused_keys(f, now),
        unused_passwords(f, now),
        password_policy(f),
        locked_users(f),
    ]
