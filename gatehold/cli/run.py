"""`gatehold run --role ROLE_ARN [--duration S] -- COMMAND...`: start a program with a role's
credentials, refreshed by the SDK itself, and no keys in its environment.

The operator's own credentials (boto3's default chain: environment, --profile, ...)
call sts:AssumeRole against the gatehold server, so the role's trust policy and the
operator's policies decide, exactly as for any AssumeRole. The resulting session
becomes a workload grant (gatehold/workload.py explains the token and why it is
safe); the program gets the two variables boto3's container-credentials provider
reads, and fetches fresh credentials from /workload/credentials/... until the
grant's DurationSeconds runs out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from gatehold.workload import PATH_PREFIX, grant_token

# Variables that would win over the container provider in the SDK's default chain,
# or point it at the operator's own keys.
_OPERATOR_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


def workload_env(base: dict[str, str], endpoint: str, key_id: str, token: str) -> dict[str, str]:
    """The program's environment: the operator's keys removed, the container provider set."""
    env = {k: v for k, v in base.items() if k not in _OPERATOR_VARS}
    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"{endpoint.rstrip('/')}{PATH_PREFIX}{key_id}"
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
    # The shared credentials file comes before the container provider in the chain:
    # hide it, so the program runs as the role and never as a [default] profile's keys.
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_ENDPOINT_URL"] = endpoint  # SDKs that read it find gatehold too
    return env


def cmd_run(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    command = args.command_line[1:] if args.command_line[:1] == ["--"] else args.command_line
    if not command:
        print("gatehold run: give the program to run after --", file=sys.stderr)
        return 2
    session = boto3.Session(profile_name=args.profile)
    sts: Any = session.client(
        "sts", endpoint_url=args.endpoint_url, region_name=session.region_name or "us-east-1"
    )
    try:
        answer = sts.assume_role(
            RoleArn=args.role, RoleSessionName=args.session_name, DurationSeconds=args.duration
        )
    except (ClientError, BotoCoreError) as exc:  # a denial, no credentials, no connection
        print(f"gatehold run: AssumeRole failed: {exc}", file=sys.stderr)
        return 1
    creds = answer["Credentials"]
    endpoint = sts.meta.endpoint_url
    token = grant_token(creds["SessionToken"], creds["SecretAccessKey"])
    env = workload_env(dict(os.environ), endpoint, creds["AccessKeyId"], token)
    return subprocess.call(command, env=env)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="run a program with a role's credentials (no keys needed)")
    p.add_argument("--role", required=True, help="the ARN of the role to assume")
    p.add_argument(
        "--duration",
        type=int,
        default=3600,
        help="how long the program may keep the role, in seconds (AssumeRole's "
        "DurationSeconds: 900 to the role's MaxSessionDuration; default 3600)",
    )
    p.add_argument("--session-name", default="gatehold-run", help="the RoleSessionName")
    p.add_argument("--profile", default=None, help="the AWS profile with the operator's keys")
    p.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="the gatehold endpoint (default: $AWS_ENDPOINT_URL or the profile's)",
    )
    p.add_argument("command_line", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    p.set_defaults(func=cmd_run)
