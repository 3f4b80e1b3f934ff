"""Small helpers every API test uses."""

from __future__ import annotations

import uuid
from typing import Any

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
        service, endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
