#!/bin/sh
# Installs everything the tests need (scripts/setup_tests.sh, pinned versions) and
# runs the whole suite: first on SQLite, then the store-backed tests again on a
# PostgreSQL server the suite starts itself. The conformance data is read from
# $GATEHOLD_CONFORMANCE_DIR (default ../shared/conformance beside the clone); the
# tests that need it say so in one line when it is absent.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup_tests.sh

echo "== tests on SQLite"
.venv/bin/python -m pytest -q tests "$@"
echo "== store-backed tests on PostgreSQL"
GATEHOLD_TEST_STORE=postgres .venv/bin/python -m pytest -q tests/integration tests/browser "$@"
