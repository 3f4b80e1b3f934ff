"""`gatehold policy validate|eval`, run as users run it: the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def gatehold() -> str:
    beside = Path(sys.executable).parent / "gatehold"
    found = str(beside) if beside.exists() else shutil.which("gatehold")
    if found is None:
        pytest.fail("the `gatehold` console script is not installed (pip install -e .)")
    return found


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [gatehold(), "policy", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def write(tmp_path: Path, name: str, doc: dict[str, Any] | str) -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))
    return str(path)


READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::data/*",
        },
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::data/secret/*",
        },
    ],
}
BUCKET = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::data/*",
        }
    ],
}


def test_validate_reports_each_file_and_fails_when_one_is_invalid(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", READ)
    legacy = write(
        tmp_path,
        "legacy.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}],
        },
    )
    broken = write(tmp_path, "broken.json", '{"Version": "2012-10-17", "Statement": [')
    out = run("validate", good, legacy, broken)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        f"{good}: valid",
        f"{legacy}: invalid: MalformedPolicyDocument: The policy failed legacy parsing",
        f"{broken}: invalid: MalformedPolicyDocument: Syntax errors in policy.",
    ]
    assert run("validate", good).returncode == 0


def test_validate_knows_where_a_policy_is_used(tmp_path: Path) -> None:
    bucket = write(tmp_path, "bucket.json", BUCKET)
    as_identity = run("validate", bucket)
    assert as_identity.returncode == 1
    assert "Policy document should not specify a principal." in as_identity.stdout
    assert run("validate", "--kind", "resource", bucket).returncode == 0


def test_validate_json_and_unreadable_files(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.json")
    out = run("validate", "--json", write(tmp_path, "good.json", READ), missing)
    assert out.returncode == 1
    results = json.loads(out.stdout)["results"]
    assert results[0] == {"file": str(tmp_path / "good.json"), "valid": True}
    assert results[1]["valid"] is False and results[1]["error"].startswith("cannot read")
    assert run("validate", "-", stdin=json.dumps(READ)).returncode == 0


def test_eval_allowed_and_why(tmp_path: Path) -> None:
    policy = write(tmp_path, "read.json", READ)
    out = run(
        "eval",
        "--policy",
        policy,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::data/a.txt",
    )
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "allowed: s3:GetObject on arn:aws:s3:::data/a.txt"
    assert "allowed by an identity-based policy" in lines[1]
    assert f"Allow statement 0 (Read) in identity-based file {policy}" in out.stdout


def test_eval_denials_say_which_kind(tmp_path: Path) -> None:
    policy = write(tmp_path, "read.json", READ)
    explicit = run(
        "eval",
        "--policy",
        policy,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::data/secret/k",
    )
    assert explicit.returncode == 1
    assert "with an explicit deny in an identity-based policy" in explicit.stdout
    assert "Deny statement 1 (NoSecrets)" in explicit.stdout
    implicit = run(
        "eval", "--policy", policy, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::data/a"
    )
    assert implicit.returncode == 1
    assert "because no identity-based policy allows the s3:PutObject action" in implicit.stdout
    boundary = write(
        tmp_path,
        "boundary.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
        },
    )
    bounded = run(
        "eval",
        "--policy",
        policy,
        "--boundary",
        boundary,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::data/a",
    )
    assert bounded.returncode == 1
    assert "because no permissions boundary allows the s3:GetObject action" in bounded.stdout


def test_eval_context_and_json(tmp_path: Path) -> None:
    policy = write(
        tmp_path,
        "office.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:TagUser",
                    "Resource": "*",
                    "Condition": {
                        "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]},
                    },
                }
            ],
        },
    )
    base = ["eval", "--policy", policy, "--action", "iam:TagUser", "--resource", "*", "--json"]
    missing = json.loads(run(*base).stdout)
    assert missing["decision"] == "implicitDeny"
    assert missing["missing_context_keys"] == ["aws:SourceIp", "aws:TagKeys"]
    inside = run(
        *base,
        "--context",
        "aws:SourceIp=203.0.113.7",
        "--context",
        "aws:TagKeys=team",
        "--context",
        "aws:TagKeys=cost",
    )
    assert inside.returncode == 0
    answer = json.loads(inside.stdout)
    assert answer["decision"] == "allowed" and answer["allowed"] is True and answer["reason"] == ""
    assert answer["matched_statements"][0]["file"] == policy
    outside = run(*base, "--context", "aws:SourceIp=198.51.100.1")
    assert outside.returncode == 1
    assert json.loads(outside.stdout)["reason"] == (
        "because no identity-based policy allows the iam:TagUser action"
    )


def test_eval_resource_policy_needs_the_principal(tmp_path: Path) -> None:
    nothing = write(
        tmp_path,
        "none.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
        },
    )
    bucket = write(tmp_path, "bucket.json", BUCKET)
    base = [
        "eval",
        "--policy",
        nothing,
        "--resource-policy",
        bucket,
        "--action",
        "s3:PutObject",
        "--resource",
        "arn:aws:s3:::data/x",
    ]
    assert run(*base, "--principal-arn", "arn:aws:iam::111122223333:user/alice").returncode == 0
    assert run(*base, "--principal-arn", "arn:aws:iam::111122223333:user/bob").returncode == 1
    # Across accounts the caller's own policies must allow too.
    other = run(
        *base,
        "--principal-arn",
        "arn:aws:iam::111122223333:user/alice",
        "--resource-owner",
        "444455556666",
    )
    assert other.returncode == 1


def test_eval_with_an_invalid_policy_is_a_usage_error(tmp_path: Path) -> None:
    bad = write(
        tmp_path, "bad.json", {"Statement": [{"Effect": "Allow", "Action": "s3", "Resource": "*"}]}
    )
    out = run("eval", "--policy", bad, "--action", "s3:GetObject", "--resource", "*")
    assert out.returncode == 2
    assert out.stdout == ""
    assert "MalformedPolicyDocument" in out.stderr and bad in out.stderr
