"""Console sign-in over plain HTTP against a real `gatehold serve`: forms with CSRF,
cookies, redirects followed, as a browser without JavaScript would do it.

Users, login profiles and MFA devices are made through the IAM API (boto3)."""

from __future__ import annotations

import http.cookiejar
import time
from typing import Any

import pytest

from tests.support.aws import unique
from tests.support.console import (
    INCORRECT,
    PASSWORD,
    add_mfa,
    add_root_mfa,
    allow_change_password,
    fresh_code,
    make_user,
    remove_mfa,
    unlock,
)
from tests.support.console_http import Browser, sign_in
from tests.support.servers import ROOT_PASSWORD, RunningServer


@pytest.fixture(scope="module")
def browser_for(server: RunningServer) -> Any:
    return lambda: Browser(f"http://127.0.0.1:{server.port}")


def test_unauthenticated_console_leads_to_signin_with_the_account_prefilled(
    server: RunningServer, browser_for: Any
) -> None:
    b = browser_for()
    page = b.get(f"/console?account={server.account_id}")
    assert page.path == "/signin"
    f = page.fields()
    assert {"Account ID or alias", "IAM user name", "Password"} <= set(f.labels)
    assert f.inputs["account"] == server.account_id
    root = b.get("/signin?type=root").fields()
    assert {"Root user email", "Password"} <= set(root.labels)


