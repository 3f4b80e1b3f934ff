"""Managed policies through boto3: the AWS managed catalogue, customer managed
policies, their versions, listing and tags."""

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

DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
POLICY_TABLES = ("iam_policies", "iam_policy_versions", "iam_tags", "iam_policy_attachments")


def tables(server: RunningServer) -> dict[str, Any]:
    snap = snapshot(server)
    return {t: snap[t] for t in POLICY_TABLES}


def doc(action: str = "s3:GetObject") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
    )


def make_policy(iam: Any, name: str, **kw: Any) -> dict[str, Any]:
    policy: dict[str, Any] = iam.create_policy(
        PolicyName=name, PolicyDocument=kw.pop("PolicyDocument", doc()), **kw
    )["Policy"]
    return policy


# --- the AWS managed catalogue ------------------------------------------------------

WELL_KNOWN = [
    ("AdministratorAccess", "/"),
    ("PowerUserAccess", "/"),
    ("ReadOnlyAccess", "/"),
    ("ViewOnlyAccess", "/job-function/"),
    ("SecurityAudit", "/"),
    ("IAMFullAccess", "/"),
    ("IAMReadOnlyAccess", "/"),
    ("IAMUserChangePassword", "/"),
]


@pytest.mark.parametrize(("name", "path"), WELL_KNOWN)
def test_well_known_aws_managed_policies_are_served(iam: Any, name: str, path: str) -> None:
    arn = f"arn:aws:iam::aws:policy{path}{name}"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (policy["PolicyName"], policy["Path"], policy["Arn"]) == (name, path, arn)
    assert policy["PolicyId"].startswith("ANPA") and policy["Description"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"
    ]
    assert version["IsDefaultVersion"] is True
    assert version["Document"]["Statement"]


def test_aws_managed_catalogue_lists_with_real_documents(iam: Any) -> None:
    page = iam.list_policies(Scope="AWS", PathPrefix="/job-function/", MaxItems=1000)
    names = [p["PolicyName"] for p in page["Policies"]]
    assert "ViewOnlyAccess" in names and "Billing" in names
    everything = (
        iam.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"]
    )
    assert len(everything) > 1000
    by_name = {p["PolicyName"]: p for p in everything}
    for name, path in WELL_KNOWN:
        assert by_name[name]["Arn"] == f"arn:aws:iam::aws:policy{path}{name}"
    assert by_name["AdministratorAccess"]["AttachmentCount"] >= 1  # the admin user
    assert "Description" not in by_name["AdministratorAccess"]


def test_read_only_access_reads_but_does_not_write(server: RunningServer) -> None:
    keys = add_user_with_key(server, unique("ro"), ("arn:aws:iam::aws:policy/ReadOnlyAccess",))
    ro = server.client("iam", keys=keys)
    assert ro.list_policies(Scope="Local")["IsTruncated"] is False
    with pytest.raises(ClientError) as exc:
        ro.create_policy(PolicyName=unique("nope"), PolicyDocument=doc())
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert f"iam:CreatePolicy on resource: arn:aws:iam::{server.account_id}:policy/" in message


# --- customer managed policies ------------------------------------------------------


def test_create_policy_and_get_it(server: RunningServer, iam: Any) -> None:
    name = unique("Reader")
    created = make_policy(
        iam,
        name,
        Path="/team/",
        Description="reads objects",
        Tags=[{"Key": "owner", "Value": "me"}],
    )
    arn = f"arn:aws:iam::{server.account_id}:policy/team/{name}"
    assert created["Arn"] == arn
    assert created["PolicyId"].startswith("ANPA") and len(created["PolicyId"]) == 21
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == (
        "v1",
        0,
        True,
    )
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads objects"
    assert got["Tags"] == [{"Key": "owner", "Value": "me"}]
    assert got["CreateDate"] == got["UpdateDate"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == DOC and version["IsDefaultVersion"] is True


def test_policy_document_travels_url_encoded_as_aws_sends_it(
    server: RunningServer, iam: Any
) -> None:
    name = unique("wire")
    text = (
        '{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    )
    arn = make_policy(iam, name, PolicyDocument=text)["Arn"]
    raw: dict[str, bytes] = {}

    def grab(http_response: Any, **_: Any) -> None:
        raw["body"] = http_response.content

    iam.meta.events.register("after-call.iam.GetPolicyVersion", grab)
    try:
        iam.get_policy_version(PolicyArn=arn, VersionId="v1")
    finally:
        iam.meta.events.unregister("after-call.iam.GetPolicyVersion", grab)
    from urllib.parse import quote

    assert f"<Document>{quote(text, safe='')}</Document>".encode() in raw["body"]


def test_duplicate_policy_name_is_refused_regardless_of_case(
    server: RunningServer, iam: Any
) -> None:
    name = unique("Dup")
    make_policy(iam, name)
    before = tables(server)
    with pytest.raises(ClientError) as exc:
        make_policy(iam, name.lower())
    assert error_of(exc) == (
        "EntityAlreadyExists",
        f"A policy called {name.lower()} already exists. Duplicate names are not allowed.",
        409,
    )
    assert tables(server) == before


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{", "Syntax errors in policy."),
        (
            json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}
            ),
            "Policy statement must contain actions.",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                    ],
                }
            ),
            "Policy document should not specify a principal.",
        ),
    ],
)
def test_malformed_documents_are_rejected(
    server: RunningServer, iam: Any, document: str, reason: str
) -> None:
    before = tables(server)
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=unique("bad"), PolicyDocument=document)
    assert error_of(exc) == ("MalformedPolicyDocument", reason, 400)
    assert tables(server) == before


