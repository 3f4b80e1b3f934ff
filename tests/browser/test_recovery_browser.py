"""Root account recovery in a real browser: "Forgot password?" on the root sign-in page,
the link read from the outbox folder (the default when no SMTP server is set), a new
password, and a sign-in with it. Fields found by their labels; a screenshot per step
in test-artifacts/console/<test>/."""

from __future__ import annotations

import json
from typing import Any

from tests.support.browser import sign_in
from tests.support.clock_server import link_in, new_mail
from tests.support.console import PASSWORD, make_user
from tests.support.servers import ROOT_PASSWORD, RunningServer

ROOT_EMAIL = "root@example.com"
NEW_PASSWORD = "Br0wser-Recovered!"


def root_sign_in(page: Any, shot: Any, server: RunningServer, password: str) -> None:
    page.goto(f"http://localhost:{server.port}/signin?type=root")
    page.get_by_label("Root user email").fill(ROOT_EMAIL)
    page.get_by_label("Password", exact=True).fill(password)
    shot("root-signin-form")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_forgot_root_password_through_the_outbox(
    page: Any, shot: Any, server: RunningServer
) -> None:
    page.goto(f"http://localhost:{server.port}/signin?type=root")
    shot("root-signin")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Root user email").fill(ROOT_EMAIL)
    shot("forgot-form")
    page.get_by_role("button", name="Send reset link").click()
    assert "If the address belongs to a root user, we sent a link" in (
        page.get_by_role("status").inner_text()
    )
    shot("link-sent")

    link = link_in(new_mail(server.data_dir / "outbox", set()))
    assert link.startswith(f"http://localhost:{server.port}/signin/recover?token=")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill("Does-Not-Match-1!")
    page.get_by_role("button", name="Set new password").click()
    assert "do not match" in page.get_by_role("alert").inner_text()
    shot("mismatch-refused")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    shot("new-password")
    page.get_by_role("button", name="Set new password").click()
    assert "password was changed" in page.get_by_role("status").inner_text()
    shot("password-changed")

    page.get_by_role("link", name="Sign in as the root user").click()
    root_sign_in(page, shot, server, ROOT_PASSWORD)  # the old password no longer works
    assert page.url.endswith("/signin")
    shot("old-password-refused")
    root_sign_in(page, shot, server, NEW_PASSWORD)
    assert page.url.endswith("/console")
    assert page.locator("#principal-arn").inner_text() == f"arn:aws:iam::{server.account_id}:root"
    shot("signed-in")

    # The link works once.
    page.goto(link)
    assert "expired or has already been used" in page.get_by_role("alert").inner_text()
    shot("link-used-up")


def test_account_security_page(page: Any, shot: Any, server: RunningServer) -> None:
    """Not recovery, but its neighbour: the checks as a person sees them."""
    name = make_user(server)
    server.client("iam").put_user_policy(
        UserName=name,
        PolicyName="read-iam",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}
                ],
            }
        ),
    )
    sign_in(page, shot, server, name, PASSWORD)
    page.get_by_role("link", name="Account security").click()
    shot("security-page")
    root_mfa = page.locator("#check-root-mfa")
    assert "Needs attention" in root_mfa.inner_text()
    assert (
        root_mfa.get_by_role("link", name="Fix it").get_attribute("href") == "/console/credentials"
    )
    mine = page.locator("#check-users-without-mfa").get_by_role("link", name=name)
    assert mine.get_attribute("href") == f"/console/iam/users/{name}"
