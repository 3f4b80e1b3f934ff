"""A console write that races another writer is run again, as the API's are
(services/runner.py): the administrator gets AWS's answer, never a failure page.

On PostgreSQL (READ COMMITTED) two transactions can both find a group name free and
both insert it; the second insert waits on the first's uncommitted row and, once that
commits, fails with a unique violation. The runner runs the operation again, which
now sees the group and answers EntityAlreadyExists. The race is made certain here:
another writer (a transaction of the store, as another instance's would be) inserts
the group and holds its transaction open until the console's insert waits on it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from gatehold import arn, ids
from gatehold.store import groups
from gatehold.store.db import Store
from gatehold.store.groups import Group
from tests.support.aws import unique
from tests.support.console import PASSWORD, make_user
from tests.support.console_http import Browser, Page, sign_in
from tests.support.pg import until_a_lock_is_awaited
from tests.support.servers import RunningServer

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_a_console_create_that_loses_a_race_answers_as_aws_does(server: RunningServer) -> None:
    if server.database_url is None:
        pytest.skip("SQLite runs one write transaction at a time: there is no race to lose")
    name = make_user(server)
    server.client("iam").attach_user_policy(UserName=name, PolicyArn=ADMIN)
    b = Browser(f"http://127.0.0.1:{server.port}")
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/console"
    form = b.get("/console/iam/groups")
    token = form.fields().inputs["csrf_token"]
    group = unique("raced")

    store = Store.open(server.database_url)
    answered: list[Page] = []
    try:
        with store.engine.connect() as other, store.engine.connect() as probe:
            tx = other.begin()
            groups.insert(other, _group(server.account_id, group))

            def create() -> None:
                answered.append(
                    b.post("/console/iam/groups", {"csrf_token": token, "group_name": group})
                )

            console = threading.Thread(target=create)
            console.start()
            until_a_lock_is_awaited(probe)  # the console's insert waits on `other`'s row
            tx.commit()
            console.join(60)
    finally:
        store.dispose()

    page = answered[0]
    assert page.status == 409, page.body
    assert f"Group with name {group} already exists." in page.body
    assert [g["GroupName"] for g in _groups(server) if g["GroupName"] == group] == [group]


def _group(account_id: str, name: str) -> Group:
    return Group(
        ids.new_unique_id(ids.PREFIX_GROUP),
        account_id,
        name,
        "/",
        arn.iam_arn(account_id, "group", "/", name),
        datetime.now(UTC),
    )


def _groups(server: RunningServer) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = server.client("iam").list_groups()["Groups"]
    return listed
