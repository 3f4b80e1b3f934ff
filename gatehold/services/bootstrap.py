"""`gatehold init`: the account, its root user, and the bootstrap admin with one key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.auth.password import hash_password
from gatehold.store import access_keys, accounts, attachments, managed_policies, meta, users
from gatehold.store.db import Store
from gatehold.store.migrations import migrate
from gatehold.store.records import AccessKey, User
from gatehold.store.secretbox import SecretBox

ADMIN_USER_NAME = "admin"


class AlreadyInitialized(Exception):
    """The store already holds an account; init changes nothing."""


@dataclass(frozen=True)
class InitResult:
    account_id: str
    root_email: str
    admin_user_name: str
    admin_access_key_id: str
    admin_secret_access_key: str


def initialize(
    store: Store, box: SecretBox, now: datetime, root_email: str, root_password: str
) -> InitResult:
    migrate(store)
    with store.transaction() as db:
        if meta.is_initialized(db):
            raise AlreadyInitialized("this store is already initialized")
        meta.record_key_check(db, box)
        account_id = ids.new_account_id()
        accounts.create(db, account_id, root_email, hash_password(root_password), now)
        user = User(
            user_id=ids.new_unique_id(ids.PREFIX_USER),
            account_id=account_id,
            user_name=ADMIN_USER_NAME,
            path="/",
            arn=iam_arn(account_id, "user", "/", ADMIN_USER_NAME),
            created_at=now,
            password_last_used=None,
            permissions_boundary_arn=None,
        )
        users.insert(db, user)
        attachments.attach_to_user(db, user.user_id, managed_policies.ADMINISTRATOR_ACCESS, now)
        key_id = ids.new_access_key_id(account_id)
        secret = ids.new_secret_access_key()
        access_keys.insert(
            db,
            AccessKey(
                access_key_id=key_id,
                account_id=account_id,
                user_id=user.user_id,
                secret_sealed=box.seal(secret.encode(), access_keys.secret_aad(key_id)),
                status="Active",
                created_at=now,
                last_used_at=None,
                last_used_service=None,
                last_used_region=None,
            ),
        )
    return InitResult(account_id, root_email, ADMIN_USER_NAME, key_id, secret)
