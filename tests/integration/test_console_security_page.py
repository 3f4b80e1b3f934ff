"""The account security page (/console/security): each best practice as a live check,
read as the signed-in principal through IAM's own enforcement.

gatehold runs in this process with a clock the test moves (tests/support/clock_server.py),
so "older than 90 days" is a real 91 days later for the server. Users, keys and
policies are made through the IAM API (boto3, as the admin user) at the real time."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.aws import unique
from tests.support.clock_server import ClockServer, clock_server
from tests.support.console import PASSWORD, add_mfa, add_root_mfa, make_user, remove_mfa, unlock
from tests.support.console_http import Browser, Page

READ_IAM = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}],
}


@pytest.fixture(scope="module")
def gh(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[ClockServer]:
    # A low hard limit, so that a user reaches "locked until an administrator unlocks"
    # in ten failures (the default is NIST's 100).
    with clock_server(
        tmp_path_factory.mktemp("gatehold-security"), module_database_url, lockout_max_failures=10
    ) as s:
        yield s


@pytest.fixture(scope="module")
def auditor(gh: ClockServer) -> str:
    gh.resync()
    name = make_user(gh.running)
    gh.running.client("iam").put_user_policy(
        UserName=name, PolicyName="read-iam", PolicyDocument=json.dumps(READ_IAM)
    )
    return name


@pytest.fixture
def fresh(gh: ClockServer) -> ClockServer:
    gh.resync()
    return gh


def sign_in(gh: ClockServer, name: str) -> Browser:
    b = Browser(gh.base)
    b.get("/signin")
    page = b.submit("/signin", account=gh.running.account_id, user_name=name, password=PASSWORD)
    assert page.path == "/console", page.body
    return b


def view(gh: ClockServer, name: str) -> Page:
    """Sign in (a fresh session: moving the clock days ends the old one) and open the page."""
    return sign_in(gh, name).get("/console/security")


def checks(page: Page) -> dict[str, tuple[str, str]]:
    """check key -> (status, the check's HTML)."""
    assert page.status == 200, page.body
    found = {}
    for part in page.body.split('<li class="check check-')[1:]:
        m = re.match(r'(ok|attention)" id="check-([a-z-]+)">', part)
        assert m is not None, part
        found[m.group(2)] = (m.group(1), part)
    return found


def user_link(name: str) -> str:
    return f'<a href="/console/iam/users/{name}">{name}</a>'


def test_a_user_without_iam_read_permissions_sees_access_denied(fresh: ClockServer) -> None:
    name = make_user(fresh.running)  # a console password, no policies
    page = view(fresh, name)
    assert page.status == 403
    assert "AccessDenied" in page.body and f"user/{name} is not authorized" in page.body
    assert 'id="check-' not in page.body  # no facts


def test_every_check_is_listed_with_a_status(fresh: ClockServer, auditor: str) -> None:
    found = checks(view(fresh, auditor))
    assert set(found) == {
        "root-mfa",
        "root-access-keys",
        "users-without-mfa",
        "old-access-keys",
        "unused-access-keys",
        "unused-passwords",
        "password-policy",
        "locked-users",
    }


def test_root_mfa_and_root_access_keys(fresh: ClockServer, auditor: str) -> None:
    found = checks(view(fresh, auditor))
    status, html = found["root-mfa"]
    assert status == "attention" and 'href="/console/credentials"' in html
    assert found["root-access-keys"][0] == "ok"

    serial, _ = add_root_mfa(fresh.running)
    key_id = _add_root_access_key(fresh)
    try:
        found = checks(view(fresh, auditor))
        assert found["root-mfa"][0] == "ok"
        status, html = found["root-access-keys"]
        assert status == "attention" and 'href="/console/credentials"' in html
    finally:
        remove_mfa(fresh.running, serial)
        _delete_access_key(fresh, key_id)


def test_users_with_a_password_and_no_mfa(fresh: ClockServer, auditor: str) -> None:
    with_password = make_user(fresh.running)
    no_password = unique("api-only")
    fresh.running.client("iam").create_user(UserName=no_password)
    status, html = checks(view(fresh, auditor))["users-without-mfa"]
    assert status == "attention"
    assert user_link(with_password) in html
    assert no_password not in html
    add_mfa(fresh.running, with_password)
    assert with_password not in checks(view(fresh, auditor))["users-without-mfa"][1]


def test_password_policy_set_and_strong_enough(fresh: ClockServer, auditor: str) -> None:
    iam = fresh.running.client("iam")
    status, html = checks(view(fresh, auditor))["password-policy"]
    assert status == "attention" and "No password policy" in html
    iam.update_account_password_policy(MinimumPasswordLength=8)
    status, html = checks(view(fresh, auditor))["password-policy"]
    assert status == "attention" and "at least 14" in html
    iam.update_account_password_policy(MinimumPasswordLength=14)
    assert checks(view(fresh, auditor))["password-policy"][0] == "ok"


def test_old_and_unused_access_keys_after_90_days(fresh: ClockServer, auditor: str) -> None:
    iam = fresh.running.client("iam")
    name = unique("keys")
    iam.create_user(UserName=name)
    active = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    inactive = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName=name, AccessKeyId=inactive, Status="Inactive")
    found = checks(view(fresh, auditor))
    assert active not in found["old-access-keys"][1]
    assert active not in found["unused-access-keys"][1]

    fresh.advance(days=91)
    found = checks(view(fresh, auditor))
    status, html = found["old-access-keys"]
    assert status == "attention" and active in html and user_link(name) in html
    status, html = found["unused-access-keys"]
    assert status == "attention" and f"{active} never used since" in html
    assert inactive not in found["old-access-keys"][1] + found["unused-access-keys"][1]


