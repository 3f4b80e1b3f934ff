"""MFA devices. A virtual device's TOTP seed is stored sealed with the operator's key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, func, select

from gatehold.store import schema

_t = schema.mfa_devices

VIRTUAL = "virtual"
# A FIDO2/WebAuthn security key (AWS's serial numbers say "u2f"): registered in the
# console only, never unassigned, removed by DeactivateMFADevice.
U2F = "u2f"
OWNER_USER = "user"
OWNER_ROOT = "root"


def seed_aad(serial_number: str) -> bytes:
    """Associated data binding a sealed seed to its device (see secretbox)."""
    return b"mfa_seed:" + serial_number.encode("utf-8")


@dataclass(frozen=True)
class MfaDevice:
    serial_number: str
    account_id: str
    kind: str
    device_name: str
    path: str
    user_type: str | None  # "user", "root", or None while unassigned
    user_id: str | None
    seed_sealed: bytes | None
    created_at: datetime
    enabled_at: datetime | None
    last_used_step: int | None
    # Security keys only (kind U2F): the WebAuthn credential ID (base64url), its COSE
    # public key, the signature counter last seen and the transports ("usb,nfc").
    credential_id: str | None = None
    public_key: bytes | None = None
    sign_count: int | None = None
    transports: str | None = None

    @property
    def assigned(self) -> bool:
        return self.user_type is not None


def record(row: Any) -> MfaDevice:
    m = row._mapping
    return MfaDevice(
        serial_number=m["serial_number"],
        account_id=m["account_id"],
        kind=m["kind"],
        device_name=m["device_name"],
        path=m["path"],
        user_type=m["user_type"],
        user_id=m["user_id"],
        seed_sealed=m["seed_sealed"],
        created_at=m["created_at"],
        enabled_at=m["enabled_at"],
        last_used_step=m["last_used_step"],
        credential_id=m["credential_id"],
        public_key=m["public_key"],
        sign_count=m["sign_count"],
        transports=m["transports"],
    )


def insert(conn: Connection, device: MfaDevice) -> None:
    conn.execute(
        _t.insert().values(
            serial_number=device.serial_number,
            account_id=device.account_id,
            kind=device.kind,
            device_name=device.device_name,
            path=device.path,
            user_type=device.user_type,
            user_id=device.user_id,
            seed_sealed=device.seed_sealed,
            created_at=device.created_at,
            enabled_at=device.enabled_at,
            last_used_step=device.last_used_step,
            credential_id=device.credential_id,
            public_key=device.public_key,
            sign_count=device.sign_count,
            transports=device.transports,
        )
    )


def get(conn: Connection, account_id: str, serial_number: str) -> MfaDevice | None:
    row = conn.execute(
        select(_t).where(_t.c.account_id == account_id, _t.c.serial_number == serial_number)
    ).first()
    return record(row) if row else None


def name_taken(conn: Connection, account_id: str, serial_number: str) -> bool:
    """A device with this serial number exists, regardless of case (IAM names are
    unique without regard to case)."""
    row = conn.execute(
        select(_t.c.serial_number).where(
            _t.c.account_id == account_id,
            func.lower(_t.c.serial_number) == serial_number.lower(),
        )
    ).first()
    return row is not None


def assign(
    conn: Connection,
    serial_number: str,
    user_type: str,
    user_id: str | None,
    now: datetime,
    last_used_step: int,
) -> None:
    conn.execute(
        _t.update()
        .where(_t.c.serial_number == serial_number)
        .values(user_type=user_type, user_id=user_id, enabled_at=now, last_used_step=last_used_step)
    )


def unassign(conn: Connection, serial_number: str) -> None:
    conn.execute(
        _t.update()
        .where(_t.c.serial_number == serial_number)
        .values(user_type=None, user_id=None, enabled_at=None)
    )


def note_step(conn: Connection, serial_number: str, step: int) -> bool:
    """Remember the last accepted time step, only ever moving it forward.

    False when another request claimed this step (or a later one) first: two
    concurrent uses of one code must not both pass, whatever the isolation level.
    """
    result = conn.execute(
        _t.update()
        .where(_t.c.serial_number == serial_number)
        .where((_t.c.last_used_step.is_(None)) | (_t.c.last_used_step < step))
        .values(last_used_step=step)
    )
    return result.rowcount == 1


def advance_sign_count(conn: Connection, serial_number: str, seen: int | None, new: int) -> bool:
    """A security key's signature counter moves from `seen` to `new`; False when another
    sign-in moved it first (compare-and-set: two uses of one key cannot both pass)."""
    same = _t.c.sign_count.is_(None) if seen is None else _t.c.sign_count == seen
    result = conn.execute(
        _t.update().where(_t.c.serial_number == serial_number, same).values(sign_count=new)
    )
    return result.rowcount == 1


def credential_registered(conn: Connection, credential_id: str) -> bool:
    """Whether a security key with this WebAuthn credential ID is registered, to anyone."""
    row = conn.execute(select(_t.c.serial_number).where(_t.c.credential_id == credential_id))
    return row.first() is not None


def codes_blocked_until(conn: Connection, serial_number: str) -> datetime | None:
    row = conn.execute(
        select(_t.c.codes_blocked_until).where(_t.c.serial_number == serial_number)
    ).first()
    return row[0] if row else None


def count_wrong_code(
    conn: Connection, serial_number: str, now: datetime, threshold: int, cooldown: timedelta
) -> None:
    """One more wrong code; at `threshold` in a row, refuse codes until now + cooldown."""
    conn.execute(
        _t.update()
        .where(_t.c.serial_number == serial_number)
        .values(failed_codes=_t.c.failed_codes + 1)
    )
    conn.execute(
        _t.update()
        .where(_t.c.serial_number == serial_number, _t.c.failed_codes >= threshold)
        .values(failed_codes=0, codes_blocked_until=now + cooldown)
    )


def clear_wrong_codes(conn: Connection, serial_number: str) -> None:
    conn.execute(
        _t.update()
        .where(_t.c.serial_number == serial_number)
        .values(failed_codes=0, codes_blocked_until=None)
    )


def delete(conn: Connection, serial_number: str) -> None:
    conn.execute(_t.delete().where(_t.c.serial_number == serial_number))


def owner_condition(account_id: str, user_id: str | None) -> Any:
    """Devices assigned to a user, or (None) to the account's root user."""
    if user_id:
        return (_t.c.user_type == OWNER_USER) & (_t.c.user_id == user_id)
    return (_t.c.user_type == OWNER_ROOT) & (_t.c.account_id == account_id)


