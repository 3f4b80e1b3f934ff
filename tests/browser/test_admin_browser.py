"""The administration pages and switch role in Chromium, fields found by their labels,
a screenshot per step (test-artifacts/console/<test>/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.aws import unique
from tests.support.browser import console_url, sign_in
from tests.support.console import INCORRECT, PASSWORD, make_user
from tests.support.console_http import Browser
from tests.support.console_http import sign_in as http_sign_in
from tests.support.servers import RunningServer

BAD_JSON = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*"'
GOOD_JSON = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}],
    },
    indent=2,
)


@pytest.fixture(scope="module")
def admin(server: RunningServer) -> str:
    name = make_user(server)
    server.client("iam").attach_user_policy(
        UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    return name


def test_admin_creates_a_user_who_must_change_the_password(
    server: RunningServer, page: Any, shot: Callable[[str], None], chromium: Any, admin: str
) -> None:
    sign_in(page, shot, server, admin, PASSWORD)
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Create user").click()
    name = unique("alice")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Custom password").check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Require password reset at next sign-in").check()
    shot("create-user-form")
    page.get_by_role("button", name="Create user").click()
    assert page.get_by_role("status").first.inner_text() == "The user was created."
    assert "password reset required" in page.locator("#console-access").inner_text()
    shot("user-created")
    # The new user, in another browser profile, must change the password.
    other = chromium.new_context().new_page()
    try:
        other.goto(console_url(server))
        other.get_by_label("IAM user name").fill(name)
        other.get_by_label("Password").fill(PASSWORD)
        other.get_by_role("button", name="Sign in").click()
        other.wait_for_url("**/signin/new-password")
    finally:
        other.context.close()


def test_admin_edits_a_policy_with_a_json_error_then_fixes_it(
    server: RunningServer, page: Any, shot: Callable[[str], None], admin: str
) -> None:
    sign_in(page, shot, server, admin, PASSWORD)
    page.get_by_role("link", name="Policies").click()
    page.get_by_role("link", name="Create policy").click()
    name = unique("readers")
    page.get_by_label("Policy name").fill(name)
    page.get_by_label("Policy document").fill(GOOD_JSON)
    page.get_by_role("button", name="Create policy").click()
    assert page.get_by_role("status").first.inner_text() == "The policy was created."
    shot("policy-created")
    page.get_by_label("Policy document").fill(BAD_JSON)
    page.get_by_role("button", name="Save changes").click()
    alert = page.get_by_role("alert").inner_text()
    assert "MalformedPolicyDocument" in alert
    # The bad text stays in the editor to be fixed; nothing was saved.
    assert page.get_by_label("Policy document").input_value() == BAD_JSON
    shot("json-error-shown")
    arn = f"arn:aws:iam::{server.account_id}:policy/{name}"
    assert len(server.client("iam").list_policy_versions(PolicyArn=arn)["Versions"]) == 1
    page.get_by_label("Policy document").fill(GOOD_JSON.replace("iam:Get*", "iam:List*"))
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("status").first.inner_text() == (
        "A new version of the policy was saved."
    )
    assert page.locator("#default-version").inner_text() == "v2"
    shot("fixed-and-saved")


def test_admin_unlocks_a_locked_user(
    server: RunningServer, page: Any, shot: Callable[[str], None], chromium: Any, admin: str
) -> None:
    victim = make_user(server)
    base = f"http://127.0.0.1:{server.port}"
    for _ in range(5):
        http_sign_in(Browser(base), server.account_id, victim, "wrong")
    assert INCORRECT in http_sign_in(Browser(base), server.account_id, victim, PASSWORD).body
    sign_in(page, shot, server, admin, PASSWORD)
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name=victim).click()
    assert "Locked out of the console" in page.locator("#lockout").inner_text()
    shot("user-locked")
    page.get_by_role("button", name=f"Unlock {victim}").click()
    assert page.get_by_role("status").first.inner_text().startswith("The user was unlocked")
    shot("user-unlocked")
    other = chromium.new_context().new_page()
    try:
        sign_in(other, lambda step: None, server, victim, PASSWORD)
        other.wait_for_url("**/console")
    finally:
        other.context.close()


def test_switch_to_a_role_and_back(
    server: RunningServer, page: Any, shot: Callable[[str], None], admin: str
) -> None:
    iam = server.client("iam")
    role = unique("auditor")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:user/{admin}"},
            }
        ],
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    sign_in(page, shot, server, admin, PASSWORD)
    page.get_by_role("link", name="Switch role").click()
    page.get_by_label("Account").fill(server.account_id)
    page.get_by_label("Role", exact=True).fill(role)
    page.get_by_label("Display name").fill("Auditor")
    shot("switch-role-form")
    page.get_by_role("button", name="Switch role").click()
    page.wait_for_url("**/console")
    assert page.locator("#role-indicator").inner_text() == f"Role: Auditor @ {server.account_id}"
    shot("acting-as-role")
    # As the role: creating a user is refused with AWS's text.
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Create user").click()
    page.get_by_label("User name").fill(unique("nope"))
    page.get_by_role("button", name="Create user").click()
    assert (
        f"assumed-role/{role}/{admin} is not authorized" in page.get_by_role("alert").inner_text()
    )
    shot("refused-as-role")
    page.get_by_role("button", name=f"Back to {admin}").click()
    page.wait_for_url("**/console")
    assert page.locator("#role-indicator").count() == 0
    shot("back-to-user")
