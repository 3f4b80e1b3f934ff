"""The external clients the test command installs: the AWS CLI (own venv) and node's SDK."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
JS_DIR = REPO_ROOT / "tests" / "js"


def aws_cli() -> str:
    """The AWS CLI v1 that scripts/test.sh installs in .venv-awscli (it conflicts with
    some of our test dependencies, so it lives in its own environment)."""
    path = os.environ.get("GATEHOLD_TEST_AWS_CLI") or str(
        REPO_ROOT / ".venv-awscli" / "bin" / "aws"
    )
    if not Path(path).exists():
        raise RuntimeError(f"the AWS CLI is not installed at {path}: run scripts/test.sh")
    return path


def run_aws(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [aws_cli(), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**base, **env},
        timeout=timeout,
    )


def run_node(script: str, *args: str, timeout: float = 60) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules").exists():
        raise RuntimeError("node and tests/js/node_modules are needed: run scripts/test.sh")
    out = subprocess.run(
        [node, str(JS_DIR / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        cwd=JS_DIR,
    )
    if out.returncode != 0:
        raise RuntimeError(f"node failed: {out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
