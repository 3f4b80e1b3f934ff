"""Account-wide facts: entity counts, credential report inputs and the stored report,
and account settings.

This module only reads the other IAM tables (their owners write them); the
tables in schema.py are the contract.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select

from gatehold.store import schema

# --- counts for GetAccountSummary ---------------------------------------------------


def _count(conn: Connection, table: Table, *where: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _attachments_in_account(conn: Connection, account_id: str) -> int:
    """Managed-policy attachments to the account's users, groups and roles."""
    att = schema.policy_attachments
    total = 0
    for kind, table, id_column in (
        ("user", schema.users, schema.users.c.user_id),
        ("group", schema.groups, schema.groups.c.group_id),
        ("role", schema.roles, schema.roles.c.role_id),
    ):
        query = (
            select(func.count())
            .select_from(att.join(table, id_column == att.c.principal_id))
            .where(att.c.principal_type == kind, table.c.account_id == account_id)
        )
        total += int(conn.execute(query).scalar_one())
    return total


def entity_counts(conn: Connection, account_id: str) -> dict[str, int]:
    """The usage half of GetAccountSummary's SummaryMap, counted from the tables."""
    s = schema
    mfa = s.mfa_devices
    in_account = mfa.c.account_id == account_id
    root_keys = _count(
        conn,
        s.access_keys,
        s.access_keys.c.account_id == account_id,
        s.access_keys.c.user_id.is_(None),
    )
    root_certs = _count(
        conn,
        s.signing_certificates,
        s.signing_certificates.c.account_id == account_id,
        s.signing_certificates.c.user_id.is_(None),
    )
    root_mfa = _count(
        conn, mfa, in_account, mfa.c.user_type == "root", mfa.c.enabled_at.is_not(None)
    )
    account = conn.execute(
        select(s.accounts.c.root_password_hash).where(s.accounts.c.account_id == account_id)
    ).first()
    return {
        "Users": _count(conn, s.users, s.users.c.account_id == account_id),
        "Groups": _count(conn, s.groups, s.groups.c.account_id == account_id),
        "Roles": _count(conn, s.roles, s.roles.c.account_id == account_id),
        "Policies": _count(conn, s.policies, s.policies.c.account_id == account_id),
        "PolicyVersionsInUse": _attachments_in_account(conn, account_id),
        "InstanceProfiles": _count(
            conn, s.instance_profiles, s.instance_profiles.c.account_id == account_id
        ),
        "ServerCertificates": _count(
            conn, s.server_certificates, s.server_certificates.c.account_id == account_id
        ),
        "Providers": _count(conn, s.oidc_providers, s.oidc_providers.c.account_id == account_id)
        + _count(conn, s.saml_providers, s.saml_providers.c.account_id == account_id),
        "MFADevices": _count(conn, mfa, in_account),
        "MFADevicesInUse": _count(conn, mfa, in_account, mfa.c.enabled_at.is_not(None)),
        "AccountMFAEnabled": 1 if root_mfa else 0,
        "AccountAccessKeysPresent": 1 if root_keys else 0,
        "AccountSigningCertificatesPresent": 1 if root_certs else 0,
        "AccountPasswordPresent": 1 if account is not None and account[0] else 0,
    }


# --- credential report inputs ---------------------------------------------------------


@dataclass(frozen=True)
class KeyFacts:
    active: bool
    created_at: datetime
    last_used_at: datetime | None = None
    last_used_region: str | None = None
    last_used_service: str | None = None


@dataclass(frozen=True)
class UserFacts:
    """What one credential report row says about one user (or the root user)."""

    name: str
    arn: str
    created_at: datetime
    password_last_used: datetime | None
    password_changed_at: datetime | None  # None: the user has no password
    mfa_active: bool
    access_keys: tuple[KeyFacts, ...]
    certificates: tuple[KeyFacts, ...]


@dataclass(frozen=True)
class ReportInputs:
    root: UserFacts
    users: list[UserFacts]
    max_password_age_days: int | None


def _grouped(rows: Iterable[Any], owner: str) -> dict[str | None, list[Any]]:
    grouped: dict[str | None, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row._mapping[owner]].append(row)
    return grouped


def _access_keys(conn: Connection, account_id: str) -> dict[str | None, list[KeyFacts]]:
    t = schema.access_keys
    rows = conn.execute(
        select(t).where(t.c.account_id == account_id).order_by(t.c.created_at, t.c.access_key_id)
    )
    return {
        owner: [
            KeyFacts(
                r.status == "Active",
                r.created_at,
                r.last_used_at,
                r.last_used_region,
                r.last_used_service,
            )
            for r in keys
        ]
        for owner, keys in _grouped(rows, "user_id").items()
    }


