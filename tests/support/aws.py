"""Small helpers every API test uses."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.support.servers import RunningServer


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a failed call, as the client saw them."""
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def unique(prefix: str) -> str:
    """A fresh name: tests share one server per module."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def session_client(server: RunningServer, service: str, creds: dict[str, Any]) -> Any:
    """A boto3 client signing with temporary credentials (an STS answer's Credentials)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def enable_mfa(iam: Any, user: str) -> tuple[str, pyotp.TOTP]:
    """A virtual MFA device enabled for `user` with two consecutive codes, as a person
    does with an authenticator app: (serial number, the app)."""
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("phone"))["VirtualMFADevice"]
    app = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=app.at(now - 30),
        AuthenticationCode2=app.at(now),
    )
    return device["SerialNumber"], app


def role_trusting_admin(server: RunningServer) -> dict[str, Any]:
    """A new role whose trust policy names the server's admin user."""
    admin_arn = server.client("sts").get_caller_identity()["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}
        ],
    }
    role: dict[str, Any] = server.client("iam").create_role(
        RoleName=unique("role"), AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    return role
