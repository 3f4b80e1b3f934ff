"""IAM users through boto3: create, read, rename, list, tag, bound and delete them."""

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

ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_create_user_returns_it_and_get_user_reads_it_back(server: RunningServer, iam: Any) -> None:
    name = unique("alice")
    created = iam.create_user(
        UserName=name, Path="/engineering/", Tags=[{"Key": "team", "Value": "core"}]
    )
    user = created["User"]
    assert user["UserName"] == name
    assert user["Path"] == "/engineering/"
    assert user["Arn"] == f"arn:aws:iam::{server.account_id}:user/engineering/{name}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["Tags"] == [{"Key": "team", "Value": "core"}]
    got = iam.get_user(UserName=name.upper())["User"]
    assert got["UserName"] == name and got["UserId"] == user["UserId"]
    assert got["Tags"] == [{"Key": "team", "Value": "core"}]


def test_user_names_are_unique_regardless_of_case(iam: Any) -> None:
    name = unique("Bob")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name.lower())
    assert error_of(exc) == (
        "EntityAlreadyExists",
        f"User with name {name.lower()} already exists.",
        409,
    )


def test_boundary_must_name_an_existing_managed_policy(server: RunningServer, iam: Any) -> None:
    name = unique("bounded")
    missing = "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"
    before = snapshot(server)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name, PermissionsBoundary=missing)
    assert error_of(exc) == (
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
        404,
    )
    assert snapshot(server) == before
    user = iam.create_user(UserName=name, PermissionsBoundary=ADMIN_ACCESS)["User"]
    assert user["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": ADMIN_ACCESS,
    }


def test_put_and_delete_user_permissions_boundary(iam: Any) -> None:
    name = unique("carol")
    iam.create_user(UserName=name)
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=ADMIN_ACCESS)
    assert (
        iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == ADMIN_ACCESS
    )
    iam.delete_user_permissions_boundary(UserName=name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=name)["User"]
    with pytest.raises(ClientError) as exc:
        iam.put_user_permissions_boundary(
            UserName=name, PermissionsBoundary="arn:aws:iam::aws:policy/NotThere"
        )
    assert error_of(exc)[0] == "NoSuchEntity"


def test_update_user_renames_and_moves_keeping_id_and_tags(server: RunningServer, iam: Any) -> None:
    old, new = unique("dave"), unique("david")
    user_id = iam.create_user(UserName=old, Tags=[{"Key": "k", "Value": "v"}])["User"]["UserId"]
    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    got = iam.get_user(UserName=new)["User"]
    assert got["UserId"] == user_id
    assert got["Arn"] == f"arn:aws:iam::{server.account_id}:user/moved/{new}"
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=old)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_update_user_to_a_taken_name_changes_nothing(server: RunningServer, iam: Any) -> None:
    a, b = unique("erin"), unique("frank")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    before = snapshot(server)
    with pytest.raises(ClientError) as exc:
        iam.update_user(UserName=a, NewUserName=b.upper())
    assert error_of(exc) == (
        "EntityAlreadyExists",
        f"User with name {b.upper()} already exists.",
        409,
    )
    assert snapshot(server) == before


def test_update_user_may_change_only_the_case_of_its_name(iam: Any) -> None:
    name = unique("grace")
    iam.create_user(UserName=name)
    iam.update_user(UserName=name, NewUserName=name.upper())
    assert iam.get_user(UserName=name)["User"]["UserName"] == name.upper()


def test_delete_user_refuses_while_it_has_dependents(server: RunningServer, iam: Any) -> None:
    name = unique("heidi")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Str0ng-Passw0rd!")
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    group = unique("grp")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    expected = [
        "Cannot delete entity, must delete login profile first.",
        "Cannot delete entity, must delete access keys first.",
        "Cannot delete entity, must remove user from all groups first.",
    ]
    undo: list[Callable[[], object]] = [
        lambda: iam.delete_login_profile(UserName=name),
        lambda: iam.delete_access_key(UserName=name, AccessKeyId=key),
        lambda: iam.remove_user_from_group(GroupName=group, UserName=name),
    ]
    for message, step in zip(expected, undo, strict=True):
        before = snapshot(server)
        with pytest.raises(ClientError) as exc:
            iam.delete_user(UserName=name)
        assert error_of(exc) == ("DeleteConflict", message, 409)
        assert snapshot(server) == before
        step()
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=name)
    assert error_of(exc) == ("NoSuchEntity", f"The user with name {name} cannot be found.", 404)


def test_delete_user_with_an_attached_policy_is_a_conflict(server: RunningServer, iam: Any) -> None:
    name = unique("ivan")
    add_user_with_key(server, name, (ADMIN_ACCESS,))
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    iam.delete_access_key(UserName=name, AccessKeyId=keys[0]["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )


def test_delete_unknown_user_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="nobody-here")
    assert error_of(exc) == ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)


def test_list_users_pages_in_name_order_and_filters_by_path(iam: Any) -> None:
    path = f"/{unique('page')}/"
    names = [f"{p}-{uuid.uuid4().hex[:4]}" for p in ("Zed", "amy", "Bea", "carl", "dan")]
    for n in names:
        iam.create_user(UserName=n, Path=path)
    seen: list[str] = []
    kwargs: dict[str, Any] = {"PathPrefix": path, "MaxItems": 2}
    while True:
        page = iam.list_users(**kwargs)
        assert len(page["Users"]) <= 2
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        kwargs["Marker"] = page["Marker"]
    assert seen == sorted(names, key=str.lower)
    assert all("Tags" not in u for u in iam.list_users(PathPrefix=path)["Users"])


def test_path_prefix_is_case_sensitive(iam: Any) -> None:
    path = f"/{unique('CasePath')}/"
    iam.create_user(UserName=unique("jo"), Path=path)
    assert len(iam.list_users(PathPrefix=path)["Users"]) == 1
    assert iam.list_users(PathPrefix=path.lower())["Users"] == []


def test_tag_untag_and_list_user_tags(iam: Any) -> None:
    name = unique("kim")
    iam.create_user(UserName=name)
    iam.tag_user(UserName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "A", "Value": "3"}, {"Key": "c", "Value": "4"}])
    page = iam.list_user_tags(UserName=name, MaxItems=2)
    assert page["Tags"] == [{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}]
    assert page["IsTruncated"] is True
    rest = iam.list_user_tags(UserName=name, Marker=page["Marker"])
    assert rest["Tags"] == [{"Key": "c", "Value": "4"}] and rest["IsTruncated"] is False
    iam.untag_user(UserName=name, TagKeys=["a", "C"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_tags_with_the_aws_prefix_are_refused(iam: Any) -> None:
    name = unique("leo")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=name, Tags=[{"Key": "aws:secret", "Value": "x"}])
    assert error_of(exc)[0] == "InvalidInput"
    assert iam.list_user_tags(UserName=name)["Tags"] == []


def test_a_user_without_permission_is_denied_and_learns_nothing(
    server: RunningServer, iam: Any
) -> None:
    keys = add_user_with_key(server, unique("nosy"))
    nosy = server.client("iam", keys=keys)
    existing = unique("target")
    iam.create_user(UserName=existing)
    before = snapshot(server)
    call: Callable[[], object]
    for call in (
        lambda: nosy.create_user(UserName=unique("sneaky")),
        lambda: nosy.delete_user(UserName=existing),
        lambda: nosy.delete_user(UserName="no-such-user-at-all"),
        lambda: nosy.tag_user(UserName=existing, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: nosy.list_users(),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "AccessDenied"
        assert error_of(exc)[2] == 403
    assert snapshot(server) == before
