"""Every call goes through the one enforcement point: root may do anything, the admin
what AdministratorAccess allows, a user with no policy nothing (but GetCallerIdentity)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.seed import add_root_key, add_user_with_key
from tests.support.servers import RunningServer


def test_root_key_is_the_root_identity(server: RunningServer) -> None:
    keys = add_root_key(server)
    ident = server.client("sts", keys=keys).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{server.account_id}:root"
    assert ident["UserId"] == server.account_id
    assert ident["Account"] == server.account_id
    root = server.client("iam", keys=keys).get_user()["User"]
    assert root["Arn"] == f"arn:aws:iam::{server.account_id}:root"
    assert root["UserId"] == server.account_id
    assert "UserName" not in root
    # Root may read any user.
    assert server.client("iam", keys=keys).get_user(UserName="admin")["User"]["UserName"] == "admin"


def test_user_without_policies_is_denied_with_awss_reason(server: RunningServer) -> None:
    keys = add_user_with_key(server, "nobody-allowed")
    iam = server.client("iam", keys=keys)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName="admin")
    err = exc.value.response["Error"]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Code"] == "AccessDenied"
    acct = server.account_id
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/nobody-allowed is not authorized to perform: "
        f"iam:GetUser on resource: arn:aws:iam::{acct}:user/admin "
        "because no identity-based policy allows the iam:GetUser action"
    )


def test_denied_user_learns_nothing_about_which_users_exist(server: RunningServer) -> None:
    keys = add_user_with_key(server, "curious")
    iam = server.client("iam", keys=keys)
    with pytest.raises(ClientError) as exists:
        iam.get_user(UserName="admin")
    with pytest.raises(ClientError) as missing:
        iam.get_user(UserName="no-such-user")
    assert (
        exists.value.response["Error"]["Code"]
        == missing.value.response["Error"]["Code"]
        == "AccessDenied"
    )


def test_get_caller_identity_needs_no_permission(server: RunningServer) -> None:
    keys = add_user_with_key(server, "just-me", path="/team/")
    ident = server.client("sts", keys=keys).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{server.account_id}:user/team/just-me"


def test_attached_administrator_access_allows(server: RunningServer) -> None:
    keys = add_user_with_key(
        server, "second-admin", ("arn:aws:iam::aws:policy/AdministratorAccess",)
    )
    assert server.client("iam", keys=keys).get_user(UserName="admin")["User"]["UserName"] == "admin"
