"""Put users, groups, roles and their policies straight into a running server's store.

The enforcement and simulator tests need principals with every kind of policy
(inline, customer managed, AWS managed, through groups, boundaries) whether or
not the IAM operations that create them exist yet. Writes go through plain
inserts on the schema's tables (the contract every module shares) in one
transaction, which also raises the account's authorization generation, exactly
as an IAM operation that changes policies does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, update

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.store import access_keys, meta, schema, tags
from gatehold.store.db import Store, sqlite_url
from gatehold.store.records import AccessKey
from gatehold.store.secretbox import SecretBox, load_or_create_key
from tests.support.servers import RunningServer


def _text(document: str | dict[str, Any]) -> str:
    return document if isinstance(document, str) else json.dumps(document, indent=2)


class Seeder:
    def __init__(self, db: Connection, box: SecretBox, account_id: str) -> None:
        self.db = db
        self.box = box
        self.account = account_id
        self.now = datetime.now(UTC)

    def user(self, name: str, path: str = "/", boundary_arn: str | None = None) -> tuple[str, str]:
        """(user ID, ARN)"""
        user_id = ids.new_unique_id(ids.PREFIX_USER)
        arn = iam_arn(self.account, "user", path, name)
        self.db.execute(
            schema.users.insert().values(
                user_id=user_id,
                account_id=self.account,
                user_name=name,
                user_name_lower=name.lower(),
                path=path,
                arn=arn,
                created_at=self.now,
                password_last_used=None,
                permissions_boundary_arn=boundary_arn,
            )
        )
        return user_id, arn

    def key(self, user_id: str) -> tuple[str, str]:
        key_id = ids.new_access_key_id(self.account)
        secret = ids.new_secret_access_key()
        sealed = self.box.seal(secret.encode(), access_keys.secret_aad(key_id))
        access_keys.insert(
            self.db,
            AccessKey(key_id, self.account, user_id, sealed, "Active", self.now, None, None, None),
        )
        return key_id, secret

    def group(self, name: str, path: str = "/") -> tuple[str, str]:
        group_id = ids.new_unique_id(ids.PREFIX_GROUP)
        arn = iam_arn(self.account, "group", path, name)
        self.db.execute(
            schema.groups.insert().values(
                group_id=group_id,
                account_id=self.account,
                group_name=name,
                group_name_lower=name.lower(),
                path=path,
                arn=arn,
                created_at=self.now,
            )
        )
        return group_id, arn

    def member(self, group_id: str, user_id: str) -> None:
        self.db.execute(
            schema.group_members.insert().values(
                group_id=group_id, user_id=user_id, added_at=self.now
            )
        )

    def role(self, name: str, path: str = "/", boundary_arn: str | None = None) -> tuple[str, str]:
        role_id = ids.new_unique_id(ids.PREFIX_ROLE)
        arn = iam_arn(self.account, "role", path, name)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        self.db.execute(
            schema.roles.insert().values(
                role_id=role_id,
                account_id=self.account,
                role_name=name,
                role_name_lower=name.lower(),
                path=path,
                arn=arn,
                created_at=self.now,
                assume_role_policy_document=json.dumps(trust),
                description=None,
                max_session_duration=3600,
                permissions_boundary_arn=boundary_arn,
            )
        )
        return role_id, arn

    def policy(self, name: str, document: str | dict[str, Any], path: str = "/") -> str:
        """A customer managed policy with one version (v1, the default); its ARN."""
        policy_id = ids.new_unique_id(ids.PREFIX_POLICY)
        arn = iam_arn(self.account, "policy", path, name)
        self.db.execute(
            schema.policies.insert().values(
                policy_id=policy_id,
                account_id=self.account,
                policy_name=name,
                policy_name_lower=name.lower(),
                path=path,
                arn=arn,
                default_version_id="v1",
                next_version_number=2,
                description=None,
                created_at=self.now,
                updated_at=self.now,
            )
        )
        self.version(policy_id, "v1", document)
        return arn

    def version(self, policy_id: str, version_id: str, document: str | dict[str, Any]) -> None:
        self.db.execute(
            schema.policy_versions.insert().values(
                policy_id=policy_id,
                version_id=version_id,
                document=_text(document),
                created_at=self.now,
            )
        )

    def set_default_version(
        self, arn: str, version_id: str, document: str | dict[str, Any]
    ) -> None:
        p = schema.policies
        policy_id = self.db.execute(p.select().where(p.c.arn == arn)).one()._mapping["policy_id"]
        self.version(policy_id, version_id, document)
        self.db.execute(update(p).where(p.c.arn == arn).values(default_version_id=version_id))

    def attach(self, principal_type: str, principal_id: str, policy_arn: str) -> None:
        self.db.execute(
            schema.policy_attachments.insert().values(
                principal_type=principal_type,
                principal_id=principal_id,
                policy_arn=policy_arn,
                attached_at=self.now,
            )
        )

    def detach(self, principal_type: str, principal_id: str, policy_arn: str) -> None:
        t = schema.policy_attachments
        self.db.execute(
            delete(t).where(
                t.c.principal_type == principal_type,
                t.c.principal_id == principal_id,
                t.c.policy_arn == policy_arn,
            )
        )

    def inline(
        self, principal_type: str, principal_id: str, name: str, document: str | dict[str, Any]
    ) -> None:
        self.db.execute(
            schema.inline_policies.insert().values(
                principal_type=principal_type,
                principal_id=principal_id,
                policy_name=name,
                document=_text(document),
            )
        )

    def remove_inline(self, principal_type: str, principal_id: str, name: str) -> None:
        t = schema.inline_policies
        self.db.execute(
            delete(t).where(
                t.c.principal_type == principal_type,
                t.c.principal_id == principal_id,
                t.c.policy_name == name,
            )
        )

    def tag(self, resource_type: str, resource_id: str, key: str, value: str) -> None:
        """A tag on a user ("user", user ID) or role ("role", role ID)."""
        tags.put(self.db, resource_type, resource_id, [(key, value)])

    def set_user_boundary(self, user_id: str, arn: str | None) -> None:
        u = schema.users
        self.db.execute(
            update(u).where(u.c.user_id == user_id).values(permissions_boundary_arn=arn)
        )


@contextmanager
def seeding(server: RunningServer, *, bump: bool = True) -> Iterator[Seeder]:
    """One transaction on the server's store; commits, then every worker sees the change."""
    store = Store.open(server.database_url or sqlite_url(server.data_dir))
    box = SecretBox(load_or_create_key(server.data_dir, create=False))
    try:
        with store.transaction() as db:
            seeder = Seeder(db, box, server.account_id)
            yield seeder
            if bump:
                meta.bump_generation(db, server.account_id)
    finally:
        store.dispose()


def allow(
    actions: str | list[str], resources: str | list[str] = "*", **extra: Any
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources, **extra}],
    }


def deny(
    actions: str | list[str], resources: str | list[str] = "*", **extra: Any
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": actions, "Resource": resources, **extra}],
    }
