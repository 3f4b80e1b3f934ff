"""The spine through other real clients: the AWS CLI with a profile `gatehold init`
wrote, and the AWS SDK for JavaScript v3 (an independent SigV4 implementation)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clients import run_aws, run_node
from tests.support.servers import ROOT_PASSWORD, RunningServer, free_port, serve, store_args


def test_js_sdk_calls_sts_and_iam(server: RunningServer) -> None:
    key, secret = server.admin_keys
    out = run_node("sts_iam.mjs", server.endpoint, key, secret)
    assert out["identity"]["ok"]["Arn"] == f"arn:aws:iam::{server.account_id}:user/admin"
    assert out["user"]["ok"]["UserName"] == "admin"


def test_js_sdk_sees_aws_errors(server: RunningServer) -> None:
    key, _ = server.admin_keys
    out = run_node("sts_iam.mjs", server.endpoint, key, "wrong" * 8)
    assert out["identity"]["error"]["name"] == "SignatureDoesNotMatch"
    assert out["identity"]["error"]["status"] == 403
    key, secret = server.admin_keys
    out = run_node("sts_iam.mjs", server.endpoint, key, secret, "nobody")
    # The SDK names the modelled exception shape for code NoSuchEntity.
    assert out["user"]["error"]["name"] == "NoSuchEntityException"
    assert out["user"]["error"]["message"] == "The user with name nobody cannot be found."


@pytest.fixture(scope="module")
def profile_server(tmp_path_factory: pytest.TempPathFactory, second_database_url: str | None):  # type: ignore[no-untyped-def]
    """A server initialized by plain `gatehold init --write-profile`, as the README says."""
    data_dir = tmp_path_factory.mktemp("profile-data")
    aws_dir = tmp_path_factory.mktemp("aws-home")
    env_files = {
        "AWS_CONFIG_FILE": str(aws_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
    }
    port = free_port()
    init = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatehold.cli",
            "init",
            *store_args(data_dir, second_database_url),
            "--root-email",
            "owner@example.com",
            "--port",
            str(port),
            "--write-profile",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, **env_files, "GATEHOLD_ROOT_PASSWORD": ROOT_PASSWORD},
    )
    assert init.returncode == 0, init.stderr
    yield data_dir, env_files, init.stdout, port


def test_init_prints_what_a_user_needs(profile_server) -> None:  # type: ignore[no-untyped-def]
    _, _, stdout, _ = profile_server
    assert "account ID" in stdout and "admin access key" in stdout
    assert "console sign-in" in stdout
    assert "root password" not in stdout  # it was given, not generated: never echoed


def test_aws_cli_profile_calls_sts_and_iam(profile_server, second_database_url) -> None:  # type: ignore[no-untyped-def]
    data_dir, env_files, _, port = profile_server
    config = Path(env_files["AWS_CONFIG_FILE"]).read_text()
    assert "[profile gatehold]" in config and "endpoint_url" in config
    with serve(data_dir, second_database_url, port=port):
        ident = run_aws(["--profile", "gatehold", "sts", "get-caller-identity"], env_files)
        assert ident.returncode == 0, ident.stderr
        assert json.loads(ident.stdout)["Arn"].endswith(":user/admin")
        user = run_aws(["--profile", "gatehold", "iam", "get-user"], env_files)
        assert user.returncode == 0, user.stderr
        assert json.loads(user.stdout)["User"]["UserName"] == "admin"
        missing = run_aws(
            ["--profile", "gatehold", "iam", "get-user", "--user-name", "john-dev"], env_files
        )
        assert missing.returncode != 0
        assert "NoSuchEntity" in missing.stderr
        assert "The user with name john-dev cannot be found." in missing.stderr
