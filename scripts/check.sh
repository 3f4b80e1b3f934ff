#!/bin/sh
# The checks CI makes besides the tests: lint (ruff) and types (mypy, strict).
# Run scripts/setup_tests.sh (or scripts/test.sh) once first.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/ruff check gatehold tests bench scripts
.venv/bin/mypy gatehold
