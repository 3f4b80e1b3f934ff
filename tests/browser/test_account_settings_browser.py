"""The account settings page in Chromium: an administrator sets the password policy
and the account alias, fields found by their labels, a screenshot per step
(test-artifacts/console/<test>/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.aws import unique
from tests.support.browser import sign_in
from tests.support.console import PASSWORD, make_user
from tests.support.servers import RunningServer


def test_admin_sets_a_password_policy_and_an_alias(
    server: RunningServer, page: Any, shot: Callable[[str], None]
) -> None:
    iam = server.client("iam")
    admin = make_user(server)
    iam.attach_user_policy(UserName=admin, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    sign_in(page, shot, server, admin, PASSWORD)
    page.get_by_role("link", name="Account settings").click()
    assert "No password policy set" in page.locator("#password-policy").inner_text()
    shot("no-policy")

    page.get_by_label("Password minimum length").fill("12")
    page.get_by_label("Require at least one uppercase letter").check()
    page.get_by_label("Require at least one number").check()
    page.get_by_label("Allow users to change their own password").check()
    page.get_by_label("Turn on password expiration").check()
    page.get_by_label("Expire passwords in (days)").fill("90")
    shot("policy-form")
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("status").inner_text() == "The password policy was updated."
    shown = page.locator("#password-policy").inner_text()
    assert "Password minimum length: 12 characters" in shown
    assert "Password expires in 90 day(s)" in shown
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 12 and policy["MaxPasswordAge"] == 90
    assert policy["RequireUppercaseCharacters"] and not policy["RequireSymbols"]
    shot("policy-set")

    page.get_by_label("Password minimum length").fill("5")
    page.get_by_role("button", name="Save changes").click()
    assert "ValidationError" in page.get_by_role("alert").inner_text()
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 12
    shot("invalid-length-refused")

    alias = unique("acme")
    page.get_by_label("Preferred alias").fill(alias)
    shot("alias-form")
    page.get_by_role("button", name="Create alias").click()
    assert page.get_by_role("status").inner_text() == "The account alias was created."
    assert page.locator("#account-alias").inner_text() == alias
    shot("alias-created")
    # The sign-in URL shown leads an IAM user to the sign-in page with the alias filled
    # in (cookies cleared: a visitor who is not signed in).
    url = page.locator("#signin-url").get_attribute("href")
    user = make_user(server)
    try:
        page.context.clear_cookies()
        page.goto(url)
        page.wait_for_url("**/signin?account=*")
        assert page.get_by_label("Account ID or alias").input_value() == alias
        page.get_by_label("IAM user name").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        shot("signin-with-alias")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        shot("signed-in-with-alias")
    finally:
        iam.delete_account_alias(AccountAlias=alias)
        iam.delete_account_password_policy()
