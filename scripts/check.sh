#!/bin/sh
# The checks CI makes besides the tests: lint (ruff, the rule set in pyproject.toml),
# formatting (ruff format), types (mypy, strict, on the package, tests, benches and
# scripts) and the layers (import-linter: the contracts in pyproject.toml, described
# in ARCHITECTURE.md).
# Run scripts/setup_tests.sh (or scripts/test.sh) once first.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/ruff check gatehold tests bench scripts
.venv/bin/ruff format --check gatehold tests bench scripts
.venv/bin/mypy gatehold tests bench scripts
.venv/bin/lint-imports
