"""Credentials for workloads (issue 5, part 6): `gatehold run --role ARN -- PROGRAM` gives a
program with no keys a role's identity through boto3's own container-credentials
provider, refreshed past an expiry, and the endpoint refuses anything but a real grant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gatehold.workload import WORKLOAD_SECONDS_ENV, grant_token
from tests.support.aws import role_trusting_admin
from tests.support.servers import RunningServer, gatehold_command, start_server

# Each fetched set of credentials lasts this long on this module's server, so the
# program sees one expire within the test.
CREDENTIAL_SECONDS = 3

# The workload: only the SDK's default chain, no keys. It prints who it is, waits past
# the first credentials' expiry, asks again, and checks the first key is now refused.
PROGRAM = textwrap.dedent(f"""
    import json, os, time
    import boto3
    from botocore.exceptions import ClientError
    assert not any(k in os.environ for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
    session = boto3.Session(region_name="us-east-1")
    sts = session.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    first = sts.get_caller_identity()["Arn"]
    frozen = session.get_credentials().get_frozen_credentials()
    provider = session._session.get_component("credential_provider")
    time.sleep({CREDENTIAL_SECONDS} + 2)
    second = sts.get_caller_identity()["Arn"]
    again = session.get_credentials().get_frozen_credentials()
    old = boto3.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                       aws_access_key_id=frozen.access_key, aws_secret_access_key=frozen.secret_key,
                       aws_session_token=frozen.token)
    try:
        old.get_caller_identity()
        old_error = None
    except ClientError as exc:
        old_error = exc.response["Error"]["Code"]
    print(json.dumps({{"first": first, "second": second, "method": session.get_credentials().method,
                      "keys": [frozen.access_key, again.access_key], "old_error": old_error}}))
""")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("gatehold-data")
    env = {WORKLOAD_SECONDS_ENV: str(CREDENTIAL_SECONDS)}
    with start_server(data_dir, module_database_url, extra_env=env) as running:
        yield running


def _operator_env(server: RunningServer) -> dict[str, str]:
    key, secret = server.admin_keys
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **base,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
    }


def _gatehold_run(
    server: RunningServer, role_arn: str, *program: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *gatehold_command(),
            "run",
            "--role",
            role_arn,
            "--duration",
            "900",
            "--endpoint-url",
            server.endpoint,
            "--session-name",
            "worker",
            "--",
            *program,
        ],
        check=False,
        capture_output=True,
        text=True,
        env=_operator_env(server),
        timeout=90,
    )


def test_program_without_keys_runs_as_the_role_past_an_expiry(server: RunningServer) -> None:
    role = role_trusting_admin(server)
    out = _gatehold_run(server, role["Arn"], sys.executable, "-c", PROGRAM)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    expected = f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/worker"
    assert result["first"] == expected
    assert result["second"] == expected
    assert result["method"] == "container-role"  # boto3's own provider found it
    first_key, second_key = result["keys"]
    assert first_key.startswith("ASIA") and second_key.startswith("ASIA")
    assert first_key != second_key  # refreshed
    assert result["old_error"] == "ExpiredToken"  # the first set really had expired


def test_run_refused_when_the_role_does_not_trust_the_caller(server: RunningServer) -> None:
    iam = server.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(
        RoleName=f"wl-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    out = _gatehold_run(server, role["Arn"], sys.executable, "-c", "print('ran')")
    assert out.returncode == 1
    assert "ran" not in out.stdout
    assert "is not authorized to perform: sts:AssumeRole" in out.stderr


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _grant(server: RunningServer) -> tuple[dict[str, Any], str]:
    role = role_trusting_admin(server)
    creds = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="direct")[
        "Credentials"
    ]
    return creds, f"{server.endpoint}/workload/credentials/{creds['AccessKeyId']}"


def test_endpoint_answers_botocore_shape(server: RunningServer) -> None:
    creds, url = _grant(server)
    token = grant_token(creds["SessionToken"], creds["SecretAccessKey"])
    status, body = _get(url, {"Authorization": token, "Accept": "application/json"})
    assert status == 200
    assert body["AccessKeyId"].startswith("ASIA") and body["AccessKeyId"] != creds["AccessKeyId"]
    assert body["SecretAccessKey"] and body["Token"]
    assert body["Expiration"].endswith("Z")


@pytest.mark.parametrize("case", ["wrong-mac", "token-only", "other-id", "garbage", "none"])
def test_endpoint_refuses_anything_but_a_grant(server: RunningServer, case: str) -> None:
    creds, url = _grant(server)
    good = grant_token(creds["SessionToken"], creds["SecretAccessKey"])
    headers = {
        "wrong-mac": {"Authorization": grant_token(creds["SessionToken"], "not-the-secret")},
        # The session token alone travels in every signed request: it must not be enough.
        "token-only": {"Authorization": creds["SessionToken"]},
        "other-id": {"Authorization": good},
        "garbage": {"Authorization": "GH1AAAA.00"},
        "none": {},
    }[case]
    target = url.rsplit("/", 1)[0] + "/ASIAOTHERKEYID000000" if case == "other-id" else url
    status, body = _get(target, headers)
    assert status == 401
    assert body == {"code": "Unauthorized", "message": "The authorization token is not valid."}
