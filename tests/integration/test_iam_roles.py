"""IAM roles through boto3: create, read, update, list, tag, boundaries, deletion,
and service-linked roles."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer
from tests.support.snapshot import snapshot

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
ROLE_TABLES = ("iam_roles", "iam_tags", "iam_policy_attachments", "iam_inline_policies")


def tables(server: RunningServer) -> dict[str, Any]:
    snap = snapshot(server)
    return {t: snap[t] for t in ROLE_TABLES}


def make_role(iam: Any, name: str, **kw: Any) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kw
    )["Role"]
    return role


def test_create_role_and_get_it(server: RunningServer, iam: Any) -> None:
    name = unique("App")
    created = make_role(
        iam,
        name,
        Path="/svc/",
        Description="runs the app",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "web"}],
    )
    assert created["Arn"] == f"arn:aws:iam::{server.account_id}:role/svc/{name}"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["AssumeRolePolicyDocument"] == TRUST
    assert created["Tags"] == [{"Key": "team", "Value": "web"}]
    got = iam.get_role(RoleName=name.lower())["Role"]
    assert got["RoleName"] == name
    assert got["Path"] == "/svc/"
    assert got["Description"] == "runs the app"
    assert got["MaxSessionDuration"] == 7200
    assert got["RoleLastUsed"] == {}
    assert got["CreateDate"].tzinfo is not None


def test_trust_policy_travels_url_encoded_as_aws_sends_it(iam: Any) -> None:
    # botocore decodes policy documents (handlers.json_decode_policies); look at the wire.
    name = unique("wire")
    make_role(iam, name)
    raw: dict[str, bytes] = {}

    def grab(http_response: Any, **_: Any) -> None:
        raw["body"] = http_response.content

    iam.meta.events.register("after-call.iam.GetRole", grab)
    try:
        iam.get_role(RoleName=name)
    finally:
        iam.meta.events.unregister("after-call.iam.GetRole", grab)
    assert b"<AssumeRolePolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22" in raw["body"]


def test_role_names_are_unique_regardless_of_case(server: RunningServer, iam: Any) -> None:
    name = unique("Dup")
    make_role(iam, name)
    before = tables(server)
    with pytest.raises(ClientError) as exc:
        make_role(iam, name.upper())
    assert error_of(exc) == (
        "EntityAlreadyExists",
        f"Role with name {name.upper()} already exists.",
        409,
    )
    assert tables(server) == before


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("not json", "Syntax errors in policy."),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}],
                }
            ),
            "Missing required field Principal",
        ),
    ],
)
def test_malformed_trust_policy_is_rejected(
    server: RunningServer, iam: Any, document: str, reason: str
) -> None:
    before = tables(server)
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=unique("bad"), AssumeRolePolicyDocument=document)
    assert error_of(exc) == ("MalformedPolicyDocument", reason, 400)
    assert tables(server) == before


def test_trust_policy_over_2048_characters_exceeds_the_quota(iam: Any) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "AWS": [f"arn:aws:iam::123456789012:user/u{i:04d}" for i in range(60)]
                },
                "Action": "sts:AssumeRole",
            }
        ],
    }
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=unique("big"), AssumeRolePolicyDocument=json.dumps(trust))
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)


def test_max_session_duration_out_of_range_is_a_validation_error(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        make_role(iam, unique("long"), MaxSessionDuration=43201)
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationError", 400)
    assert "maxSessionDuration" in message


def test_unknown_role_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName="no-such-role")
    assert error_of(exc) == (
        "NoSuchEntity",
        "The role with name no-such-role cannot be found.",
        404,
    )


def test_update_role_description_and_duration(iam: Any) -> None:
    name = unique("upd")
    make_role(iam, name)
    iam.update_role(RoleName=name, Description="new", MaxSessionDuration=43200)
    role = iam.get_role(RoleName=name)["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("new", 43200)
    answered = iam.update_role_description(RoleName=name, Description="newer")["Role"]
    assert answered["Description"] == "newer"


def test_update_assume_role_policy_replaces_the_trust_policy(iam: Any) -> None:
    name = unique("trust")
    make_role(iam, name)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == trust
    with pytest.raises(ClientError) as exc:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(DOC))
    assert error_of(exc)[0] == "MalformedPolicyDocument"
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == trust


def test_list_roles_pages_in_name_order_and_filters_by_path(iam: Any) -> None:
    path = f"/{unique('p')}/"
    names = [f"r{i}-{uuid.uuid4().hex[:4]}" for i in range(5)]
    for n in names:
        make_role(iam, n, Path=path)
    seen, marker = [], None
    while True:
        kw = {"PathPrefix": path, "MaxItems": 2, **({"Marker": marker} if marker else {})}
        page = iam.list_roles(**kw)
        assert len(page["Roles"]) <= 2
        seen += [r["RoleName"] for r in page["Roles"]]
        assert all("Tags" not in r and "RoleLastUsed" not in r for r in page["Roles"])
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == sorted(names, key=str.lower)


def test_role_tags_add_overwrite_list_and_remove(iam: Any) -> None:
    name = unique("tagged")
    make_role(iam, name, Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_role(RoleName=name, Tags=[{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [
        {"Key": "A", "Value": "2"},
        {"Key": "b", "Value": "3"},
    ]
    iam.untag_role(RoleName=name, TagKeys=["a"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "b", "Value": "3"}]


def test_permissions_boundary_put_and_delete(server: RunningServer, iam: Any) -> None:
    name = unique("bounded")
    boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    make_role(iam, name, PermissionsBoundary=boundary)
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": boundary,
    }
    iam.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=name)["Role"]
    missing = f"arn:aws:iam::{server.account_id}:policy/none"
    with pytest.raises(ClientError) as exc:
        iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=missing)
    assert error_of(exc) == (
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
        404,
    )
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
    assert (
        iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == boundary
    )


def test_delete_role_refuses_while_policies_remain(iam: Any) -> None:
    name = unique("del")
    make_role(iam, name)
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(DOC))
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=name)
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    iam.detach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=name)
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
        409,
    )
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_service_linked_role_is_created_protected_and_deleted(
    server: RunningServer, iam: Any
) -> None:
    role = iam.create_service_linked_role(
        AWSServiceName="elasticbeanstalk.amazonaws.com", CustomSuffix="web", Description="eb"
    )["Role"]
    name = "AWSServiceRoleForElasticBeanstalk_web"
    assert role["RoleName"] == name
    assert role["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert role["Arn"] == (
        f"arn:aws:iam::{server.account_id}:role/aws-service-role/"
        f"elasticbeanstalk.amazonaws.com/{name}"
    )
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "elasticbeanstalk.amazonaws.com"
    }
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(
            AWSServiceName="elasticbeanstalk.amazonaws.com", CustomSuffix="web"
        )
    assert error_of(exc) == (
        "InvalidInput",
        f"Service role name {name} has been taken in this account, please try a different suffix.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=name)
    assert error_of(exc) == (
        "UnmodifiableEntity",
        (
            f"Cannot perform the operation on the protected role "
            f"'{name}' - this role is only modifiable by AWS"
        ),
        400,
    )
    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/elasticbeanstalk.amazonaws.com/{name}/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_custom_suffix_refused_where_the_service_allows_none(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="es.amazonaws.com", CustomSuffix="x")
    assert error_of(exc) == (
        "InvalidInput",
        "Custom suffix is not allowed for es.amazonaws.com",
        400,
    )


def test_user_without_permission_is_denied_and_learns_nothing(
    server: RunningServer, iam: Any
) -> None:
    name = unique("secret")
    make_role(iam, name)
    keys = add_user_with_key(
        server, unique("reader"), ("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",)
    )
    other = server.client("iam", keys=keys)
    acct = server.account_id
    for role_name in (name, "does-not-exist"):
        with pytest.raises(ClientError) as exc:
            other.delete_role(RoleName=role_name)
        code, message, status = error_of(exc)
        assert (code, status) == ("AccessDenied", 403)
        assert f"iam:DeleteRole on resource: arn:aws:iam::{acct}:role/{role_name}" in message
    # ViewOnlyAccess lists roles (iam:List*) but cannot read one role's trust policy.
    assert any(r["RoleName"] == name for r in other.list_roles()["Roles"])
    with pytest.raises(ClientError) as exc:
        other.create_role(RoleName=unique("nope"), AssumeRolePolicyDocument=json.dumps(TRUST))
    assert error_of(exc)[0] == "AccessDenied"
