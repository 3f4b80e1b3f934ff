"""One typed Settings object, built by the command line and passed to create_app."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gatehold.store.db import sqlite_url

DEFAULT_PORT = 7480
DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"


def default_data_dir() -> Path:
    """$GATEHOLD_DATA_DIR, else ~/.local/share/gatehold."""
    env = os.environ.get("GATEHOLD_DATA_DIR")
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "gatehold"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    region: str = DEFAULT_REGION
    # Console sign-in throttling (gatehold/console/lockout.py): after
    # `lockout_threshold` consecutive failures an account is locked for
    # `lockout_base_minutes`, each later lock growing by that much up to
    # `lockout_max_minutes`; at `lockout_max_failures` (NIST SP 800-63B: at most 100)
    # only an administrator unlocks it. A source address gets its own, larger budget.
    lockout_threshold: int = 5
    lockout_base_minutes: int = 15
    lockout_max_minutes: int = 30
    lockout_max_failures: int = 100
    lockout_address_threshold: int = 50
    # Console sessions: idle and absolute limits (AWS console sessions last up to 12 h).
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12

    @property
    def store_url(self) -> str:
        """The database: --database-url if given, else SQLite in the data dir."""
        return self.database_url or sqlite_url(self.data_dir)

    @property
    def endpoint(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"
