"""The shared policy corpus, run by its own runner through SimulateCustomPolicy on a real server.

The runner (run_policy_cases.py in the conformance data, beside the clone) makes one
call per case with boto3 and ends with "N passed, N failed"; every case must pass.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.support import conformance
from tests.support.servers import RunningServer

pytestmark = pytest.mark.conformance

RUNNER = conformance.path(conformance.POLICY_RUNNER)
CASES = conformance.path(conformance.POLICY_CASES)


def test_every_case_passes_through_the_server(server: RunningServer) -> None:
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
