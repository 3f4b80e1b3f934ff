"""Instance profiles through boto3: create, read, list, roles in them, tags, deletion."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.servers import RunningServer
from tests.support.snapshot import snapshot

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def make_role(iam: Any) -> str:
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    return name


def test_create_and_get_instance_profile(server: RunningServer, iam: Any) -> None:
    name = unique("Web")
    created = iam.create_instance_profile(
        InstanceProfileName=name, Path="/web/", Tags=[{"Key": "tier", "Value": "front"}]
    )["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{server.account_id}:instance-profile/web/{name}"
    assert (
        created["InstanceProfileId"].startswith("AIPA") and len(created["InstanceProfileId"]) == 21
    )
    assert created["Roles"] == []
    got = iam.get_instance_profile(InstanceProfileName=name.lower())["InstanceProfile"]
    assert (got["InstanceProfileName"], got["Path"]) == (name, "/web/")
    assert got["Tags"] == [{"Key": "tier", "Value": "front"}]


def test_duplicate_and_missing_profiles(iam: Any) -> None:
    name = unique("dup")
    iam.create_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_instance_profile(InstanceProfileName=name.upper())
    assert error_of(exc) == (
        "EntityAlreadyExists",
        f"Instance Profile {name.upper()} already exists.",
        409,
    )
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName="absent")
    assert error_of(exc) == ("NoSuchEntity", "Instance Profile absent cannot be found.", 404)


def test_a_profile_holds_one_role(server: RunningServer, iam: Any) -> None:
    name, role, other = unique("one"), make_role(iam), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    before = snapshot(server)["iam_instance_profile_roles"]
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=other)
    assert error_of(exc) == (
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
        409,
    )
    assert snapshot(server)["iam_instance_profile_roles"] == before
    got = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role]
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    for_role = iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == [name]


def test_role_and_profile_deletion_wait_for_removal(iam: Any) -> None:
    name, role = unique("del"), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    call: Callable[[], object]
    for call in (
        lambda: iam.delete_role(RoleName=role),
        lambda: iam.delete_instance_profile(InstanceProfileName=name),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "DeleteConflict",
            "Cannot delete entity, must remove roles from instance profile first.",
            409,
        )
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    assert iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"] == []
    iam.delete_instance_profile(InstanceProfileName=name)
    iam.delete_role(RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName=name)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_list_instance_profiles_pages_by_name(iam: Any) -> None:
    path = f"/{unique('lp')}/"
    names = [f"ip{i}-{uuid.uuid4().hex[:4]}" for i in range(5)]
    for n in names:
        iam.create_instance_profile(InstanceProfileName=n, Path=path)
    seen = [
        p["InstanceProfileName"]
        for page in iam.get_paginator("list_instance_profiles").paginate(
            PathPrefix=path, PaginationConfig={"PageSize": 2}
        )
        for p in page["InstanceProfiles"]
    ]
    assert seen == sorted(names, key=str.lower)


def test_instance_profile_tags(iam: Any) -> None:
    name = unique("tags")
    iam.create_instance_profile(InstanceProfileName=name)
    iam.tag_instance_profile(
        InstanceProfileName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    iam.untag_instance_profile(InstanceProfileName=name, TagKeys=["a"])
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == [
        {"Key": "b", "Value": "2"}
    ]


def test_adding_a_role_needs_pass_role(server: RunningServer, iam: Any) -> None:
    name, role = unique("pass"), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    user = unique("builder")
    iam.create_user(UserName=user)
    only_profiles = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:AddRoleToInstanceProfile", "iam:GetInstanceProfile"],
                    "Resource": "*",
                }
            ],
        }
    )
    iam.put_user_policy(UserName=user, PolicyName="profiles", PolicyDocument=only_profiles)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    other = server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as exc:
        other.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert f"iam:PassRole on resource: arn:aws:iam::{server.account_id}:role/{role}" in message
    assert other.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"] == []
    pass_role = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                }
            ],
        }
    )
    iam.put_user_policy(UserName=user, PolicyName="pass", PolicyDocument=pass_role)
    other.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    assert [
        r["RoleName"]
        for r in iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]
    ] == [role]