def _certificates(conn: Connection, account_id: str) -> dict[str | None, list[KeyFacts]]:
    t = schema.signing_certificates
    rows = conn.execute(
        select(t).where(t.c.account_id == account_id).order_by(t.c.uploaded_at, t.c.certificate_id)
    )
    return {
        owner: [KeyFacts(r.status == "Active", r.uploaded_at) for r in certs]
        for owner, certs in _grouped(rows, "user_id").items()
    }


def _mfa_owners(conn: Connection, account_id: str) -> set[str]:
    """User IDs with an enabled MFA device; "root" when the root user has one."""
    t = schema.mfa_devices
    rows = conn.execute(
        select(t.c.user_type, t.c.user_id).where(
            t.c.account_id == account_id, t.c.enabled_at.is_not(None), t.c.user_type.is_not(None)
        )
    )
    return {"root" if r.user_type == "root" else r.user_id for r in rows}


def _password_changes(conn: Connection, account_id: str) -> dict[str, datetime]:
    lp, u = schema.login_profiles, schema.users
    rows = conn.execute(
        select(lp.c.user_id, lp.c.password_changed_at)
        .join(u, u.c.user_id == lp.c.user_id)
        .where(u.c.account_id == account_id)
    )
    return {r.user_id: r.password_changed_at for r in rows}


def _max_password_age(conn: Connection, account_id: str) -> int | None:
    t = schema.password_policies
    row = conn.execute(select(t.c.max_password_age).where(t.c.account_id == account_id)).first()
    return int(row[0]) if row and row[0] else None


def report_inputs(conn: Connection, account_id: str, root_arn: str) -> ReportInputs:
    keys = _access_keys(conn, account_id)
    certs = _certificates(conn, account_id)
    mfa = _mfa_owners(conn, account_id)
    passwords = _password_changes(conn, account_id)
    account = conn.execute(
        select(schema.accounts).where(schema.accounts.c.account_id == account_id)
    ).one()
    root = UserFacts(
        name="<root_account>",
        arn=root_arn,
        created_at=account.created_at,
        password_last_used=None,
        password_changed_at=None,
        mfa_active="root" in mfa,
        access_keys=tuple(keys.get(None, [])),
        certificates=tuple(certs.get(None, [])),
    )
    u = schema.users
    rows = conn.execute(
        select(u).where(u.c.account_id == account_id).order_by(u.c.user_name_lower, u.c.user_id)
    )
    users = [
        UserFacts(
            name=r.user_name,
            arn=r.arn,
            created_at=r.created_at,
            password_last_used=r.password_last_used,
            password_changed_at=passwords.get(r.user_id),
            mfa_active=r.user_id in mfa,
            access_keys=tuple(keys.get(r.user_id, [])),
            certificates=tuple(certs.get(r.user_id, [])),
        )
        for r in rows
    ]
    return ReportInputs(root, users, _max_password_age(conn, account_id))


# --- the stored credential report -----------------------------------------------------


def get_report(conn: Connection, account_id: str) -> tuple[datetime, bytes] | None:
    t = schema.credential_reports
    row = conn.execute(
        select(t.c.generated_at, t.c.content).where(t.c.account_id == account_id)
    ).first()
    return (row[0], bytes(row[1])) if row else None


def put_report(conn: Connection, account_id: str, generated_at: datetime, content: bytes) -> None:
    t = schema.credential_reports
    conn.execute(t.delete().where(t.c.account_id == account_id))
    conn.execute(
        t.insert().values(account_id=account_id, generated_at=generated_at, content=content)
    )


# --- account settings ------------------------------------------------------------------
# Kept as gh_meta rows keyed by setting and account: one small value per account,
# read rarely, with no table of its own.


def _setting_key(name: str, account_id: str) -> str:
    return f"{name}:{account_id}"


def get_setting(conn: Connection, account_id: str, name: str) -> str | None:
    t = schema.meta
    row = conn.execute(select(t.c.value).where(t.c.key == _setting_key(name, account_id))).first()
    return str(row[0]) if row else None


def put_setting(conn: Connection, account_id: str, name: str, value: str) -> None:
    t = schema.meta
    key = _setting_key(name, account_id)
    conn.execute(t.delete().where(t.c.key == key))
    conn.execute(t.insert().values(key=key, value=value))
