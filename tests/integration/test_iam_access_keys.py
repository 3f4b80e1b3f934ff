"""Access keys through boto3: the two-key quota, a new key that signs at once, an
inactive key refused at once, last-used facts, and keys of the root user."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.seed import add_root_key, add_user_with_key
from tests.support.servers import RunningServer
from tests.support.snapshot import snapshot

ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_a_new_key_signs_requests_as_its_user(server: RunningServer, iam: Any) -> None:
    name = unique("worker")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["UserName"] == name and key["Status"] == "Active"
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"])
    assert len(key["SecretAccessKey"]) == 40
    sts = server.client("sts", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{server.account_id}:user/{name}"
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert listed == [
        {
            "UserName": name,
            "AccessKeyId": key["AccessKeyId"],
            "Status": "Active",
            "CreateDate": key["CreateDate"],
        }
    ]
    assert all("SecretAccessKey" not in k for k in listed)


def test_at_most_two_keys_per_user(server: RunningServer, iam: Any) -> None:
    name = unique("busy")
    iam.create_user(UserName=name)
    ids = [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in range(2)]
    before = snapshot(server)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=name)
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    assert snapshot(server) == before
    page = iam.list_access_keys(UserName=name, MaxItems=1)
    assert page["IsTruncated"] is True
    rest = iam.list_access_keys(UserName=name, Marker=page["Marker"])
    assert sorted(
        k["AccessKeyId"] for k in page["AccessKeyMetadata"] + rest["AccessKeyMetadata"]
    ) == sorted(ids)


def test_an_inactive_key_is_refused_at_once_and_can_come_back(
    server: RunningServer, iam: Any
) -> None:
    name = unique("paused")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sts = server.client("sts", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    sts.get_caller_identity()
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Account"] == server.account_id


def test_a_deleted_key_is_gone(server: RunningServer, iam: Any) -> None:
    name = unique("gone")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    with pytest.raises(ClientError) as exc:
        server.client(
            "sts", keys=(key["AccessKeyId"], key["SecretAccessKey"])
        ).get_caller_identity()
    assert error_of(exc)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as exc:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert error_of(exc) == (
        "NoSuchEntity",
        f"The Access Key with id {key['AccessKeyId']} cannot be found.",
        404,
    )


def test_a_key_of_another_user_is_not_found_under_this_one(iam: Any) -> None:
    a, b = unique("owner"), unique("other")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    key_id = iam.create_access_key(UserName=a)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as exc:
        iam.update_access_key(UserName=b, AccessKeyId=key_id, Status="Inactive")
    assert error_of(exc)[0] == "NoSuchEntity"
    assert iam.list_access_keys(UserName=a)["AccessKeyMetadata"][0]["Status"] == "Active"


def test_last_used_is_na_until_the_key_is_used(server: RunningServer, iam: Any) -> None:
    name = unique("fresh")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    never = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert never["UserName"] == name
    assert never["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    server.client("sts", keys=(key["AccessKeyId"], key["SecretAccessKey"])).get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "us-east-1"
    assert used["LastUsedDate"].tzinfo is not None


def test_without_user_name_a_user_manages_their_own_keys(server: RunningServer) -> None:
    name = unique("selfie")
    me = server.client("iam", keys=add_user_with_key(server, name, (ADMIN_ACCESS,)))
    created = me.create_access_key()["AccessKey"]
    assert created["UserName"] == name
    assert len(me.list_access_keys()["AccessKeyMetadata"]) == 2


def test_the_root_user_has_keys_of_its_own(server: RunningServer) -> None:
    root = server.client("iam", keys=add_root_key(server))
    key = root.create_access_key()["AccessKey"]
    assert "UserName" not in key
    ids = [k["AccessKeyId"] for k in root.list_access_keys()["AccessKeyMetadata"]]
    assert key["AccessKeyId"] in ids and len(ids) == 2
    ident = server.client(
        "sts", keys=(key["AccessKeyId"], key["SecretAccessKey"])
    ).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{server.account_id}:root"
    with pytest.raises(ClientError) as exc:
        root.create_access_key()
    assert error_of(exc)[0] == "LimitExceeded"


def test_a_user_without_permission_is_denied_and_learns_nothing(
    server: RunningServer, iam: Any
) -> None:
    target = unique("victim")
    iam.create_user(UserName=target)
    key_id = iam.create_access_key(UserName=target)["AccessKey"]["AccessKeyId"]
    outsider = server.client("iam", keys=add_user_with_key(server, unique("outsider")))
    before = snapshot(server)
    call: Callable[[], object]
    for call in (
        lambda: outsider.create_access_key(UserName=target),
        lambda: outsider.create_access_key(),
        lambda: outsider.list_access_keys(UserName=target),
        lambda: outsider.update_access_key(UserName=target, AccessKeyId=key_id, Status="Inactive"),
        lambda: outsider.delete_access_key(UserName=target, AccessKeyId=key_id),
        lambda: outsider.get_access_key_last_used(AccessKeyId=key_id),
        lambda: outsider.get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0::2] == ("AccessDenied", 403)
    assert snapshot(server) == before
