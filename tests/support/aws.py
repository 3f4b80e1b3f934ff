"""Small helpers every API test uses."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a failed call, as the client saw them."""
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def unique(prefix: str) -> str:
    """A fresh name: tests share one server per module."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
