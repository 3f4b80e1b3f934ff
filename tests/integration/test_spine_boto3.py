"""The spine as boto3 users see it: who am I, my user, and AWS's errors for bad calls."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of
from tests.support.raw import post
from tests.support.servers import RunningServer


def test_get_caller_identity_names_the_admin_user(server: RunningServer) -> None:
    ident = server.client("sts").get_caller_identity()
    assert ident["Account"] == server.account_id
    assert ident["Arn"] == f"arn:aws:iam::{server.account_id}:user/admin"
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", ident["UserId"])
    assert re.fullmatch(r"[0-9a-f-]{36}", ident["ResponseMetadata"]["RequestId"])


def test_get_user_without_name_describes_the_caller(server: RunningServer) -> None:
    user = server.client("iam").get_user()["User"]
    assert user["UserName"] == "admin"
    assert user["Path"] == "/"
    assert user["Arn"] == f"arn:aws:iam::{server.account_id}:user/admin"
    assert user["CreateDate"].tzinfo is not None


def test_get_user_by_name_is_case_insensitive_and_keeps_case(server: RunningServer) -> None:
    assert server.client("iam").get_user(UserName="ADMIN")["User"]["UserName"] == "admin"


def test_unknown_user_is_no_such_entity(server: RunningServer) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("iam").get_user(UserName="john-dev")
    assert error_of(exc) == ("NoSuchEntity", "The user with name john-dev cannot be found.", 404)


def test_too_long_user_name_gets_aws_validation_message(server: RunningServer) -> None:
    # GetUser names an existing user: botocore's model allows 128 characters there
    # (existingUserNameType), against 64 for CreateUser's userNameType.
    name = "a" * 129
    with pytest.raises(ClientError) as exc:
        server.client("iam").get_user(UserName=name)
    assert error_of(exc) == (
        "ValidationError",
        (
            f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy "
            "constraint: Member must have length less than or equal to 128"
        ),
        400,
    )


def test_wrong_secret_is_signature_does_not_match(server: RunningServer) -> None:
    key, _ = server.admin_keys
    sts = server.client("sts", keys=(key, "x" * 40))
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    code, message, status = error_of(exc)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match")


def test_unknown_key_is_invalid_client_token_id(server: RunningServer) -> None:
    sts = server.client("sts", keys=("AKIAIOSFODNN7EXAMPLE", "x" * 40))
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )


def test_modelled_but_unbuilt_operation_is_501_not_implemented(server: RunningServer) -> None:
    # Organizations (a JSON 1.1 protocol service) is not built yet: its operations
    # answer 501 in the JSON error shape, naming the operation.
    with pytest.raises(ClientError) as exc:
        server.client("organizations").describe_organization()
    code, message, status = error_of(exc)
    assert (code, status) == ("NotImplemented", 501)
    assert "DescribeOrganization" in message


def test_unsigned_request_is_missing_authentication_token(server: RunningServer) -> None:
    status, headers, body = post(
        server.endpoint,
        "Action=GetCallerIdentity&Version=2011-06-15",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in body
    assert headers["x-amzn-requestid"]


def test_unknown_action_is_invalid_action(server: RunningServer) -> None:
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    key, secret = server.admin_keys
    creds = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret).get_credentials()
    req = AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data="Action=FlyToTheMoon&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(creds, "sts", "us-east-1").add_auth(req)
    status, _, body = post(server.endpoint, req.body, dict(req.headers.items()))
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in body
    assert b"FlyToTheMoon" in body
