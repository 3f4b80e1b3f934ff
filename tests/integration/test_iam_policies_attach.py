"""Managed policy attachments and inline policies of users, groups and roles, and
GetAccountAuthorizationDetails, through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.seed import add_user_with_key
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
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def doc(action: str = "s3:GetObject", resource: str = "*") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
    )


def tables(server: RunningServer) -> dict[str, Any]:
    snap = snapshot(server)
    return {t: snap[t] for t in ("iam_policy_attachments", "iam_inline_policies")}


def new_policy(iam: Any, name: str | None = None, path: str = "/") -> str:
    arn: str = iam.create_policy(PolicyName=name or unique("pol"), Path=path, PolicyDocument=doc())[
        "Policy"
    ]["Arn"]
    return arn


# (kind, create, name member, attach, detach, list attached) for each kind of entity.
KINDS = {
    "user": (
        "create_user",
        "UserName",
        "attach_user_policy",
        "detach_user_policy",
        "list_attached_user_policies",
    ),
    "group": (
        "create_group",
        "GroupName",
        "attach_group_policy",
        "detach_group_policy",
        "list_attached_group_policies",
    ),
    "role": (
        "create_role",
        "RoleName",
        "attach_role_policy",
        "detach_role_policy",
        "list_attached_role_policies",
    ),
}


def make_entity(iam: Any, kind: str, name: str) -> None:
    create, member = KINDS[kind][0], KINDS[kind][1]
    extra = {"AssumeRolePolicyDocument": TRUST} if kind == "role" else {}
    getattr(iam, create)(**{member: name}, **extra)


@pytest.mark.parametrize("kind", list(KINDS))
def test_attach_list_and_detach(server: RunningServer, iam: Any, kind: str) -> None:
    _, member, attach, detach, listed = KINDS[kind]
    name = unique(kind)
    make_entity(iam, kind, name)
    local = new_policy(iam, path="/team/")
    getattr(iam, attach)(**{member: name}, PolicyArn=local)
    getattr(iam, attach)(**{member: name}, PolicyArn=READ_ONLY)
    getattr(iam, attach)(**{member: name}, PolicyArn=READ_ONLY)  # attaching twice changes nothing
    attached = getattr(iam, listed)(**{member: name})["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted([local, READ_ONLY])
    only_team = getattr(iam, listed)(**{member: name}, PathPrefix="/team/")["AttachedPolicies"]
    assert only_team == [{"PolicyName": local.rsplit("/", 1)[1], "PolicyArn": local}]
    assert iam.get_policy(PolicyArn=local)["Policy"]["AttachmentCount"] == 1
    getattr(iam, detach)(**{member: name}, PolicyArn=local)
    with pytest.raises(ClientError) as exc:
        getattr(iam, detach)(**{member: name}, PolicyArn=local)
    assert error_of(exc) == ("NoSuchEntity", f"Policy {local} was not found.", 404)
    assert getattr(iam, listed)(**{member: name})["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}
    ]


@pytest.mark.parametrize(
    ("kind", "quota"),
    [("user", "PoliciesPerUser"), ("group", "PoliciesPerGroup"), ("role", "PoliciesPerRole")],
)
def test_at_most_ten_managed_policies_per_entity(
    server: RunningServer, iam: Any, kind: str, quota: str
) -> None:
    _, member, attach, _, _ = KINDS[kind]
    name = unique(kind)
    make_entity(iam, kind, name)
    for _ in range(10):
        getattr(iam, attach)(**{member: name}, PolicyArn=new_policy(iam))
    extra = new_policy(iam)
    before = tables(server)
    with pytest.raises(ClientError) as exc:
        getattr(iam, attach)(**{member: name}, PolicyArn=extra)
    assert error_of(exc) == ("LimitExceeded", f"Cannot exceed quota for {quota}: 10", 409)
    assert tables(server) == before


def test_attaching_a_missing_policy(server: RunningServer, iam: Any) -> None:
    role = unique("r")
    make_entity(iam, "role", role)
    for arn in (
        f"arn:aws:iam::{server.account_id}:policy/absent",
        "arn:aws:iam::aws:policy/NoSuchAwsPolicy",
    ):
        with pytest.raises(ClientError) as exc:
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        assert error_of(exc) == (
            "NoSuchEntity",
            f"Policy {arn} does not exist or is not attachable.",
            404,
        )
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(RoleName="absent-role", PolicyArn=READ_ONLY)
    assert error_of(exc) == ("NoSuchEntity", "The role with name absent-role cannot be found.", 404)


def test_service_role_policies_attach_only_to_service_linked_roles(iam: Any) -> None:
    role = unique("r")
    make_entity(iam, "role", role)
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(
            RoleName=role,
            PolicyArn="arn:aws:iam::aws:policy/aws-service-role/AccessAnalyzerServiceRolePolicy",
        )
    assert error_of(exc) == (
        "PolicyNotAttachable",
        "Cannot attach a Service Role Policy to a Customer Role.",
        400,
    )


def test_list_entities_for_policy(server: RunningServer, iam: Any) -> None:
    arn = new_policy(iam)
    names = {kind: unique(kind) for kind in KINDS}
    for kind, name in names.items():
        make_entity(iam, kind, name)
        _, member, attach, _, _ = KINDS[kind]
        getattr(iam, attach)(**{member: name}, PolicyArn=arn)
    bounded = unique("bounded")
    iam.create_role(RoleName=bounded, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=arn)
    found = iam.list_entities_for_policy(PolicyArn=arn)
    assert [g["GroupName"] for g in found["PolicyGroups"]] == [names["group"]]
    assert [u["UserName"] for u in found["PolicyUsers"]] == [names["user"]]
    assert sorted(r["RoleName"] for r in found["PolicyRoles"]) == sorted([names["role"], bounded])
    only_policy = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy")
    assert [r["RoleName"] for r in only_policy["PolicyRoles"]] == [names["role"]]
    roles = iam.list_entities_for_policy(
        PolicyArn=arn, EntityFilter="Role", PolicyUsageFilter="PermissionsBoundary"
    )
    assert (roles["PolicyUsers"], [r["RoleName"] for r in roles["PolicyRoles"]]) == ([], [bounded])
    first = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.list_entities_for_policy(PolicyArn=arn, Marker=first["Marker"])
    total = sum(
        len(p[k]) for p in (first, rest) for k in ("PolicyGroups", "PolicyUsers", "PolicyRoles")
    )
    assert total == 4 and rest["IsTruncated"] is False


# --- inline policies ------------------------------------------------------------------

INLINE = {
    "user": (
        "put_user_policy",
        "get_user_policy",
        "delete_user_policy",
        "list_user_policies",
        2048,
    ),
    "group": (
        "put_group_policy",
        "get_group_policy",
        "delete_group_policy",
        "list_group_policies",
        5120,
    ),
    "role": (
        "put_role_policy",
        "get_role_policy",
        "delete_role_policy",
        "list_role_policies",
        10240,
    ),
}


@pytest.mark.parametrize("kind", list(INLINE))
def test_inline_policies_put_get_list_delete(iam: Any, kind: str) -> None:
    put, get, delete, listed, _ = INLINE[kind]
    member = KINDS[kind][1]
    name = unique(kind)
    make_entity(iam, kind, name)
    for policy in ("b-policy", "a-policy", "c-policy"):
        getattr(iam, put)(**{member: name}, PolicyName=policy, PolicyDocument=doc())
    getattr(iam, put)(**{member: name}, PolicyName="a-policy", PolicyDocument=doc("s3:PutObject"))
    got = getattr(iam, get)(**{member: name}, PolicyName="a-policy")
    assert got[member] == name and got["PolicyName"] == "a-policy"
    assert got["PolicyDocument"]["Statement"][0]["Action"] == "s3:PutObject"
    page = getattr(iam, listed)(**{member: name}, MaxItems=2)
    assert (page["PolicyNames"], page["IsTruncated"]) == (["a-policy", "b-policy"], True)
    assert getattr(iam, listed)(**{member: name}, Marker=page["Marker"])["PolicyNames"] == [
        "c-policy"
    ]
    getattr(iam, delete)(**{member: name}, PolicyName="b-policy")
    with pytest.raises(ClientError) as exc:
        getattr(iam, get)(**{member: name}, PolicyName="b-policy")
    assert error_of(exc) == (
        "NoSuchEntity",
        f"The {kind} policy with name b-policy cannot be found.",
        404,
    )


@pytest.mark.parametrize("kind", list(INLINE))
def test_inline_policy_size_counts_all_of_an_entitys_policies(
    server: RunningServer, iam: Any, kind: str
) -> None:
    put, _, _, _, quota = INLINE[kind]
    member = KINDS[kind][1]
    name = unique(kind)
    make_entity(iam, kind, name)
    # Each document is ~1,000 characters without white space.
    big = doc("s3:GetObject", "arn:aws:s3:::" + "x" * 900)
    count = 0
    while (count + 1) * len(big.replace(" ", "")) <= quota:
        getattr(iam, put)(**{member: name}, PolicyName=f"p{count}", PolicyDocument=big)
        count += 1
    before = tables(server)
    with pytest.raises(ClientError) as exc:
        getattr(iam, put)(**{member: name}, PolicyName="one-too-many", PolicyDocument=big)
    assert error_of(exc) == (
        "LimitExceeded",
        f"Maximum policy size of {quota} bytes exceeded for {kind} {name}",
        409,
    )
    assert tables(server) == before
    # Replacing a policy with one of the same size fits: its old size no longer counts.
    getattr(iam, put)(**{member: name}, PolicyName="p0", PolicyDocument=big)


def test_malformed_inline_policy_is_rejected(iam: Any) -> None:
    role = unique("r")
    make_entity(iam, "role", role)
    with pytest.raises(ClientError) as exc:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument='{"Statement": [}')
    assert error_of(exc) == ("MalformedPolicyDocument", "Syntax errors in policy.", 400)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []


# --- who may do it --------------------------------------------------------------------


def test_policy_arn_condition_limits_what_may_be_attached(server: RunningServer, iam: Any) -> None:
    role = unique("target")
    make_entity(iam, "role", role)
    allowed = new_policy(iam)
    grant = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:AttachRolePolicy",
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"iam:PolicyARN": allowed}},
                }
            ],
        }
    )
    grant_arn = iam.create_policy(PolicyName=unique("grant"), PolicyDocument=grant)["Policy"]["Arn"]
    user = unique("attacher")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=grant_arn)
    keys = iam.create_access_key(UserName=user)["AccessKey"]
    other = server.client("iam", keys=(keys["AccessKeyId"], keys["SecretAccessKey"]))
    with pytest.raises(ClientError) as exc:
        other.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY)
    assert error_of(exc)[0] == "AccessDenied"
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    other.attach_role_policy(RoleName=role, PolicyArn=allowed)
    assert [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    ] == [allowed]


def test_user_without_permission_cannot_attach(server: RunningServer, iam: Any) -> None:
    role = unique("r")
    make_entity(iam, "role", role)
    keys = add_user_with_key(
        server, unique("viewer"), ("arn:aws:iam::aws:policy/IAMReadOnlyAccess",)
    )
    other = server.client("iam", keys=keys)
    assert other.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    for target in (role, "missing-role"):
        with pytest.raises(ClientError) as exc:
            other.attach_role_policy(RoleName=target, PolicyArn=READ_ONLY)
        code, message, status = error_of(exc)
        assert (code, status) == ("AccessDenied", 403)
        assert (
            f"iam:AttachRolePolicy on resource: arn:aws:iam::{server.account_id}:role/{target}"
            in message
        )
    with pytest.raises(ClientError) as exc:
        other.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc())
    assert error_of(exc)[0] == "AccessDenied"


# --- GetAccountAuthorizationDetails -----------------------------------------------------


def test_account_authorization_details(server: RunningServer, iam: Any) -> None:
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="mine", PolicyDocument=doc())
    iam.put_group_policy(GroupName=group, PolicyName="ours", PolicyDocument=doc())
    local = new_policy(iam)
    iam.create_policy_version(
        PolicyArn=local, PolicyDocument=doc("s3:PutObject"), SetAsDefault=True
    )
    iam.attach_group_policy(GroupName=group, PolicyArn=local)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/SecurityAudit")
    profile = unique("ip")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)

    details = (
        iam.get_paginator("get_account_authorization_details")
        .paginate(PaginationConfig={"PageSize": 3})
        .build_full_result()
    )
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert users[user]["GroupList"] == [group]
    assert users[user]["UserPolicyList"] == [
        {"PolicyName": "mine", "PolicyDocument": json.loads(doc())}
    ]
    groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
    assert groups[group]["AttachedManagedPolicies"] == [
        {"PolicyName": local.rsplit("/", 1)[1], "PolicyArn": local}
    ]
    roles = {r["RoleName"]: r for r in details["RoleDetailList"]}
    assert [p["InstanceProfileName"] for p in roles[role]["InstanceProfileList"]] == [profile]
    assert roles[role]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert roles[role]["RoleLastUsed"] == {}
    policies = {p["Arn"]: p for p in details["Policies"]}
    versions = policies[local]["PolicyVersionList"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("v2", True),
        ("v1", False),
    ]
    assert versions[0]["Document"]["Statement"][0]["Action"] == "s3:PutObject"
    assert "arn:aws:iam::aws:policy/SecurityAudit" in policies
    assert "arn:aws:iam::aws:policy/PowerUserAccess" not in policies  # not in use here

    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and only_roles["Policies"] == []
    assert role in {r["RoleName"] for r in only_roles["RoleDetailList"]}
