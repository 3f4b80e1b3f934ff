"""Where the conformance data is: AWS's SigV4 vectors, the policy-evaluation cases
with their runner, and SigmaHQ's CloudTrail rules.

The data is not ours to commit: it lives beside the clone, in ../shared/conformance,
or wherever GATEHOLD_CONFORMANCE_DIR points. Tests that read it carry the
`conformance` mark; without the data they do not run, and the run says so in one
line (tests/conftest.py), or fails when GATEHOLD_CONFORMANCE_REQUIRED is set, as CI
sets it.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "GATEHOLD_CONFORMANCE_DIR"
REQUIRED_ENV = "GATEHOLD_CONFORMANCE_REQUIRED"
DEFAULT = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"

# What each part of the data is, relative to the folder.
SIGV4 = "sigv4"
POLICY_CASES = "policy_cases.json"
POLICY_RUNNER = "run_policy_cases.py"
SIGMA = "sigma"
_EXPECTED = (SIGV4, POLICY_CASES, POLICY_RUNNER, SIGMA)


def folder() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT)


def path(part: str) -> Path:
    return folder() / part


def missing() -> list[str]:
    """The parts of the data that are absent (empty: all there)."""
    return [part for part in _EXPECTED if not path(part).exists()]


def required() -> bool:
    return os.environ.get(REQUIRED_ENV, "") not in ("", "0", "false")


def absence_line(skipped: int) -> str:
    return (
        f"conformance data absent at {folder()} (missing: {', '.join(missing())}): "
        f"{skipped} conformance tests did not run; put ../shared/conformance beside the "
        f"clone or set {ENV}"
    )