def test_password_signin_shows_the_principal_and_sign_out_revokes(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    b = browser_for()
    page = sign_in(b, server.account_id, name, PASSWORD)
    assert page.path == "/console"
    assert f"arn:aws:iam::{server.account_id}:user/{name}" in page.body
    session = b.cookie("gatehold_session")
    assert session is not None and session.has_nonstandard_attr("HttpOnly")
    # PasswordLastUsed is recorded, as AWS does for console sign-ins.
    assert "PasswordLastUsed" in server.client("iam").get_user(UserName=name)["User"]
    stolen = session.value
    page = b.submit("/console/signout", everywhere="")
    assert page.path == "/signin"
    # The old token no longer works: the session is gone on the server.
    other = browser_for()
    other.jar.set_cookie(_cookie("gatehold_session", stolen))
    assert other.get("/console").path == "/signin"


def test_removing_console_access_ends_the_users_sessions(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    b = browser_for()
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/console"
    server.client("iam").delete_login_profile(UserName=name)
    assert b.get("/console").path == "/signin"


def test_sign_out_everywhere_revokes_the_other_sessions(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    laptop, phone = browser_for(), browser_for()
    assert sign_in(laptop, server.account_id, name, PASSWORD).path == "/console"
    assert sign_in(phone, server.account_id, name, PASSWORD).path == "/console"
    laptop.submit("/console/signout", everywhere="1")
    assert phone.get("/console").path == "/signin"


def test_unknown_user_wrong_password_and_unknown_account_look_the_same(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    for account, user in [
        (server.account_id, name),
        (server.account_id, unique("nobody")),
        ("999999999999", name),
    ]:
        b = browser_for()
        page = sign_in(b, account, user, "wrong-password")
        assert (page.status, page.path) == (200, "/signin")
        assert INCORRECT in page.body
        assert b.cookie("gatehold_session") is None


def test_unknown_user_takes_as_long_as_a_wrong_password(
    server: RunningServer, browser_for: Any
) -> None:
    """The password is hashed either way (against a dummy hash for nobody), so the
    time does not tell which user names exist. Medians, with a wide margin: without
    the dummy hash an unknown user answers about 8 times faster."""
    name = make_user(server)

    def median_time(user: str) -> float:
        times = []
        for _ in range(7):
            b = browser_for()
            b.get("/signin")
            start = time.perf_counter()
            b.submit(
                "/signin", account=server.account_id, user_name=user, password="wrong-password"
            )
            times.append(time.perf_counter() - start)
        return sorted(times)[3]

    known, unknown = median_time(name), median_time(unique("nobody"))
    assert 1 / 3 < known / unknown < 3, (known, unknown)
    unlock(server, name)


def test_root_signin(server: RunningServer, browser_for: Any) -> None:
    b = browser_for()
    b.get("/signin?type=root")
    page = b.submit("/signin", root_email="root@example.com", password=ROOT_PASSWORD)
    assert page.path == "/console"
    assert f"arn:aws:iam::{server.account_id}:root" in page.body


def test_signin_with_the_account_alias(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    alias = unique("acme")
    server.client("iam").create_account_alias(AccountAlias=alias)
    b = browser_for()
    assert b.get(f"/console?account={alias}").fields().inputs["account"] == alias
    assert sign_in(b, alias, name, PASSWORD).path == "/console"


def test_root_signin_with_mfa(server: RunningServer, browser_for: Any) -> None:
    serial, otp = add_root_mfa(server)
    try:
        b = browser_for()
        b.get("/signin?type=root")
        page = b.submit("/signin", root_email="root@example.com", password=ROOT_PASSWORD)
        assert page.path == "/signin/mfa"
        page = b.submit("/signin/mfa", mfa_code=fresh_code(otp))
        assert page.path == "/console"
        assert f"arn:aws:iam::{server.account_id}:root" in page.body
    finally:
        remove_mfa(server, serial)


def test_post_without_csrf_token_is_refused(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    b = browser_for()
    b.get("/signin")
    page = b.post(
        "/signin", {"account": server.account_id, "user_name": name, "password": PASSWORD}
    )
    assert page.status == 403
    assert b.cookie("gatehold_session") is None


def test_security_headers_on_console_pages(server: RunningServer, browser_for: Any) -> None:
    page = browser_for().get("/signin")
    h = page.headers
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY"
    assert h["Cache-Control"] == "no-store"
    assert h["Referrer-Policy"]


def test_totp_signin_and_a_code_is_accepted_once(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    _, otp = add_mfa(server, name)
    code = fresh_code(otp)
    b = browser_for()
    page = sign_in(b, server.account_id, name, PASSWORD)
    assert page.path == "/signin/mfa"
    assert "MFA code" in page.fields().labels
    page = b.submit("/signin/mfa", mfa_code=code)
    assert page.path == "/console", page.body
    # The same code again, in a new sign-in: refused.
    b2 = browser_for()
    sign_in(b2, server.account_id, name, PASSWORD)
    page = b2.submit("/signin/mfa", mfa_code=code)
    assert page.path == "/signin/mfa"
    assert INCORRECT in page.body


def test_user_with_two_devices_picks_one(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server)
    add_mfa(server, name, unique("first"))
    serial2, otp2 = add_mfa(server, name, unique("second"))
    b = browser_for()
    page = sign_in(b, server.account_id, name, PASSWORD)
    assert page.body.count('type="radio"') == 2
    page = b.submit("/signin/mfa", serial_number=serial2, mfa_code=fresh_code(otp2))
    assert page.path == "/console"


def test_forced_password_change(server: RunningServer, browser_for: Any) -> None:
    name = make_user(server, reset=True)
    allow_change_password(server, name)
    b = browser_for()
    page = sign_in(b, server.account_id, name, PASSWORD)
    assert page.path == "/signin/new-password"
    assert {"Old password", "New password", "Retype new password"} <= set(page.fields().labels)
    # The console is not reachable before the change.
    assert b.get("/console").path == "/signin/new-password"
    page = b.submit(
        "/signin/new-password", old_password=PASSWORD, new_password="short", retype_password="short"
    )
    assert "at least 8 characters" in page.body
    page = b.submit(
        "/signin/new-password",
        old_password=PASSWORD,
        new_password="N3w-Passw0rd!",
        retype_password="other",
    )
    assert "do not match" in page.body
    page = b.submit(
        "/signin/new-password",
        old_password=PASSWORD,
        new_password="N3w-Passw0rd!",
        retype_password="N3w-Passw0rd!",
    )
    assert page.path == "/console", page.body
    # The new password works; the old one does not.
    assert sign_in(browser_for(), server.account_id, name, "N3w-Passw0rd!").path == "/console"
    assert INCORRECT in sign_in(browser_for(), server.account_id, name, PASSWORD).body


def test_lockout_after_five_failures_and_operator_unlock(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    for _ in range(5):
        assert INCORRECT in sign_in(browser_for(), server.account_id, name, "wrong").body
    # Locked: even the right password gets the same answer.
    page = sign_in(browser_for(), server.account_id, name, PASSWORD)
    assert page.path == "/signin" and INCORRECT in page.body
    unlock(server, name)
    assert sign_in(browser_for(), server.account_id, name, PASSWORD).path == "/console"


def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0,
        name,
        value,
        None,
        False,
        "127.0.0.1",
        False,
        False,
        "/",
        True,
        False,
        None,
        False,
        None,
        None,
        {},
    )
