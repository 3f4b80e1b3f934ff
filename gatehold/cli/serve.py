"""`gatehold serve` (the API, console and portal on one port) and `gatehold migrate`
(bring the store's schema up to date)."""

from __future__ import annotations

import argparse
import os
import sys

from gatehold.cli.common import settings_from_args
from gatehold.cli.init import PROFILE_NAME
from gatehold.store.db import Store
from gatehold.store.migrations import migrate


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = Store.open(settings.store_url)
    try:
        before, after = migrate(store)
    finally:
        store.dispose()
    print(f"schema version {before} -> {after}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gatehold.app import SETTINGS_ENV, StoreNotReady, open_store, settings_to_env

    settings = settings_from_args(args)
    try:
        open_store(settings)[0].dispose()  # fail fast, with a clear message, before forking
    except StoreNotReady as exc:
        print(f"gatehold: {exc}", file=sys.stderr)
        return 1
    os.environ[SETTINGS_ENV] = settings_to_env(settings)
    print(f"gatehold API endpoint   {settings.endpoint}", flush=True)
    print(f"gatehold console        {settings.endpoint}/console", flush=True)
    print(
        f"try: aws --endpoint-url {settings.endpoint} sts get-caller-identity   "
        f"(or: aws --profile {PROFILE_NAME} ...)",
        flush=True,
    )
    uvicorn.run(
        "gatehold.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        log_level="warning",
        access_log=False,
    )
    return 0
