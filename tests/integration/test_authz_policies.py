"""Enforcement with every policy a user has: inline, customer and AWS managed, through
groups, limited by a permissions boundary; AccessDenied in AWS's words for each case.

iam:GetUser on another user is the probe: it is authorized on that user's ARN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.policy_seed import Seeder, allow, deny, seeding
from tests.support.servers import RunningServer

ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def new_user(
    server: RunningServer,
    name: str,
    setup: Callable[[Seeder, str], Any] = lambda s, u: None,
    **kw: Any,
) -> Any:
    """A user with an access key, set up by `setup`; a boto3 IAM client as that user."""
    with seeding(server) as s:
        user_id, _ = s.user(name, **kw)
        keys = s.key(user_id)
        setup(s, user_id)
    return server.client("iam", keys=keys)


def denial(server: RunningServer, iam: Any, target: str = "admin") -> str:
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=target)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    message: str = exc.value.response["Error"]["Message"]
    return message


def prefix(server: RunningServer, caller: str, target: str = "admin") -> str:
    acct = server.account_id
    return (
        f"User: arn:aws:iam::{acct}:user/{caller} is not authorized to perform: iam:GetUser "
        f"on resource: arn:aws:iam::{acct}:user/{target} "
    )


def test_customer_managed_policy_scoped_to_a_resource(server: RunningServer) -> None:
    def setup(s: Seeder, user_id: str) -> None:
        s.attach(
            "user",
            user_id,
            s.policy("ReadAdminOnly", allow("iam:GetUser", f"arn:aws:iam::{s.account}:user/admin")),
        )

    iam = new_user(server, "pol-scoped", setup)
    assert iam.get_user(UserName="admin")["User"]["UserName"] == "admin"
    assert denial(server, iam, "pol-scoped") == prefix(server, "pol-scoped", "pol-scoped") + (
        "because no identity-based policy allows the iam:GetUser action"
    )


def test_policy_variables_resolve_to_the_caller(server: RunningServer) -> None:
    def setup(s: Seeder, user_id: str) -> None:
        s.inline(
            "user",
            user_id,
            "Self",
            allow("iam:GetUser", f"arn:aws:iam::{s.account}:user/${{aws:username}}"),
        )

    iam = new_user(server, "pol-self", setup)
    assert iam.get_user(UserName="pol-self")["User"]["UserName"] == "pol-self"
    assert "because no identity-based policy allows" in denial(server, iam)


def test_group_policies_apply_to_members(server: RunningServer) -> None:
    def setup(s: Seeder, user_id: str) -> None:
        group_id, _ = s.group("pol-readers")
        s.member(group_id, user_id)
        s.inline("group", group_id, "Read", allow("iam:Get*"))

    assert (
        new_user(server, "pol-member", setup).get_user(UserName="admin")["User"]["UserName"]
        == "admin"
    )


def test_an_inline_deny_beats_administrator_access(server: RunningServer) -> None:
    def setup(s: Seeder, user_id: str) -> None:
        s.attach("user", user_id, ADMIN_ACCESS)
        s.inline("user", user_id, "NoGetUser", deny("iam:GetUser"))

    iam = new_user(server, "pol-denied", setup)
    assert denial(server, iam) == prefix(server, "pol-denied") + (
        "with an explicit deny in an identity-based policy"
    )


def test_a_group_deny_applies_too(server: RunningServer) -> None:
    def setup(s: Seeder, user_id: str) -> None:
        s.attach("user", user_id, ADMIN_ACCESS)
        group_id, _ = s.group("pol-restricted")
        s.member(group_id, user_id)
        s.attach(
            "group",
            group_id,
            s.policy(
                "DenyReadingAdmin", deny("iam:GetUser", f"arn:aws:iam::{s.account}:user/admin")
            ),
        )

    iam = new_user(server, "pol-grouped", setup)
    assert "with an explicit deny in an identity-based policy" in denial(server, iam)
    assert iam.get_user(UserName="pol-grouped")["User"]["UserName"] == "pol-grouped"


def test_a_permissions_boundary_limits_administrator_access(server: RunningServer) -> None:
    def setup(s: Seeder, user_id: str) -> None:
        s.attach("user", user_id, ADMIN_ACCESS)
        s.set_user_boundary(user_id, s.policy("OnlyS3", allow("s3:*")))

    iam = new_user(server, "pol-bounded", setup)
    assert denial(server, iam) == prefix(server, "pol-bounded") + (
        "because no permissions boundary allows the iam:GetUser action"
    )


def test_a_boundary_naming_a_missing_policy_still_bounds(server: RunningServer) -> None:
    def setup(s: Seeder, user_id: str) -> None:
        s.attach("user", user_id, ADMIN_ACCESS)

    iam = new_user(
        server,
        "pol-lost-boundary",
        setup,
        boundary_arn=f"arn:aws:iam::{server.account_id}:policy/Deleted",
    )
    assert "because no permissions boundary allows" in denial(server, iam)


def test_a_new_default_version_is_enforced_on_the_next_request(server: RunningServer) -> None:
    arn: dict[str, str] = {}

    def setup(s: Seeder, user_id: str) -> None:
        arn["policy"] = s.policy("Versioned", allow("iam:GetUser"))
        s.attach("user", user_id, arn["policy"])

    iam = new_user(server, "pol-versioned", setup)
    assert iam.get_user(UserName="admin")["User"]["UserName"] == "admin"
    with seeding(server) as s:
        s.set_default_version(arn["policy"], "v2", allow("iam:ListUsers"))
    assert "because no identity-based policy allows" in denial(server, iam)


def test_detaching_and_removing_are_enforced_on_the_next_request(server: RunningServer) -> None:
    ids: dict[str, str] = {}

    def setup(s: Seeder, user_id: str) -> None:
        ids["user"] = user_id
        s.attach("user", user_id, ADMIN_ACCESS)

    iam = new_user(server, "pol-changing", setup)
    assert iam.get_user(UserName="admin")["User"]["UserName"] == "admin"
    with seeding(server) as s:
        s.inline("user", ids["user"], "Stop", deny("*"))
    assert "explicit deny" in denial(server, iam)
    with seeding(server) as s:
        s.remove_inline("user", ids["user"], "Stop")
    assert iam.get_user(UserName="admin")["User"]["UserName"] == "admin"
    with seeding(server) as s:
        s.detach("user", ids["user"], ADMIN_ACCESS)
    assert "because no identity-based policy allows" in denial(server, iam)


def test_principal_tags_are_condition_keys_and_policy_variables(server: RunningServer) -> None:
    ids: dict[str, str] = {}

    def setup(s: Seeder, user_id: str) -> None:
        ids["user"] = user_id
        s.tag("user", user_id, "team", "blue")
        s.inline(
            "user",
            user_id,
            "TeamOnly",
            allow(
                "iam:GetUser", "*", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}
            ),
        )
        s.inline(
            "user",
            user_id,
            "OwnTeamPath",
            allow("iam:GetUser", f"arn:aws:iam::{s.account}:user/${{aws:PrincipalTag/team}}-*"),
        )

    iam = new_user(server, "pol-tagged", setup)
    assert iam.get_user(UserName="admin")["User"]["UserName"] == "admin"
    with seeding(server) as s:
        s.tag("user", ids["user"], "team", "red")  # retagging raises the generation too
    assert "because no identity-based policy allows" in denial(server, iam)
    with seeding(server) as s:
        s.user("red-lead")
    assert iam.get_user(UserName="red-lead")["User"]["UserName"] == "red-lead"