def count_for_owner(conn: Connection, account_id: str, user_id: str | None) -> int:
    query = select(func.count()).select_from(_t).where(owner_condition(account_id, user_id))
    return int(conn.execute(query).scalar_one())


def delete_for_owner(conn: Connection, account_id: str, user_id: str | None) -> None:
    """Remove every device of one owner (None: the account's root user)."""
    conn.execute(_t.delete().where(owner_condition(account_id, user_id)))


def for_owner(
    conn: Connection, account_id: str, user_id: str | None, *, oldest_first: bool = False
) -> list[MfaDevice]:
    """The owner's devices of every kind (None: root's), in ListMFADevices' order, or
    oldest_first by when they were created."""
    query, order = owner_listing(account_id, user_id)
    rows = conn.execute(query.order_by(_t.c.created_at) if oldest_first else query.order_by(*order))
    return [record(r) for r in rows]


def owner_listing(account_id: str, user_id: str | None) -> tuple[Select[Any], list[Any]]:
    """The devices ListMFADevices pages through, and their order."""
    return select(_t).where(owner_condition(account_id, user_id)), [_t.c.serial_number]


def virtual_listing(account_id: str, assignment: str) -> tuple[Select[Any], list[Any]]:
    """Virtual devices of the account, filtered as ListVirtualMFADevices'
    AssignmentStatus asks ("Assigned", "Unassigned", "Any")."""
    query = select(_t).where(_t.c.account_id == account_id, _t.c.kind == VIRTUAL)
    if assignment == "Assigned":
        query = query.where(_t.c.user_type.is_not(None))
    elif assignment == "Unassigned":
        query = query.where(_t.c.user_type.is_(None))
    return query, [_t.c.serial_number]
