"""The console in a real browser: Playwright driving Debian's Chromium, headless.

Every field is found by its visible label, as a screen reader would find it. The
console is opened as http://localhost:PORT (the origin WebAuthn will need). A
screenshot of each step goes to test-artifacts/console/ (git-ignored).
"""

from __future__ import annotations

from typing import Any

from tests.support.browser import sign_in
from tests.support.console import (
    INCORRECT,
    PASSWORD,
    add_mfa,
    allow_change_password,
    fresh_code,
    make_user,
    unlock,
)
from tests.support.servers import RunningServer


def test_password_signin(page: Any, shot: Any, server: RunningServer) -> None:
    name = make_user(server)
    sign_in(page, shot, server, name, PASSWORD)
    shot("after-password")
    assert page.url.endswith("/console")
    assert (
        page.locator("#principal-arn").inner_text()
        == f"arn:aws:iam::{server.account_id}:user/{name}"
    )
    shot("home")
    page.get_by_role("button", name="Sign out", exact=True).click()
    assert "/signin" in page.url
    shot("signed-out")


def test_totp_signin_and_replay_refused(page: Any, shot: Any, server: RunningServer) -> None:
    name = make_user(server)
    _, otp = add_mfa(server, name)
    code = fresh_code(otp)
    sign_in(page, shot, server, name, PASSWORD)
    assert page.url.endswith("/signin/mfa")
    page.get_by_label("MFA code").fill(code)
    shot("mfa-code")
    page.get_by_role("button", name="Submit").click()
    assert page.url.endswith("/console")
    shot("home")
    page.get_by_role("button", name="Sign out", exact=True).click()
    # The same code a second time: refused.
    sign_in(page, shot, server, name, PASSWORD)
    page.get_by_label("MFA code").fill(code)
    page.get_by_role("button", name="Submit").click()
    assert page.url.endswith("/signin/mfa")
    assert INCORRECT in page.get_by_role("alert").inner_text()
    shot("replay-refused")


def test_lockout_and_operator_unlock(page: Any, shot: Any, server: RunningServer) -> None:
    name = make_user(server)
    for _ in range(5):
        sign_in(page, shot, server, name, "wrong-password")
        assert INCORRECT in page.get_by_role("alert").inner_text()
    shot("fifth-failure")
    sign_in(page, shot, server, name, PASSWORD)
    assert "/signin" in page.url
    assert INCORRECT in page.get_by_role("alert").inner_text()
    shot("locked-right-password")
    unlock(server, name)
    sign_in(page, shot, server, name, PASSWORD)
    assert page.url.endswith("/console")
    shot("after-unlock")


def test_forced_password_change(page: Any, shot: Any, server: RunningServer) -> None:
    name = make_user(server, reset=True)
    allow_change_password(server, name)
    sign_in(page, shot, server, name, PASSWORD)
    assert page.url.endswith("/signin/new-password")
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("abc")
    page.get_by_label("Retype new password").fill("abc")
    page.get_by_role("button", name="Confirm password change").click()
    assert "at least 8 characters" in page.get_by_role("alert").inner_text()
    shot("policy-refused")
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("Br4nd-New-Passw0rd!")
    page.get_by_label("Retype new password").fill("Br4nd-New-Passw0rd!")
    shot("new-password")
    page.get_by_role("button", name="Confirm password change").click()
    assert page.url.endswith("/console")
    shot("home")
