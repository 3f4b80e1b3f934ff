"""Factories that put principals straight into a running server's store.

Until the IAM API can create users and keys, tests that need a second principal
(one without AdministratorAccess, or the root user's own key) add it here, through
the same repositories and the same operator key the server uses.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.store import access_keys, attachments, meta, users
from gatehold.store.db import Store, sqlite_url
from gatehold.store.records import AccessKey, User
from gatehold.store.secretbox import SecretBox, load_or_create_key
from tests.support.servers import RunningServer


def _open(server: RunningServer) -> tuple[Store, SecretBox]:
    store = Store.open(server.database_url or sqlite_url(server.data_dir))
    return store, SecretBox(load_or_create_key(server.data_dir, create=False))


def _new_key(
    box: SecretBox, account_id: str, user_id: str | None, now: datetime
) -> tuple[AccessKey, str]:
    key_id = ids.new_access_key_id(account_id)
    secret = ids.new_secret_access_key()
    sealed = box.seal(secret.encode(), access_keys.secret_aad(key_id))
    return AccessKey(key_id, account_id, user_id, sealed, "Active", now, None, None, None), secret


def add_user_with_key(
    server: RunningServer, name: str, policy_arns: tuple[str, ...] = (), path: str = "/"
) -> tuple[str, str]:
    store, box = _open(server)
    now = datetime.now(UTC)
    account = server.account_id
    try:
        with store.transaction() as db:
            user = User(
                ids.new_unique_id(ids.PREFIX_USER),
                account,
                name,
                path,
                iam_arn(account, "user", path, name),
                now,
                None,
                None,
            )
            users.insert(db, user)
            for arn in policy_arns:
                attachments.attach_to_user(db, user.user_id, arn, now)
            key, secret = _new_key(box, account, user.user_id, now)
            access_keys.insert(db, key)
            meta.bump_generation(db, account)
        return key.access_key_id, secret
    finally:
        store.dispose()


def add_root_key(server: RunningServer) -> tuple[str, str]:
    store, box = _open(server)
    try:
        with store.transaction() as db:
            key, secret = _new_key(box, server.account_id, None, datetime.now(UTC))
            access_keys.insert(db, key)
        return key.access_key_id, secret
    finally:
        store.dispose()
