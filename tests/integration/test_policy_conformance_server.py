"""The shared policy corpus, run by its own runner through SimulateCustomPolicy on a real server.

The runner (../shared/conformance/run_policy_cases.py, beside the clone) makes one
call per case with boto3 and ends with "N passed, N failed"; every case must pass.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import SHARED
from tests.support.servers import RunningServer

RUNNER = SHARED / "conformance" / "run_policy_cases.py"
CASES = SHARED / "conformance" / "policy_cases.json"


def test_every_case_passes_through_the_server(server: RunningServer) -> None:
    if not RUNNER.exists() or not CASES.exists():
        pytest.fail(f"the conformance runner and corpus are expected at {RUNNER.parent}")
    data = json.loads(CASES.read_text(encoding="utf-8"))
    expected = len(data["cases"] if isinstance(data, dict) else data)
    key, secret = server.admin_keys
    out = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            "--endpoint",
            server.endpoint,
            "--access-key",
            key,
            "--secret-key",
            secret,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    summary = re.search(r"^(\d+) passed, (\d+) failed$", out.stdout, re.MULTILINE)
    assert summary, f"no summary line:\n{out.stdout}\n{out.stderr}"
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0, out.stdout
    assert passed == expected
    assert out.returncode == 0
