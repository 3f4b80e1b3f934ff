"""Which calls RegionDisabledException refuses, and which account it names."""

from __future__ import annotations

import pytest

from gatehold.errors import AwsError
from gatehold.services.sts import regions

OFF = regions.parse(" us-west-2,EU-WEST-1, ,us-east-1")
ROLE = {"RoleArn": "arn:aws:iam::222222222222:role/r"}


def test_the_setting_never_deactivates_us_east_1() -> None:
    assert frozenset({"us-west-2", "eu-west-1"}) == OFF
    assert regions.parse("") == frozenset()


@pytest.mark.parametrize(
    ("operation", "params", "account"),
    [
        ("AssumeRole", ROLE, "222222222222"),
        ("AssumeRoleWithWebIdentity", ROLE, "222222222222"),
        ("AssumeRoleWithSAML", ROLE, "222222222222"),
        ("AssumeRole", {"RoleArn": "not-an-arn"}, "111111111111"),
        ("AssumeRoot", {"TargetPrincipal": "333333333333"}, "333333333333"),
        ("GetSessionToken", {}, "111111111111"),
        ("GetFederationToken", {"Name": "f"}, "111111111111"),
    ],
)
def test_credential_calls_name_the_issuing_account(
    operation: str, params: dict[str, object], account: str
) -> None:
    with pytest.raises(AwsError) as exc:
        regions.check(OFF, "sts", operation, "us-west-2", params, "111111111111")
    assert (exc.value.code, exc.value.status) == ("RegionDisabledException", 403)
    assert f"for account:{account}. " in exc.value.message


@pytest.mark.parametrize(
    ("service", "operation", "region"),
    [
        ("sts", "GetCallerIdentity", "us-west-2"),
        ("sts", "DecodeAuthorizationMessage", "us-west-2"),
        ("sts", "AssumeRole", "us-east-1"),
        ("iam", "CreateUser", "us-west-2"),
    ],
)
def test_other_calls_and_regions_pass(service: str, operation: str, region: str) -> None:
    regions.check(OFF, service, operation, region, ROLE, "111111111111")
