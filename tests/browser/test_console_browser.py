"""The console in a real browser: Playwright driving Debian's Chromium, headless.

Every field is found by its visible label, as a screen reader would find it. The
console is opened as http://localhost:PORT (the origin WebAuthn will need). A
screenshot of each step goes to test-artifacts/console/ (git-ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
# Headless Chromium as root in a container: no sandbox (it needs user namespaces),
# and /tmp instead of a small /dev/shm.
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium (scripts/test.sh does)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()  # a fresh profile: no cookies from other tests
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], None]:
    """shot("step"): a full-page screenshot, numbered, in this test's artifact folder."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)  # only this run's steps
    folder.mkdir(parents=True)
    taken = iter(range(1, 100))

    def take(step: str) -> None:
        page.screenshot(path=str(folder / f"{next(taken):02d}-{step}.png"), full_page=True)

    return take


def console_url(server: RunningServer) -> str:
    return f"http://localhost:{server.port}/console?account={server.account_id}"


def sign_in(
    pg: Any, shot: Callable[[str], None], server: RunningServer, name: str, password: str
) -> None:
    pg.goto(console_url(server))
    # The account comes pre-filled from the console URL `gatehold init` prints.
    assert pg.get_by_label("Account ID or alias").input_value() == server.account_id
    pg.get_by_label("IAM user name").fill(name)
    pg.get_by_label("Password").fill(password)
    shot("signin-form")
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_load_state()


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
