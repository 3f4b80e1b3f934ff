"""Console passwords through boto3: login profiles, the account password policy
and ChangePassword, with AWS's errors for each broken rule."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.seed import add_root_key, add_user_with_key
from tests.support.servers import RunningServer
from tests.support.snapshot import snapshot

GOOD = "Str0ng-Passw0rd!"
VIOLATION = (
    "PasswordPolicyViolation",
    "Password does not conform to the account password policy.",
    400,
)


@pytest.fixture
def no_policy(iam: Any) -> Iterator[None]:
    """Each test starts and ends without a custom password policy."""
    with contextlib.suppress(ClientError):
        iam.delete_account_password_policy()
    yield
    with contextlib.suppress(ClientError):
        iam.delete_account_password_policy()


def test_create_get_update_delete_login_profile(iam: Any, no_policy: None) -> None:
    name = unique("ann")
    iam.create_user(UserName=name)
    profile = iam.create_login_profile(UserName=name, Password=GOOD, PasswordResetRequired=True)[
        "LoginProfile"
    ]
    assert profile["UserName"] == name and profile["PasswordResetRequired"] is True
    assert "Password" not in profile
    got = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert got["UserName"] == name and got["CreateDate"] == profile["CreateDate"]
    iam.update_login_profile(
        UserName=name, PasswordResetRequired=False, MaxSigninSessionDuration=7200
    )
    got = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert got["PasswordResetRequired"] is False and got["MaxSigninSessionDuration"] == 7200
    iam.update_login_profile(UserName=name, ResetMaxSigninSessionDuration=True)
    assert "MaxSigninSessionDuration" not in iam.get_login_profile(UserName=name)["LoginProfile"]
    iam.delete_login_profile(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_login_profile(UserName=name)
    assert error_of(exc) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)


def test_a_second_login_profile_is_refused(iam: Any, no_policy: None) -> None:
    name = unique("ben")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=GOOD)
    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName=name, Password=GOOD)
    assert error_of(exc)[0::2] == ("EntityAlreadyExists", 409)


def test_awss_default_policy_applies_without_a_custom_one(
    server: RunningServer, iam: Any, no_policy: None
) -> None:
    name = unique("cat")
    iam.create_user(UserName=name)
    before = snapshot(server)
    for weak in ("Sh0rt!", "alllowercase1", "root@example.com"):
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName=name, Password=weak)
        assert error_of(exc) == VIOLATION
    assert snapshot(server) == before


def test_password_policy_round_trip_and_defaults(
    server: RunningServer, iam: Any, no_policy: None
) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_account_password_policy()
    assert error_of(exc) == (
        "NoSuchEntity",
        f"The Password Policy with domain name {server.account_id} cannot be found.",
        404,
    )
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6,
        "RequireSymbols": False,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
    }
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireSymbols=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=3,
        HardExpiry=False,
    )
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["RequireSymbols"] is True
    assert policy["ExpirePasswords"] is True and policy["MaxPasswordAge"] == 90
    assert policy["PasswordReusePrevention"] == 3 and policy["HardExpiry"] is False
    # An update replaces the whole policy: what it leaves out returns to its default.
    iam.update_account_password_policy(RequireNumbers=True)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 6 and policy["RequireSymbols"] is False
    assert "MaxPasswordAge" not in policy
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        iam.delete_account_password_policy()
    assert error_of(exc)[0::2] == ("NoSuchEntity", 404)


def test_custom_policy_is_enforced_on_create_and_update(iam: Any, no_policy: None) -> None:
    iam.update_account_password_policy(
        MinimumPasswordLength=10, RequireUppercaseCharacters=True, RequireNumbers=True
    )
    name = unique("dan")
    iam.create_user(UserName=name)
    for weak in ("nouppercase123", "NoNumbersHere", "Sh0rt"):
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName=name, Password=weak)
        assert error_of(exc) == VIOLATION
    iam.create_login_profile(UserName=name, Password="Upper1234567")
    with pytest.raises(ClientError) as exc:
        iam.update_login_profile(UserName=name, Password="weak")
    assert error_of(exc) == VIOLATION
    iam.update_login_profile(UserName=name, Password="Another12345")


def _user_with_password(server: RunningServer, iam: Any, password: str) -> tuple[str, Any]:
    name = unique("self")
    keys = add_user_with_key(server, name)
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=True)
    return name, server.client("iam", keys=keys)


def test_change_password_needs_permission_unless_the_policy_allows_it(
    server: RunningServer, iam: Any, no_policy: None
) -> None:
    name, me = _user_with_password(server, iam, GOOD)
    with pytest.raises(ClientError) as exc:
        me.change_password(OldPassword=GOOD, NewPassword="N3w-Passw0rd!")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    me.change_password(OldPassword=GOOD, NewPassword="N3w-Passw0rd!")
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False


def test_change_password_verifies_the_old_one_and_the_policy(
    server: RunningServer, iam: Any, no_policy: None
) -> None:
    iam.update_account_password_policy(AllowUsersToChangePassword=True, MinimumPasswordLength=12)
    _, me = _user_with_password(server, iam, "Initial-Passw0rd")
    before = snapshot(server)
    with pytest.raises(ClientError) as exc:
        me.change_password(OldPassword="wrong-password", NewPassword="Brand-New-Passw0rd")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        me.change_password(OldPassword="Initial-Passw0rd", NewPassword="short")
    assert error_of(exc) == VIOLATION
    assert snapshot(server) == before


def test_change_password_refuses_remembered_passwords(
    server: RunningServer, iam: Any, no_policy: None
) -> None:
    iam.update_account_password_policy(AllowUsersToChangePassword=True, PasswordReusePrevention=2)
    first, second, third = "First-Passw0rd", "Second-Passw0rd", "Third-Passw0rd"
    _, me = _user_with_password(server, iam, first)
    me.change_password(OldPassword=first, NewPassword=second)
    for reused in (second, first):
        with pytest.raises(ClientError) as exc:
            me.change_password(OldPassword=second, NewPassword=reused)
        assert error_of(exc) == (
            "PasswordPolicyViolation",
            "Policy constraint violation with password reuse prevention during password change.",
            400,
        )
    me.change_password(OldPassword=second, NewPassword=third)
    # Only the last two are remembered: the first may come back now.
    me.change_password(OldPassword=third, NewPassword=first)


def test_root_cannot_change_password_through_iam(server: RunningServer, no_policy: None) -> None:
    root = server.client("iam", keys=add_root_key(server))
    with pytest.raises(ClientError) as exc:
        root.change_password(OldPassword="x", NewPassword="y")
    assert error_of(exc)[0::2] == ("InvalidUserType", 400)


def test_a_user_without_permission_is_denied(
    server: RunningServer, iam: Any, no_policy: None
) -> None:
    target = unique("target")
    iam.create_user(UserName=target)
    outsider = server.client("iam", keys=add_user_with_key(server, unique("outsider")))
    before = snapshot(server)
    call: Callable[[], object]
    for call in (
        lambda: outsider.create_login_profile(UserName=target, Password=GOOD),
        lambda: outsider.get_login_profile(UserName=target),
        lambda: outsider.get_login_profile(UserName="nobody-at-all"),
        lambda: outsider.update_account_password_policy(MinimumPasswordLength=20),
        lambda: outsider.get_account_password_policy(),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "AccessDenied"
    assert snapshot(server) == before
