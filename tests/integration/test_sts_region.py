"""STS deactivated in a region (Settings.sts_disabled_regions): credential-issuing calls
signed for it answer RegionDisabledException; other calls and other regions work.
Also: RoleLastUsed, written at most once a minute per role, still follows the region."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.aws import error_of, role_trusting_admin, unique
from tests.support.servers import RunningServer, start_server

OFF = "us-west-2"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("gatehold-data")
    # us-east-1 cannot be deactivated (as in AWS): naming it changes nothing.
    env = {"GATEHOLD_STS_DISABLED_REGIONS": f" {OFF}, eu-west-1 ,us-east-1"}
    with start_server(data_dir, module_database_url, extra_env=env) as running:
        yield running


def sts_in(server: RunningServer, region: str, creds: dict[str, str] | None = None) -> Any:
    key, secret = server.admin_keys
    creds = creds or {"AccessKeyId": key, "SecretAccessKey": secret}
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        config=Config(retries={"max_attempts": 1}),
    )


def region_disabled(account: str) -> tuple[str, str, int]:
    message = (
        f"STS is not activated in this region for account:{account}. Your account "
        "administrator can activate STS in this region using the IAM Console."
    )
    return "RegionDisabledException", message, 403


def test_credential_calls_in_a_deactivated_region_are_refused(
    server: RunningServer, iam: Any
) -> None:
    role = role_trusting_admin(server)
    acct = server.account_id
    sts = sts_in(server, OFF)
    calls: list[tuple[Any, dict[str, Any]]] = [
        (sts.assume_role, {"RoleArn": role["Arn"], "RoleSessionName": "s1"}),
        (sts.get_session_token, {"DurationSeconds": 900}),
        (sts.get_federation_token, {"Name": "fed", "DurationSeconds": 900}),
        (sts_in(server, "eu-west-1").get_session_token, {}),
    ]
    for call, params in calls:
        with pytest.raises(ClientError) as exc:
            call(**params)
        assert error_of(exc) == region_disabled(acct)
    # The refused AssumeRole changed nothing: the role was never used.
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"] == {}
    # Calls that issue no credentials work in that region.
    assert sts.get_caller_identity()["Account"] == acct


def test_the_message_names_the_account_that_would_issue(server: RunningServer) -> None:
    # AssumeRole's credentials come from the role's account, whoever calls.
    other_role = "arn:aws:iam::999999999999:role/elsewhere"
    with pytest.raises(ClientError) as exc:
        sts_in(server, OFF).assume_role(RoleArn=other_role, RoleSessionName="s1")
    assert error_of(exc) == region_disabled("999999999999")


def test_other_regions_issue_and_credentials_work_everywhere(
    server: RunningServer, iam: Any
) -> None:
    role = role_trusting_admin(server)
    for region in ("us-east-1", "ap-southeast-2"):
        creds = sts_in(server, region).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")[
            "Credentials"
        ]
        # Credentials from an active region are valid in every region, the
        # deactivated one included (AWS: activation only governs issuing).
        assert (
            sts_in(server, OFF, creds)
            .get_caller_identity()["Arn"]
            .endswith(f"assumed-role/{role['RoleName']}/s1")
        )
        last = iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]
        # RoleLastUsed is written at most once a minute per role, but a new region
        # is always recorded.
        assert last["Region"] == region
    # Within the minute, in the same region, it is not rewritten (AWS documents it as
    # approximate): the date stays that of the first use.
    time.sleep(1.1)  # past the date's one-second precision
    sts_in(server, "ap-southeast-2").assume_role(RoleArn=role["Arn"], RoleSessionName="s2")
    again = iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]
    assert again == last


def test_a_denial_text_is_awss_own_when_encoding_is_off(server: RunningServer, iam: Any) -> None:
    name = unique("u")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    plain = server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as exc:
        plain.create_user(UserName=unique("x"))
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {arn} is not authorized to perform: iam:CreateUser")
    assert message.endswith("because no identity-based policy allows the iam:CreateUser action")
    assert "Encoded authorization failure message" not in json.dumps(exc.value.response)
