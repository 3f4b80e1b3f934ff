"""The console's account settings page (/console/iam/account-settings) over plain HTTP
against a real `gatehold serve`: the account password policy and the account alias,
changed through the page and checked through the IAM API (boto3) and by signing in.

The policy and the alias are account-wide and this module shares one server, so
each test leaves the account without a custom policy and without an alias."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.aws import unique
from tests.support.console import PASSWORD, allow_change_password, make_user
from tests.support.console_http import Browser, Page, sign_in
from tests.support.servers import RunningServer

PAGE = "/console/iam/account-settings"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"

Opener = Callable[[], Browser]


@pytest.fixture(scope="module")
def browser_for(server: RunningServer) -> Opener:
    return lambda: Browser(f"http://127.0.0.1:{server.port}")


@pytest.fixture(scope="module")
def admin(server: RunningServer) -> str:
    name = make_user(server)
    server.client("iam").attach_user_policy(UserName=name, PolicyArn=ADMIN)
    return name


@pytest.fixture(autouse=True)
def clean_account(server: RunningServer) -> Iterator[None]:
    """No custom policy and no alias before and after each test."""

    def clean() -> None:
        iam = server.client("iam")
        with contextlib.suppress(ClientError):
            iam.delete_account_password_policy()
        for alias in iam.list_account_aliases()["AccountAliases"]:
            iam.delete_account_alias(AccountAlias=alias)

    clean()
    yield
    clean()


def signed_in(server: RunningServer, browser_for: Opener, name: str) -> Browser:
    b = browser_for()
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/console"
    return b


def post(b: Browser, action: str, **values: str) -> Page:
    """Open the settings page, then post one of its forms with the page's CSRF token."""
    page = b.get(PAGE)
    assert page.status == 200, page.body
    return b.post(action, {"csrf_token": page.fields().inputs["csrf_token"], **values})


def current_policy(server: RunningServer) -> dict[str, Any] | None:
    try:
        policy: dict[str, Any] = server.client("iam").get_account_password_policy()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchEntity"
        return None
    settings: dict[str, Any] = policy["PasswordPolicy"]
    return settings


def api_error_unvalidated(server: RunningServer, call: Callable[[Any], Any]) -> str:
    """The API's own answer to a call botocore would refuse client-side."""
    key, secret = server.admin_keys
    iam = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as exc:
        call(iam)
    err = exc.value.response["Error"]
    return f"{err['Message']} ({err['Code']})"


