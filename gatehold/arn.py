"""ARNs of the entities gatehold owns."""

from __future__ import annotations


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """arn:aws:iam::<account>:<kind><path><name>, e.g. user/dev/john-dev."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def aws_managed_policy_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::aws:policy{path}{name}"
