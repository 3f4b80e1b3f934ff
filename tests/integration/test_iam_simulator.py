"""SimulateCustomPolicy and GetContextKeysForCustomPolicy through boto3, against a real server.

Shapes follow the API reference and real AWS answers: SourcePolicyId
"PolicyInputList.N", SourcePolicyType "IAM Policy", one result per (action,
resource), ResourceSpecificResults and an empty EvalDecisionDetails for a
resource ARN, neither for "*".
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.policy_seed import allow, deny
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer

BUCKET = "arn:aws:s3:::reports"
READ_REPORTS = json.dumps(allow("s3:GetObject", f"{BUCKET}/*"))


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    resp = exc.value.response
    return (
        resp["ResponseMetadata"]["HTTPStatusCode"],
        resp["Error"]["Code"],
        resp["Error"]["Message"],
    )


def simulate(server: RunningServer, **kw: Any) -> dict[str, Any]:
    resp: dict[str, Any] = server.client("iam").simulate_custom_policy(**kw)
    return resp


def test_allowed_on_every_resource_reports_the_matching_statement(server: RunningServer) -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'
    )
    resp = simulate(server, PolicyInputList=[text], ActionNames=["s3:GetObject"])
    assert resp["IsTruncated"] is False
    [result] = resp["EvaluationResults"]
    assert result == {
        "EvalActionName": "s3:GetObject",
        "EvalResourceName": "*",  # the default when ResourceArns is left out
        "EvalDecision": "allowed",
        "MatchedStatements": [
            {
                "SourcePolicyId": "PolicyInputList.1",
                "SourcePolicyType": "IAM Policy",
                # From the statement's opening brace to its closing brace (1-based).
                "StartPosition": {"Line": 1, "Column": text.index('{"Effect') + 1},
                "EndPosition": {"Line": 1, "Column": text.index("}]}") + 1},
            }
        ],
        "MissingContextValues": [],
    }


def test_each_action_is_evaluated_on_each_resource_in_order(server: RunningServer) -> None:
    resources = [f"{BUCKET}/a.txt", "arn:aws:s3:::other/b.txt"]
    resp = simulate(
        server,
        PolicyInputList=[READ_REPORTS],
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=resources,
    )
    pairs = [
        (r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"])
        for r in resp["EvaluationResults"]
    ]
    assert pairs == [
        ("s3:GetObject", resources[0], "allowed"),
        ("s3:GetObject", resources[1], "implicitDeny"),
        ("s3:PutObject", resources[0], "implicitDeny"),
        ("s3:PutObject", resources[1], "implicitDeny"),
    ]
    first = resp["EvaluationResults"][0]
    # A resource ARN in the same account: details present but empty, one specific result.
    assert first["EvalDecisionDetails"] == {}
    [specific] = first["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == resources[0]
    assert specific["EvalResourceDecision"] == "allowed"
    assert specific["MatchedStatements"] == first["MatchedStatements"]
    assert resp["EvaluationResults"][1]["MatchedStatements"] == []


def test_explicit_deny_reports_only_the_deny(server: RunningServer) -> None:
    resp = simulate(
        server,
        PolicyInputList=[READ_REPORTS, json.dumps(deny("s3:*", f"{BUCKET}/secret/*"))],
        ActionNames=["s3:GetObject"],
        ResourceArns=[f"{BUCKET}/secret/x"],
    )
    [result] = resp["EvaluationResults"]
    assert result["EvalDecision"] == "explicitDeny"
    assert [m["SourcePolicyId"] for m in result["MatchedStatements"]] == ["PolicyInputList.2"]


def test_missing_context_values_then_supplied(server: RunningServer) -> None:
    policy = json.dumps(
        allow("s3:GetObject", "*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    )
    without = simulate(server, PolicyInputList=[policy], ActionNames=["s3:GetObject"])[
        "EvaluationResults"
    ][0]
    assert without["EvalDecision"] == "implicitDeny"
    assert without["MissingContextValues"] == ["aws:SourceIp"]
    inside = simulate(
        server,
        PolicyInputList=[policy],
        ActionNames=["s3:GetObject"],
        ContextEntries=[
            {
                "ContextKeyName": "aws:SourceIp",
                "ContextKeyValues": ["203.0.113.9"],
                "ContextKeyType": "ip",
            }
        ],
    )
    assert inside["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert inside["EvaluationResults"][0]["MissingContextValues"] == []


@pytest.mark.parametrize(
    ("key", "kind", "values", "expected"),
    [
        ("aws:MultiFactorAuthAge", "numeric", ["300"], "allowed"),
        ("aws:MultiFactorAuthPresent", "boolean", ["TRUE"], "allowed"),  # booleans ignore case
        ("aws:CurrentTime", "date", ["2025-06-01T12:00:00Z"], "allowed"),
        ("aws:TagKeys", "stringList", ["team", "cost"], "allowed"),
    ],
)
def test_context_key_types(
    server: RunningServer, key: str, kind: str, values: list[str], expected: str
) -> None:
    conditions = {
        "aws:MultiFactorAuthAge": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
        "aws:MultiFactorAuthPresent": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        "aws:CurrentTime": {"DateGreaterThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}},
        "aws:TagKeys": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}},
    }
    policy = json.dumps(allow("iam:TagUser", "*", Condition=conditions[key]))
    resp = simulate(
        server,
        PolicyInputList=[policy],
        ActionNames=["iam:TagUser"],
        ContextEntries=[
            {"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": kind}
        ],
    )
    assert resp["EvaluationResults"][0]["EvalDecision"] == expected


@pytest.mark.parametrize("kind", ["numeric", "ip", "date", "boolean"])
def test_a_context_value_of_the_wrong_type_is_invalid_input(
    server: RunningServer, kind: str
) -> None:
    with pytest.raises(ClientError) as exc:
        simulate(
            server,
            PolicyInputList=[READ_REPORTS],
            ActionNames=["s3:GetObject"],
            ContextEntries=[
                {
                    "ContextKeyName": "aws:SomeKey",
                    "ContextKeyValues": ["not-a-value"],
                    "ContextKeyType": kind,
                }
            ],
        )
    status, code, message = error_of(exc)
    assert (status, code) == (400, "InvalidInput")
    assert "aws:SomeKey" in message


def test_boundary_limits_and_is_reported(server: RunningServer) -> None:
    boundary = json.dumps(allow("s3:ListBucket", "*"))
    resp = simulate(
        server,
        PolicyInputList=[READ_REPORTS],
        PermissionsBoundaryPolicyInputList=[boundary],
        ActionNames=["s3:GetObject"],
        ResourceArns=[f"{BUCKET}/a"],
    )
    [result] = resp["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    assert result["ResourceSpecificResults"][0]["PermissionsBoundaryDecisionDetail"] == {
        "AllowedByPermissionsBoundary": False
    }
    with pytest.raises(ClientError) as exc:
        simulate(
            server,
            PolicyInputList=[READ_REPORTS],
            PermissionsBoundaryPolicyInputList=[boundary, boundary],
            ActionNames=["s3:GetObject"],
        )
    assert error_of(exc)[:2] == (400, "InvalidInput")


def test_cross_account_resource_policy_details_each_policy_type(server: RunningServer) -> None:
    bucket_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::210987654321:user/carol"},
                    "Action": "s3:GetObject",
                    "Resource": f"{BUCKET}/*",
                }
            ],
        }
    )
    resp = simulate(
        server,
        PolicyInputList=[json.dumps(allow(["s3:GetObject", "s3:PutObject"]))],
        ResourcePolicy=bucket_policy,
        CallerArn="arn:aws:iam::210987654321:user/carol",
        ResourceOwner="arn:aws:iam::123456789012:root",
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=[f"{BUCKET}/a"],
    )
    get, put = resp["EvaluationResults"]
    assert get["EvalDecision"] == "allowed"
    assert {m["SourcePolicyType"] for m in get["MatchedStatements"]} == {
        "IAM Policy",
        "Resource Policy",
    }
    assert get["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    assert put["EvalDecision"] == "implicitDeny"
    assert put["EvalDecisionDetails"] == {
        "IAM Policy": "allowed",
        "Resource Policy": "implicitDeny",
    }


def test_organization_policies_are_levels_and_not_in_matched_statements(
    server: RunningServer,
) -> None:
    everything = json.dumps(allow("*"))
    no_s3 = json.dumps(deny("s3:*"))
    resp = simulate(
        server,
        PolicyInputList=[everything],
        ActionNames=["s3:GetObject", "iam:GetUser"],
        OrderedOrganizationPolicyInputList=[
            {"ServiceControlPolicyInputList": [everything]},
            {"ServiceControlPolicyInputList": [everything, no_s3]},
        ],
    )
    s3, iam = resp["EvaluationResults"]
    assert s3["EvalDecision"] == "explicitDeny"
    assert s3["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    assert s3["MatchedStatements"] == []  # SCP statements are not reported
    assert iam["EvalDecision"] == "allowed"
    assert iam["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}


def test_pages_through_results_with_marker(server: RunningServer) -> None:
    kw: dict[str, Any] = {
        "PolicyInputList": [READ_REPORTS],
        "ActionNames": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "ResourceArns": [f"{BUCKET}/a", f"{BUCKET}/b"],
    }
    first = simulate(server, MaxItems=4, **kw)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 4
    second = simulate(server, MaxItems=4, Marker=first["Marker"], **kw)
    assert second["IsTruncated"] is False and "Marker" not in second
    assert [(r["EvalActionName"], r["EvalResourceName"]) for r in second["EvaluationResults"]] == [
        ("s3:ListBucket", f"{BUCKET}/a"),
        ("s3:ListBucket", f"{BUCKET}/b"),
    ]
    pages = (
        server.client("iam")
        .get_paginator("simulate_custom_policy")
        .paginate(PaginationConfig={"PageSize": 1}, **kw)
    )
    assert len([r for page in pages for r in page["EvaluationResults"]]) == 6
    with pytest.raises(ClientError) as exc:
        simulate(server, Marker="bm90LWEtbWFya2Vy", **kw)
    assert error_of(exc) == (400, "InvalidInput", "Invalid Marker.")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"ResourceOwner": "123456789012"}, "'123456789012' is not a valid as a Resource Owner."),
        ({"ResourceArns": ["reports"]}, "ResourceNames are not in a valid ARN format: reports."),
        (
            {"PolicyInputList": [json.dumps(allow("s3:*")).replace("Allow", "allow")]},
            "The policy failed legacy parsing",
        ),
        ({"PolicyInputList": ["not json"]}, "Syntax errors in policy."),
        (
            {
                "ResourcePolicy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                        ],
                    }
                ),
                "ResourceArns": [f"{BUCKET}/a"],
            },
            "Invalid caller - Caller cannot be null or empty.",
        ),
        (
            {"CallerArn": "arn:aws:sts::123456789012:assumed-role/r/s"},
            (
                "Invalid Entity Arn: arn:aws:sts::123456789012:assumed-role/r/s "
                "does not clearly define entity type and name."
            ),
        ),
    ],
)
def test_invalid_input(server: RunningServer, extra: dict[str, Any], message: str) -> None:
    kw: dict[str, Any] = {
        "PolicyInputList": [READ_REPORTS],
        "ActionNames": ["s3:GetObject"],
        **extra,
    }
    with pytest.raises(ClientError) as exc:
        simulate(server, **kw)
    assert error_of(exc) == (400, "InvalidInput", message)


def test_context_keys_for_custom_policy(server: RunningServer) -> None:
    one = json.dumps(
        allow(
            "s3:GetObject",
            "arn:aws:s3:::home/${aws:username}/*",
            Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        )
    )
    two = json.dumps(
        allow(
            "s3:PutObject",
            "*",
            Condition={"StringEquals": {"AWS:SourceIP": "x", "s3:x-amz-acl": "private"}},
        )
    )
    keys = server.client("iam").get_context_keys_for_custom_policy(PolicyInputList=[one, two])[
        "ContextKeyNames"
    ]
    # Each key once (names ignore case), from conditions and policy variables.
    assert sorted(k.lower() for k in keys) == ["aws:sourceip", "aws:username", "s3:x-amz-acl"]
    with pytest.raises(ClientError) as exc:
        server.client("iam").get_context_keys_for_custom_policy(PolicyInputList=["{"])
    assert error_of(exc) == (400, "InvalidInput", "Syntax errors in policy.")


def test_a_user_without_permission_is_denied_on_star(server: RunningServer) -> None:
    keys = add_user_with_key(server, "sim-nobody")
    iam = server.client("iam", keys=keys)
    arn = f"arn:aws:iam::{server.account_id}:user/sim-nobody"
    with pytest.raises(ClientError) as exc:
        iam.simulate_custom_policy(PolicyInputList=[READ_REPORTS], ActionNames=["s3:GetObject"])
    assert error_of(exc) == (
        403,
        "AccessDenied",
        (
            f"User: {arn} is not authorized to perform: iam:SimulateCustomPolicy on resource: * "
            "because no identity-based policy allows the iam:SimulateCustomPolicy action"
        ),
    )
    with pytest.raises(ClientError) as exc:
        iam.get_context_keys_for_custom_policy(PolicyInputList=[READ_REPORTS])
    assert error_of(exc)[:2] == (403, "AccessDenied")


def test_aws_owned_resources_are_not_another_accounts(server: RunningServer) -> None:
    # arn:aws:iam::aws:policy/... belongs to AWS, not to an account: no resource
    # policy is needed to read an AWS managed policy.
    resp = simulate(
        server,
        PolicyInputList=[json.dumps(allow("iam:GetPolicy"))],
        CallerArn=f"arn:aws:iam::{server.account_id}:user/admin",
        ActionNames=["iam:GetPolicy"],
        ResourceArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    )
    [result] = resp["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert result["EvalDecisionDetails"] == {}
