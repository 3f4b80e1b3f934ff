#!/bin/sh
# The checks CI makes besides the tests: lint (ruff, the rule set in pyproject.toml),
# formatting (ruff format), types (mypy, strict, on the package and the tests) and
# the layers (import-linter: the contracts in pyproject.toml, ARCHITECTURE.md).
# Run scripts/setup_tests.sh (or scripts/test.sh) once first.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/ruff check gatehold tests bench scripts
.venv/bin/ruff format --check gatehold tests bench scripts
.venv/bin/mypy gatehold tests
.venv/bin/lint-imports