def test_console_passwords_unused_for_90_days(fresh: ClockServer, auditor: str) -> None:
    idle, active = make_user(fresh.running), make_user(fresh.running)
    assert idle not in checks(view(fresh, auditor))["unused-passwords"][1]
    fresh.advance(days=91)
    sign_in(fresh, active)  # used today, 91 days after it was set
    status, html = checks(view(fresh, auditor))["unused-passwords"]
    assert status == "attention"
    assert user_link(idle) in html and "never used since" in html
    assert active not in html


def test_users_locked_until_an_administrator_unlocks_them(fresh: ClockServer, auditor: str) -> None:
    name = make_user(fresh.running)
    fail = Browser(fresh.base)
    for round_ in range(2):  # 5 failures, a 15-minute lock, 5 more: the hard limit of 10
        for _ in range(5):
            fail.get("/signin")
            fail.submit("/signin", account=fresh.running.account_id, user_name=name, password="x")
        fresh.advance(minutes=16 * (round_ + 1))
    status, html = checks(view(fresh, auditor))["locked-users"]
    assert status == "attention" and user_link(name) in html
    fresh.resync()
    unlock(fresh.running, name)
    assert name not in checks(view(fresh, auditor))["locked-users"][1]


# ---- store helpers: IAM's API cannot give root access keys (root signs in for that) ----


def _add_root_access_key(gh: ClockServer) -> str:
    from gatehold import ids
    from gatehold.store import access_keys
    from gatehold.store.db import Store
    from gatehold.store.records import AccessKey
    from gatehold.store.secretbox import SecretBox, load_or_create_key

    key_id = ids.new_access_key_id(gh.running.account_id)
    box = SecretBox(load_or_create_key(gh.running.data_dir, create=False))
    store = Store.open(gh.settings.store_url)
    try:
        with store.transaction() as db:
            access_keys.insert(
                db,
                AccessKey(
                    access_key_id=key_id,
                    account_id=gh.running.account_id,
                    user_id=None,
                    secret_sealed=box.seal(
                        ids.new_secret_access_key().encode(), access_keys.secret_aad(key_id)
                    ),
                    status="Active",
                    created_at=datetime.now(UTC),
                    last_used_at=None,
                    last_used_service=None,
                    last_used_region=None,
                ),
            )
    finally:
        store.dispose()
    return key_id


def _delete_access_key(gh: ClockServer, key_id: str) -> None:
    from gatehold.store import schema
    from gatehold.store.db import Store

    store = Store.open(gh.settings.store_url)
    try:
        with store.transaction() as db:
            t = schema.access_keys
            db.execute(t.delete().where(t.c.access_key_id == key_id))
    finally:
        store.dispose()
