#!/bin/sh
# Installs everything the tests and checks need, at the versions the repository
# pins: gatehold with its test extra (requirements/lock.txt), the AWS CLI v1 and
# trailscraper in venvs of their own (requirements/awscli.txt, trailscraper.txt:
# both pin packages that conflict with ours), Debian's Chromium for the browser
# tests, and the AWS SDK for JavaScript (tests/js/package-lock.json).
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
PIP="-m pip install -q --disable-pip-version-check"

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python $PIP -c requirements/lock.txt -e '.[test]'

# A side venv is made again when its lock file changes (the copy inside says what it has).
side_venv() {  # side_venv NAME: .venv-NAME from requirements/NAME.txt
  lock="requirements/$1.txt"
  if ! cmp -s "$lock" ".venv-$1/installed.txt" 2>/dev/null; then
    rm -rf ".venv-$1"
    "$PY" -m venv ".venv-$1"
    ".venv-$1/bin/python" $PIP -r "$lock"
    cp "$lock" ".venv-$1/installed.txt"
  fi
}
side_venv awscli
side_venv trailscraper

# Debian's Chromium for the console's browser tests (Playwright drives it; no
# `playwright install` download). Needs root, as CI runs.
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

# The AWS SDK for JavaScript v3: an independent SigV4 implementation.
(cd tests/js && npm ci --no-audit --no-fund --silent)
