#!/bin/sh
# Sets gatehold up on this machine and runs it on the embedded SQLite store:
# creates .venv, installs gatehold at the versions in requirements/lock.txt,
# initializes the store on first start (printing the account, the root password
# and the admin's keys once), then serves.
#   GATEHOLD_DATA_DIR  where the store lives (default ./.data)
#   GATEHOLD_ROOT_EMAIL  the root user's email on first start (default root@example.com)
#   GATEHOLD_PORT       the port (default 7480)
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements/lock.txt -e .

DATA_DIR=${GATEHOLD_DATA_DIR:-./.data}
PORT=${GATEHOLD_PORT:-7480}
if [ ! -f "$DATA_DIR/gatehold.db" ]; then
  .venv/bin/gatehold init --data-dir "$DATA_DIR" --port "$PORT" \
    --root-email "${GATEHOLD_ROOT_EMAIL:-root@example.com}"
fi
exec .venv/bin/gatehold serve --data-dir "$DATA_DIR" --port "$PORT" "$@"
