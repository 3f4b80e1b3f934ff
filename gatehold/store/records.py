"""Rows as typed, immutable records: what the repositories hand to services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Account:
    account_id: str
    alias: str | None
    root_email: str
    root_password_hash: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    user_id: str
    account_id: str
    user_name: str
    path: str
    arn: str
    created_at: datetime
    password_last_used: datetime | None
    permissions_boundary_arn: str | None


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    account_id: str
    user_id: str | None  # None: a root user's key
    secret_sealed: bytes
    status: str
    created_at: datetime
    last_used_at: datetime | None
    last_used_service: str | None
    last_used_region: str | None


@dataclass(frozen=True)
class PasswordPolicy:
    """An account's custom password policy, as UpdateAccountPasswordPolicy sets it."""

    minimum_password_length: int = 6
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    allow_users_to_change_password: bool = False
    max_password_age: int | None = None
    password_reuse_prevention: int | None = None
    hard_expiry: bool | None = None


@dataclass(frozen=True)
class Counter:
    """A console sign-in subject's run of consecutive failures (store/signin_failures.py
    keeps them, auth/lockout.py judges them)."""

    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