def test_a_policy_set_on_the_page_rules_the_forced_password_change(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    page = b.get(PAGE)
    assert "No password policy set" in page.body
    assert 'href="/console/iam/account-settings"' in page.body  # the console's navigation
    page = post(
        b,
        PAGE + "/password-policy",
        minimum_length="14",
        require_uppercase="on",
        require_numbers="on",
        require_symbols="on",
        allow_change="on",
        expire="on",
        max_password_age="90",
        hard_expiry="on",
        prevent_reuse="on",
        reuse_prevention="5",
    )
    assert page.path == PAGE and page.status == 200
    assert "The password policy was updated." in page.body
    assert "Password minimum length: 14 characters" in page.body
    assert current_policy(server) == {
        "MinimumPasswordLength": 14,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 5,
        "HardExpiry": True,
    }
    # The edit form shows the policy as it now is.
    fields = page.fields().inputs
    assert fields["minimum_length"] == "14" and fields["reuse_prevention"] == "5"

    # A user who must change the password is held to it, told which rule failed.
    name = make_user(server, reset=True)
    allow_change_password(server, name)
    user = browser_for()
    assert sign_in(user, server.account_id, name, PASSWORD).path == "/signin/new-password"
    short = "Sh0rt-Pass!"  # 11 characters: long enough for AWS's default, not for 14
    page = user.submit(
        "/signin/new-password",
        old_password=PASSWORD,
        new_password=short,
        retype_password=short,
    )
    assert page.path == "/signin/new-password"
    assert "at least 14 characters" in page.body
    no_symbol = "L0ngEnoughPassword"
    page = user.submit(
        "/signin/new-password",
        old_password=PASSWORD,
        new_password=no_symbol,
        retype_password=no_symbol,
    )
    assert page.path == "/signin/new-password" and "at least one symbol" in page.body
    good = "L0ng-Enough-Passw0rd!"
    page = user.submit(
        "/signin/new-password", old_password=PASSWORD, new_password=good, retype_password=good
    )
    assert page.path == "/console", page.body

    # Deleting the policy brings the default back.
    page = post(b, PAGE + "/password-policy/delete")
    assert page.path == PAGE and "The custom password policy was deleted" in page.body
    assert "No password policy set" in page.body
    assert current_policy(server) is None


def test_an_invalid_length_shows_aws_validation_error_and_changes_nothing(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    iam = server.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=10, RequireNumbers=True)
    before = current_policy(server)
    b = signed_in(server, browser_for, admin)
    expected = api_error_unvalidated(
        server, lambda c: c.update_account_password_policy(MinimumPasswordLength=5)
    )
    assert expected.endswith("(ValidationError)") and "minimumPasswordLength" in expected
    page = post(b, PAGE + "/password-policy", minimum_length="5", require_symbols="on")
    assert page.status == 400
    assert expected in page.body.replace("&#39;", "'")
    # The form keeps what was typed; the policy is as it was.
    assert page.fields().inputs["minimum_length"] == "5"
    assert "Password minimum length: 10 characters" in page.body
    assert current_policy(server) == before

    page = post(b, PAGE + "/password-policy", minimum_length="ten")
    assert page.status == 400 and "Password minimum length must be a whole number." in page.body
    page = post(b, PAGE + "/password-policy", expire="on", max_password_age="0")
    assert page.status == 400 and "maxPasswordAge" in page.body
    assert current_policy(server) == before


def test_read_only_sees_the_policy_and_is_refused_a_change(
    server: RunningServer, browser_for: Opener
) -> None:
    iam = server.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True)
    before = current_policy(server)
    reader = make_user(server)
    iam.attach_user_policy(UserName=reader, PolicyArn=READ_ONLY)
    b = signed_in(server, browser_for, reader)
    page = b.get(PAGE)
    assert page.status == 200
    assert "Password minimum length: 12 characters" in page.body
    page = post(b, PAGE + "/password-policy", minimum_length="6")
    assert page.status == 403
    expected = (
        f"User: arn:aws:iam::{server.account_id}:user/{reader} is not authorized to perform: "
        "iam:UpdateAccountPasswordPolicy"
    )
    assert expected in page.body and "(AccessDenied)" in page.body
    page = post(b, PAGE + "/password-policy/delete")
    assert page.status == 403 and "iam:DeleteAccountPasswordPolicy" in page.body
    page = post(b, PAGE + "/alias", account_alias=unique("nope"))
    assert page.status == 403 and "iam:CreateAccountAlias" in page.body
    assert current_policy(server) == before
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_alias_created_on_the_page_signs_users_in_then_is_deleted(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    alias = unique("acme")
    page = post(b, PAGE + "/alias", account_alias=alias)
    assert page.path == PAGE and "The account alias was created." in page.body
    assert server.client("iam").list_account_aliases()["AccountAliases"] == [alias]
    # The URL `gatehold init` prints (tests/support/browser.py), with the alias.
    signin_url = f"http://localhost:{server.port}/console?account={alias}"
    assert f'id="signin-url" href="{signin_url}"' in page.body

    # The sign-in URL shown pre-fills the alias; a user signs in with it.
    user = make_user(server)
    other = browser_for()
    prefilled = other.get(f"/console?account={alias}")
    assert prefilled.fields().inputs["account"] == alias
    assert sign_in(other, alias, user, PASSWORD).path == "/console"

    # Deleting an alias the account does not have: AWS's error, nothing changes.
    page = post(b, PAGE + "/alias/delete", account_alias="not-" + alias)
    assert page.status == 404 and "(NoSuchEntity)" in page.body
    assert server.client("iam").list_account_aliases()["AccountAliases"] == [alias]

    page = post(b, PAGE + "/alias/delete", account_alias=alias)
    assert page.path == PAGE and "The account alias was deleted." in page.body
    assert server.client("iam").list_account_aliases()["AccountAliases"] == []
    assert f"/console?account={server.account_id}" in page.body
    # The alias no longer signs anyone in.
    assert sign_in(browser_for(), alias, user, PASSWORD).path == "/signin"


def test_an_invalid_alias_shows_aws_validation_error(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    page = post(b, PAGE + "/alias", account_alias="Not_Valid")
    assert page.status == 400 and "(ValidationError)" in page.body
    assert "accountAlias" in page.body
    assert page.fields().inputs["account_alias"] == "Not_Valid"
    assert server.client("iam").list_account_aliases()["AccountAliases"] == []