def test_policy_over_6144_characters_exceeds_the_quota(iam: Any) -> None:
    actions = [f"s3:GetObjectVersionTagging{i:04d}" for i in range(200)]
    with pytest.raises(ClientError) as exc:
        iam.create_policy(
            PolicyName=unique("big"),
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                }
            ),
        )
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)


def test_unknown_and_malformed_policy_arns(server: RunningServer, iam: Any) -> None:
    missing = f"arn:aws:iam::{server.account_id}:policy/missing"
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=missing)
    assert error_of(exc) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn="arn:aws:iam::not-an-account:policy/x")
    assert error_of(exc) == (
        "InvalidInput",
        "ARN arn:aws:iam::not-an-account:policy/x is not valid.",
        400,
    )


def test_versions_create_list_set_default_and_delete(iam: Any) -> None:
    arn = make_policy(iam, unique("versioned"))["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc("s3:PutObject"))[
        "PolicyVersion"
    ]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", False)
    v3 = iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=doc("s3:ListBucket"), SetAsDefault=True
    )
    assert v3["PolicyVersion"]["IsDefaultVersion"] is True
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [
        ("v3", True),
        ("v2", False),
        ("v1", False),
    ]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["DefaultVersionId"] == "v3"
    assert policy["UpdateDate"] == v3["PolicyVersion"]["CreateDate"]
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
        409,
    )
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    with pytest.raises(ClientError) as exc:
        iam.get_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(exc) == (
        "NoSuchEntity",
        f"Policy {arn} version v3 does not exist or is not attachable.",
        404,
    )
    # Version IDs are never reused.
    assert (
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc())["PolicyVersion"]["VersionId"]
        == "v4"
    )


def test_at_most_five_versions(server: RunningServer, iam: Any) -> None:
    arn = make_policy(iam, unique("five"))["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc())
    before = tables(server)
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc())
    assert error_of(exc) == (
        "LimitExceeded",
        (
            "A managed policy can have up to 5 versions. Before you create a "
            "new version, you must delete an existing version."
        ),
        409,
    )
    assert tables(server) == before


def test_delete_policy_refuses_while_attached_or_versioned(iam: Any) -> None:
    arn = make_policy(iam, unique("busy"))["Arn"]
    role = unique("holder")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps(
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
        ),
    )
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(), SetAsDefault=True)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc) == (
        "DeleteConflict",
        (
            "This policy has more than one version. Before you delete a "
            "policy, you must delete the policy's versions. The default version is deleted "
            "with the policy."
        ),
        409,
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_list_local_policies_pages_and_filters(iam: Any) -> None:
    path = f"/{unique('lp')}/"
    names = [f"p{i}-{uuid.uuid4().hex[:4]}" for i in range(5)]
    for n in names:
        make_policy(iam, n, Path=path)
    seen, marker = [], None
    while True:
        page = iam.list_policies(
            Scope="Local", PathPrefix=path, MaxItems=2, **({"Marker": marker} if marker else {})
        )
        seen += [p["PolicyName"] for p in page["Policies"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == sorted(names, key=str.lower)


def test_list_all_merges_local_and_aws_policies_across_pages(iam: Any) -> None:
    everything = (
        iam.get_paginator("list_policies")
        .paginate(Scope="All", PaginationConfig={"PageSize": 250})
        .build_full_result()["Policies"]
    )
    keys = [(p["PolicyName"].lower(), p["Arn"]) for p in everything]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert {p["Arn"].split(":")[4] for p in everything} >= {"aws"}
    local = iam.list_policies(Scope="Local", MaxItems=1000)["Policies"]
    assert {p["Arn"] for p in local} <= {p["Arn"] for p in everything}


def test_only_attached_lists_policies_in_use(iam: Any) -> None:
    used = make_policy(iam, unique("used"))["Arn"]
    unused = make_policy(iam, unique("unused"))["Arn"]
    role = unique("user-of")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps(
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
        ),
        PermissionsBoundary="arn:aws:iam::aws:policy/SecurityAudit",
    )
    iam.attach_role_policy(RoleName=role, PolicyArn=used)
    attached = {
        p["Arn"]: p for p in iam.list_policies(OnlyAttached=True, MaxItems=1000)["Policies"]
    }
    assert used in attached and unused not in attached
    assert attached[used]["AttachmentCount"] == 1
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in attached
    boundaries = {
        p["Arn"]: p
        for p in iam.list_policies(
            OnlyAttached=True, PolicyUsageFilter="PermissionsBoundary", MaxItems=1000
        )["Policies"]
    }
    assert "arn:aws:iam::aws:policy/SecurityAudit" in boundaries
    assert boundaries["arn:aws:iam::aws:policy/SecurityAudit"]["PermissionsBoundaryUsageCount"] == 1
    assert used not in boundaries


def test_policy_tags(iam: Any) -> None:
    arn = make_policy(iam, unique("tags"))["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}])
    page = iam.list_policy_tags(PolicyArn=arn, MaxItems=1)
    assert page["Tags"] == [{"Key": "k1", "Value": "v1"}] and page["IsTruncated"] is True
    assert iam.list_policy_tags(PolicyArn=arn, Marker=page["Marker"])["Tags"] == [
        {"Key": "k2", "Value": "v2"}
    ]
    iam.untag_policy(PolicyArn=arn, TagKeys=["K1"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    with pytest.raises(ClientError) as exc:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "aws:x", "Value": "v"}])
    assert error_of(exc)[0] == "InvalidInput"
