#!/bin/sh
# Installs everything the tests need (Python deps, the AWS CLI in its own venv,
# the JavaScript SDK) and runs the whole suite: first on SQLite, then the
# store-backed tests again on a PostgreSQL server the suite starts itself.
set -eu
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# The AWS CLI v1 pins packages that conflict with ours: it gets its own venv.
[ -x .venv-awscli/bin/aws ] || { "$PY" -m venv .venv-awscli && .venv-awscli/bin/python -m pip install -q --disable-pip-version-check awscli; }
# trailscraper (reads CloudTrail log files) pins an old boto3: its own venv too.
[ -x .venv-trailscraper/bin/trailscraper ] || { "$PY" -m venv .venv-trailscraper && .venv-trailscraper/bin/python -m pip install -q --disable-pip-version-check trailscraper; }

# Debian's Chromium for the console's browser tests (Playwright drives it; no
# `playwright install` download). Needs root, as CI runs.
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

# The AWS SDK for JavaScript v3: an independent SigV4 implementation.
(cd tests/js && npm ci --no-audit --no-fund --silent)

echo "== tests on SQLite"
.venv/bin/python -m pytest -q tests "$@"
echo "== store-backed tests on PostgreSQL"
GATEHOLD_TEST_STORE=postgres .venv/bin/python -m pytest -q tests/integration tests/browser "$@"
