"""What every command that opens the store shares: its --data-dir and --database-url
arguments, and the Settings they (with --host, --port, --workers) make."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gatehold.config import DEFAULT_HOST, DEFAULT_PORT, Settings, default_data_dir


def store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data folder (default: $GATEHOLD_DATA_DIR or ~/.local/share/gatehold)",
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("GATEHOLD_DATABASE_URL"),
        help="PostgreSQL URL; default: SQLite in the data folder",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(
        data_dir=args.data_dir or default_data_dir(),
        database_url=args.database_url,
        host=getattr(args, "host", DEFAULT_HOST),
        port=getattr(args, "port", DEFAULT_PORT),
        workers=getattr(args, "workers", 1),
    )
