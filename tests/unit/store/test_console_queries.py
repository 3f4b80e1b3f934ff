"""The store functions the console signs in and recovers with: root by email, root's
password set outright, PasswordLastUsed, an owner's MFA devices listed and removed,
and a code's time step claimed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gatehold.store import accounts, mfa_devices, users
from gatehold.store.db import Store, make_engine, sqlite_url
from gatehold.store.mfa_devices import MfaDevice
from gatehold.store.migrations import migrate
from gatehold.store.records import User

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
OTHER = "210987654321"
USER_ID = "AIDAEXAMPLEUSER00001"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(make_engine(sqlite_url(tmp_path)))
    migrate(store)
    with store.transaction() as db:
        accounts.create(db, ACCOUNT, "Root@Example.com", "hash-1", NOW)
        accounts.create(db, OTHER, "other@example.com", "hash-2", NOW)
        users.insert(
            db,
            User(
                user_id=USER_ID,
                account_id=ACCOUNT,
                user_name="alice",
                path="/",
                arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
                created_at=NOW,
                password_last_used=None,
                permissions_boundary_arn=None,
            ),
        )
    return store


def _device(serial: str, created: datetime, user_id: str | None, kind: str) -> MfaDevice:
    return MfaDevice(
        serial_number=serial,
        account_id=ACCOUNT,
        kind=kind,
        device_name=serial.rsplit("/", 1)[-1],
        path="/",
        user_type=mfa_devices.OWNER_USER if user_id else mfa_devices.OWNER_ROOT,
        user_id=user_id,
        seed_sealed=b"sealed" if kind == mfa_devices.VIRTUAL else None,
        created_at=created,
        enabled_at=created,
        last_used_step=None,
    )


def test_root_is_found_by_email_whatever_its_case(store: Store) -> None:
    with store.reading() as db:
        found = accounts.by_root_email(db, "root@EXAMPLE.com")
        assert found is not None and found.account_id == ACCOUNT
        assert accounts.by_root_email(db, "nobody@example.com") is None


def test_a_root_password_is_set_whatever_it_was(store: Store) -> None:
    with store.transaction() as db:
        accounts.set_root_password(db, ACCOUNT, "hash-new")
    with store.reading() as db:
        mine, other = accounts.get(db, ACCOUNT), accounts.get(db, OTHER)
    assert mine is not None and mine.root_password_hash == "hash-new"
    assert other is not None and other.root_password_hash == "hash-2"


def test_a_console_sign_in_is_noted_as_the_password_last_used(store: Store) -> None:
    with store.transaction() as db:
        users.note_password_used(db, USER_ID, NOW)
    with store.reading() as db:
        user = users.get_by_id(db, USER_ID)
    assert user is not None and user.password_last_used == NOW


def test_an_owners_devices_by_serial_or_oldest_first_and_removed(store: Store) -> None:
    root_b = f"arn:aws:iam::{ACCOUNT}:mfa/b-root"
    root_a = f"arn:aws:iam::{ACCOUNT}:u2f/root/a-key"
    alice = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
    with store.transaction() as db:
        mfa_devices.insert(db, _device(root_b, NOW, None, mfa_devices.VIRTUAL))
        mfa_devices.insert(db, _device(root_a, NOW + timedelta(hours=1), None, mfa_devices.U2F))
        mfa_devices.insert(db, _device(alice, NOW, USER_ID, mfa_devices.VIRTUAL))
    with store.reading() as db:
        by_serial = [d.serial_number for d in mfa_devices.for_owner(db, ACCOUNT, None)]
        oldest = mfa_devices.for_owner(db, ACCOUNT, None, oldest_first=True)
        users_own = [d.serial_number for d in mfa_devices.for_owner(db, ACCOUNT, USER_ID)]
    assert by_serial == sorted([root_a, root_b])
    assert [d.serial_number for d in oldest] == [root_b, root_a]
    assert users_own == [alice]
    with store.transaction() as db:
        mfa_devices.delete_for_owner(db, ACCOUNT, None)
    with store.reading() as db:
        assert mfa_devices.for_owner(db, ACCOUNT, None) == []
        assert [d.serial_number for d in mfa_devices.for_owner(db, ACCOUNT, USER_ID)] == [alice]


def test_a_time_step_is_claimed_once_and_only_forward(store: Store) -> None:
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
    with store.transaction() as db:
        mfa_devices.insert(db, _device(serial, NOW, USER_ID, mfa_devices.VIRTUAL))
    with store.transaction() as db:
        assert mfa_devices.note_step(db, serial, 100)
        assert not mfa_devices.note_step(db, serial, 100)  # the same code again
        assert not mfa_devices.note_step(db, serial, 99)  # an older one
        assert mfa_devices.note_step(db, serial, 101)
