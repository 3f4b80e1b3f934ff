"""SimulatePrincipalPolicy and GetContextKeysForPrincipalPolicy over stored policies.

A user's simulation includes its inline and attached policies, those of every
group it belongs to, and its permissions boundary; a group's or role's only its
own. SourcePolicyId names a managed policy by name and an inline policy as
<type>_<entity>_<policy>.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.policy_seed import allow, deny, seeding
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer

DATA = "arn:aws:s3:::data"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    resp = exc.value.response
    return (
        resp["ResponseMetadata"]["HTTPStatusCode"],
        resp["Error"]["Code"],
        resp["Error"]["Message"],
    )


@dataclass(frozen=True)
class Team:
    user_arn: str
    group_arn: str
    role_arn: str
    read_arn: str  # customer managed, attached to the group
    boundary_arn: str


@pytest.fixture(scope="module")
def team(server: RunningServer) -> Team:
    """dana (boundary: s3 and sqs only) in group analysts; a role with its own policies."""
    with seeding(server) as s:
        boundary = s.policy("S3AndSqsOnly", allow(["s3:*", "sqs:*"]))
        user_id, user_arn = s.user("dana", path="/staff/", boundary_arn=boundary)
        group_id, group_arn = s.group("analysts")
        s.member(group_id, user_id)
        read = s.policy("ReadData", allow(["s3:GetObject", "s3:ListBucket"], [DATA, f"{DATA}/*"]))
        s.attach("group", group_id, read)
        s.inline("group", group_id, "QueueAccess", allow("sqs:SendMessage"))
        s.inline("user", user_id, "NoSecrets", deny("s3:*", f"{DATA}/secret/*"))
        s.inline(
            "user",
            user_id,
            "Tagging",
            allow(
                "iam:TagUser",
                "*",
                Condition={"StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"}},
            ),
        )
        role_id, role_arn = s.role("reporter")
        s.attach("role", role_id, read)
        s.inline("role", role_id, "Write", allow("s3:PutObject", f"{DATA}/out/*"))
    return Team(user_arn, group_arn, role_arn, read, boundary)


def simulate(
    server: RunningServer, source: str, actions: list[str], **kw: Any
) -> list[dict[str, Any]]:
    resp = server.client("iam").simulate_principal_policy(
        PolicySourceArn=source, ActionNames=actions, **kw
    )
    results: list[dict[str, Any]] = resp["EvaluationResults"]
    return results


def decisions(results: list[dict[str, Any]]) -> list[str]:
    return [r["EvalDecision"] for r in results]


def test_a_users_simulation_includes_its_groups(server: RunningServer, team: Team) -> None:
    results = simulate(
        server,
        team.user_arn,
        ["s3:GetObject", "sqs:SendMessage", "s3:PutObject"],
        ResourceArns=[f"{DATA}/report.csv"],
    )
    assert decisions(results) == ["allowed", "allowed", "implicitDeny"]
    assert [m["SourcePolicyId"] for m in results[0]["MatchedStatements"]] == ["ReadData"]
    assert [m["SourcePolicyId"] for m in results[1]["MatchedStatements"]] == [
        "group_analysts_QueueAccess"
    ]
    assert {m["SourcePolicyType"] for r in results for m in r["MatchedStatements"]} == {
        "IAM Policy"
    }
    # dana has a boundary: every result says whether it allowed.
    assert [
        r["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] for r in results
    ] == [True, True, True]


def test_user_inline_deny_wins(server: RunningServer, team: Team) -> None:
    [result] = simulate(server, team.user_arn, ["s3:GetObject"], ResourceArns=[f"{DATA}/secret/k"])
    assert result["EvalDecision"] == "explicitDeny"
    assert [m["SourcePolicyId"] for m in result["MatchedStatements"]] == ["user_dana_NoSecrets"]


def test_stored_boundary_limits_and_a_given_boundary_replaces_it(
    server: RunningServer, team: Team
) -> None:
    only_iam = json.dumps(allow("iam:*"))
    [tag] = simulate(
        server,
        team.user_arn,
        ["iam:TagUser"],
        ContextEntries=[
            {
                "ContextKeyName": "aws:RequestTag/team",
                "ContextKeyValues": ["x"],
                "ContextKeyType": "string",
            },
            {
                "ContextKeyName": "aws:PrincipalTag/team",
                "ContextKeyValues": ["x"],
                "ContextKeyType": "string",
            },
        ],
    )
    assert tag["EvalDecision"] == "implicitDeny"  # the inline policy allows; the boundary does not
    assert tag["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    get, tag = simulate(
        server,
        team.user_arn,
        ["s3:GetObject", "iam:TagUser"],
        PermissionsBoundaryPolicyInputList=[only_iam],
        ContextEntries=[
            {
                "ContextKeyName": "aws:RequestTag/team",
                "ContextKeyValues": ["x"],
                "ContextKeyType": "string",
            },
            {
                "ContextKeyName": "aws:PrincipalTag/team",
                "ContextKeyValues": ["x"],
                "ContextKeyType": "string",
            },
        ],
    )
    assert (get["EvalDecision"], tag["EvalDecision"]) == ("implicitDeny", "allowed")


def test_missing_context_values_name_the_variables(server: RunningServer, team: Team) -> None:
    [tag] = simulate(server, team.user_arn, ["iam:TagUser"])
    assert sorted(tag["MissingContextValues"]) == ["aws:PrincipalTag/team", "aws:RequestTag/team"]


def test_exclusions_and_extra_policies(server: RunningServer, team: Team) -> None:
    base = {"ResourceArns": [f"{DATA}/report.csv"]}
    [by_arn] = simulate(
        server,
        team.user_arn,
        ["s3:GetObject"],
        PolicyExclusionList=[{"PolicyArn": team.read_arn}],
        **base,
    )
    assert by_arn["EvalDecision"] == "implicitDeny"
    [by_inline] = simulate(
        server,
        team.user_arn,
        ["sqs:SendMessage"],
        PolicyExclusionList=[
            {
                "InlinePolicyIdentifier": {
                    "PolicyName": "QueueAccess",
                    "AttachmentType": "group",
                    "AttachmentName": "analysts",
                }
            }
        ],
    )
    assert by_inline["EvalDecision"] == "implicitDeny"
    [no_boundary] = simulate(
        server,
        team.user_arn,
        ["s3:GetObject"],
        PolicyExclusionList=[{"PolicyType": "permission-boundary"}],
        **base,
    )
    assert "PermissionsBoundaryDecisionDetail" not in no_boundary
    [extra] = simulate(
        server,
        team.user_arn,
        ["s3:PutObject"],
        PolicyInputList=[json.dumps(allow("s3:PutObject"))],
        **base,
    )
    assert extra["EvalDecision"] == "allowed"
    assert [m["SourcePolicyId"] for m in extra["MatchedStatements"]] == ["PolicyInputList.1"]


def test_a_group_or_role_simulates_only_its_own_policies(server: RunningServer, team: Team) -> None:
    assert decisions(
        simulate(
            server, team.group_arn, ["s3:GetObject", "iam:TagUser"], ResourceArns=[f"{DATA}/x"]
        )
    ) == ["allowed", "implicitDeny"]
    put, get = simulate(
        server, team.role_arn, ["s3:PutObject", "s3:GetObject"], ResourceArns=[f"{DATA}/out/x"]
    )
    assert (put["EvalDecision"], get["EvalDecision"]) == ("allowed", "allowed")
    assert [m["SourcePolicyId"] for m in put["MatchedStatements"]] == ["role_reporter_Write"]


def test_resource_policy_naming_the_user_uses_it_as_caller(
    server: RunningServer, team: Team
) -> None:
    bucket = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": team.user_arn},
                    "Action": "s3:DeleteObject",
                    "Resource": f"{DATA}/*",
                }
            ],
        }
    )
    [result] = simulate(
        server,
        team.user_arn,
        ["s3:DeleteObject"],
        ResourcePolicy=bucket,
        ResourceArns=[f"{DATA}/tmp"],
    )
    # A same-account grant to the user itself stands even though dana's identity
    # policies do not allow it.
    assert result["EvalDecision"] == "allowed"
    assert [m["SourcePolicyType"] for m in result["MatchedStatements"]] == ["Resource Policy"]


def test_unknown_entity_and_bad_arn(server: RunningServer, team: Team) -> None:
    iam = server.client("iam")
    for kind in ("user", "group", "role"):
        with pytest.raises(ClientError) as exc:
            iam.simulate_principal_policy(
                PolicySourceArn=f"arn:aws:iam::{server.account_id}:{kind}/ghost",
                ActionNames=["s3:GetObject"],
            )
        assert error_of(exc) == (
            404,
            "NoSuchEntity",
            f"The {kind} with name ghost cannot be found.",
        )
    assumed = f"arn:aws:sts::{server.account_id}:assumed-role/reporter/session"
    with pytest.raises(ClientError) as exc:
        iam.simulate_principal_policy(PolicySourceArn=assumed, ActionNames=["s3:GetObject"])
    assert error_of(exc) == (
        400,
        "InvalidInput",
        f"Invalid Entity Arn: {assumed} does not clearly define entity type and name.",
    )


def test_context_keys_for_principal_policy(server: RunningServer, team: Team) -> None:
    iam = server.client("iam")
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=team.user_arn)[
        "ContextKeyNames"
    ]
    assert keys == ["aws:PrincipalTag/team", "aws:RequestTag/team"]
    extra = json.dumps(
        allow("s3:GetObject", "*", Condition={"Bool": {"aws:SecureTransport": "true"}})
    )
    keys = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=team.group_arn, PolicyInputList=[extra]
    )
    assert keys["ContextKeyNames"] == ["aws:SecureTransport"]


def test_denied_caller_learns_nothing_about_which_entities_exist(
    server: RunningServer, team: Team
) -> None:
    keys = add_user_with_key(server, "sim-curious")
    iam = server.client("iam", keys=keys)
    me = f"arn:aws:iam::{server.account_id}:user/sim-curious"
    ghost = f"arn:aws:iam::{server.account_id}:user/ghost"
    for source in (team.user_arn, ghost):
        with pytest.raises(ClientError) as exc:
            iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=["s3:GetObject"])
        assert error_of(exc) == (
            403,
            "AccessDenied",
            (
                f"User: {me} is not authorized to perform: iam:SimulatePrincipalPolicy "
                f"on resource: {source} "
                "because no identity-based policy allows the iam:SimulatePrincipalPolicy action"
            ),
        )
        with pytest.raises(ClientError) as exc:
            iam.get_context_keys_for_principal_policy(PolicySourceArn=source)
        assert error_of(exc)[:2] == (403, "AccessDenied")


def test_permission_on_one_user_is_enough_for_that_user(server: RunningServer, team: Team) -> None:
    with seeding(server) as s:
        user_id, _ = s.user("sim-auditor")
        keys = s.key(user_id)
        s.inline(
            "user", user_id, "SimulateDana", allow("iam:SimulatePrincipalPolicy", team.user_arn)
        )
    iam = server.client("iam", keys=keys)
    ok = iam.simulate_principal_policy(PolicySourceArn=team.user_arn, ActionNames=["s3:GetObject"])
    assert ok["EvaluationResults"][0]["EvalActionName"] == "s3:GetObject"
    with pytest.raises(ClientError) as exc:
        iam.simulate_principal_policy(PolicySourceArn=team.role_arn, ActionNames=["s3:GetObject"])
    assert error_of(exc)[:2] == (403, "AccessDenied")


def test_the_targets_tags_are_resource_tags(server: RunningServer, team: Team) -> None:
    with seeding(server) as s:
        tagged_id, tagged_arn = s.user("sim-tagged")
        s.tag("user", tagged_id, "team", "blue")
        _, untagged_arn = s.user("sim-untagged")
        auditor_id, _ = s.user("sim-team-auditor")
        keys = s.key(auditor_id)
        s.inline(
            "user",
            auditor_id,
            "BlueOnly",
            allow(
                "iam:SimulatePrincipalPolicy",
                "*",
                Condition={"StringEquals": {"iam:ResourceTag/team": "blue"}},
            ),
        )
    iam = server.client("iam", keys=keys)
    assert (
        iam.simulate_principal_policy(PolicySourceArn=tagged_arn, ActionNames=["s3:GetObject"])[
            "EvaluationResults"
        ][0]["EvalDecision"]
        == "implicitDeny"
    )
    with pytest.raises(ClientError) as exc:
        iam.simulate_principal_policy(PolicySourceArn=untagged_arn, ActionNames=["s3:GetObject"])
    assert error_of(exc)[:2] == (403, "AccessDenied")
