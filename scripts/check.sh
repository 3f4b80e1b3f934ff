#!/bin/sh
# The checks CI makes besides the tests: lint (ruff, the rule set in pyproject.toml),
# formatting (ruff format) and types (mypy, strict, on the package and the tests).
# Run scripts/setup_tests.sh (or scripts/test.sh) once first.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/ruff check gatehold tests bench scripts
.venv/bin/ruff format --check gatehold tests bench scripts
.venv/bin/mypy gatehold tests
