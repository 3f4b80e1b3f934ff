"""IAM groups through boto3: create, list, rename, membership and deletion."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer
from tests.support.snapshot import snapshot


def test_create_group_and_get_it_with_its_users(server: RunningServer, iam: Any) -> None:
    name = unique("devs")
    group = iam.create_group(GroupName=name, Path="/teams/")["Group"]
    assert group["GroupName"] == name
    assert group["Arn"] == f"arn:aws:iam::{server.account_id}:group/teams/{name}"
    assert group["GroupId"].startswith("AGPA") and len(group["GroupId"]) == 21
    got = iam.get_group(GroupName=name.upper())
    assert got["Group"]["GroupId"] == group["GroupId"]
    assert got["Users"] == [] and got["IsTruncated"] is False


def test_group_names_are_unique_regardless_of_case(iam: Any) -> None:
    name = unique("Ops")
    iam.create_group(GroupName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_group(GroupName=name.lower())
    assert error_of(exc) == (
        "EntityAlreadyExists",
        f"Group with name {name.lower()} already exists.",
        409,
    )


def test_unknown_group_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName="no-such-group")
    assert error_of(exc) == (
        "NoSuchEntity",
        "The group with name no-such-group cannot be found.",
        404,
    )


def test_membership_shows_in_get_group_pages_and_list_groups_for_user(iam: Any) -> None:
    group = unique("members")
    iam.create_group(GroupName=group)
    names = [f"{p}-{uuid.uuid4().hex[:4]}" for p in ("zoe", "Adam", "bob")]
    for n in names:
        iam.create_user(UserName=n)
        iam.add_user_to_group(GroupName=group, UserName=n)
    iam.add_user_to_group(GroupName=group, UserName=names[0])  # again: still one membership
    first = iam.get_group(GroupName=group, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    rest = iam.get_group(GroupName=group, Marker=first["Marker"])
    listed = [u["UserName"] for u in first["Users"] + rest["Users"]]
    assert listed == sorted(names, key=str.lower)
    mine = iam.list_groups_for_user(UserName=names[1])["Groups"]
    assert [g["GroupName"] for g in mine] == [group]
    iam.remove_user_from_group(GroupName=group, UserName=names[1])
    assert iam.list_groups_for_user(UserName=names[1])["Groups"] == []
    assert len(iam.get_group(GroupName=group)["Users"]) == 2


def test_adding_an_unknown_user_changes_nothing(server: RunningServer, iam: Any) -> None:
    group = unique("g")
    iam.create_group(GroupName=group)
    before = snapshot(server)
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=group, UserName="ghost-user")
    assert error_of(exc) == ("NoSuchEntity", "The user with name ghost-user cannot be found.", 404)
    assert snapshot(server) == before


def test_a_user_can_be_in_at_most_ten_groups(iam: Any) -> None:
    user = unique("joiner")
    iam.create_user(UserName=user)
    for _ in range(10):
        g = unique("ten")
        iam.create_group(GroupName=g)
        iam.add_user_to_group(GroupName=g, UserName=user)
    extra = unique("eleventh")
    iam.create_group(GroupName=extra)
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=extra, UserName=user)
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)


def test_update_group_renames_and_keeps_members(server: RunningServer, iam: Any) -> None:
    old, new, user = unique("old"), unique("new"), unique("member")
    iam.create_group(GroupName=old)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=old, UserName=user)
    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/renamed/")
    got = iam.get_group(GroupName=new)
    assert got["Group"]["Arn"] == f"arn:aws:iam::{server.account_id}:group/renamed/{new}"
    assert [u["UserName"] for u in got["Users"]] == [user]
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=old)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_delete_group_refuses_while_it_has_members(server: RunningServer, iam: Any) -> None:
    group, user = unique("busy"), unique("inside")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    before = snapshot(server)
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
        409,
    )
    assert snapshot(server) == before
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_group(GroupName=group)
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=group)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_list_groups_pages_and_filters_by_path(iam: Any) -> None:
    path = f"/{unique('gp')}/"
    names = [unique(p) for p in ("c", "A", "b")]
    for n in names:
        iam.create_group(GroupName=n, Path=path)
    first = iam.list_groups(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.list_groups(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    assert [g["GroupName"] for g in first["Groups"] + rest["Groups"]] == sorted(
        names, key=str.lower
    )


def test_a_user_without_permission_is_denied(server: RunningServer, iam: Any) -> None:
    group = unique("private")
    iam.create_group(GroupName=group)
    outsider = server.client("iam", keys=add_user_with_key(server, unique("outsider")))
    before = snapshot(server)
    call: Callable[[], object]
    for call in (
        lambda: outsider.create_group(GroupName=unique("mine")),
        lambda: outsider.get_group(GroupName=group),
        lambda: outsider.get_group(GroupName="does-not-exist"),
        lambda: outsider.add_user_to_group(GroupName=group, UserName="admin"),
        lambda: outsider.delete_group(GroupName=group),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[:1] == ("AccessDenied",)
    assert snapshot(server) == before
