"""The `gatehold` command: init, serve, migrate.

The command-line contract is stable (users script against it): see README.md.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import sys
from pathlib import Path

from gatehold.auth.password import generate_password
from gatehold.clock import SystemClock
from gatehold.config import DEFAULT_HOST, DEFAULT_PORT, Settings, default_data_dir
from gatehold.services.bootstrap import AlreadyInitialized, InitResult, initialize
from gatehold.store.db import Store
from gatehold.store.migrations import migrate
from gatehold.store.secretbox import SecretBox, load_or_create_key

ROOT_PASSWORD_ENV = "GATEHOLD_ROOT_PASSWORD"
PROFILE_NAME = "gatehold"


def _store_args(p: argparse.ArgumentParser) -> None:
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


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        data_dir=args.data_dir or default_data_dir(),
        database_url=args.database_url,
        host=getattr(args, "host", DEFAULT_HOST),
        port=getattr(args, "port", DEFAULT_PORT),
        workers=getattr(args, "workers", 1),
    )


def cmd_init(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = os.environ.get(ROOT_PASSWORD_ENV)
    generated = password is None
    root_password = password or generate_password()
    store = Store.open(settings.store_url)
    try:
        box = SecretBox(load_or_create_key(settings.data_dir, create=True))
        result = initialize(store, box, SystemClock().now(), args.root_email, root_password)
    except AlreadyInitialized:
        print(
            f"gatehold: the store at {_where(settings)} is already initialized; nothing changed",
            file=sys.stderr,
        )
        return 1
    finally:
        store.dispose()
    if args.json:
        out = {
            "account_id": result.account_id,
            "root_email": result.root_email,
            "admin_user_name": result.admin_user_name,
            "admin_access_key_id": result.admin_access_key_id,
            "admin_secret_access_key": result.admin_secret_access_key,
            "endpoint_url": settings.endpoint,
            "console_url": f"{settings.endpoint}/console?account={result.account_id}",
            "region": settings.region,
        }
        if generated:
            out["root_password"] = root_password
        print(json.dumps(out, indent=2))
        return 0
    _print_init_summary(settings, result, root_password if generated else None)
    _offer_profile(settings, result, write=args.write_profile)
    return 0


def _where(settings: Settings) -> str:
    return (settings.database_url and "the database URL") or str(settings.data_dir)


def _print_init_summary(settings: Settings, r: InitResult, root_password: str | None) -> None:
    print(f"Initialized gatehold in {_where(settings)}")
    print(f"  account ID          {r.account_id}")
    print(f"  root user email     {r.root_email}")
    if root_password:
        print(f"  root password       {root_password}    (shown once: keep it safe)")
    print(f"  admin user          {r.admin_user_name}")
    print(f"  admin access key    {r.admin_access_key_id}")
    print(f"  admin secret key    {r.admin_secret_access_key}    (shown once)")
    print(f"  API endpoint        {settings.endpoint}")
    print(f"  console sign-in     {settings.endpoint}/console?account={r.account_id}")


def _offer_profile(settings: Settings, r: InitResult, *, write: bool | None) -> None:
    if write is None:
        if not sys.stdin.isatty():
            print(f"(not writing an AWS CLI profile: pass --write-profile to add [{PROFILE_NAME}])")
            return
        answer = input(f"Write AWS CLI profile '{PROFILE_NAME}' to ~/.aws? [y/N] ").strip().lower()
        write = answer in ("y", "yes")
    if write:
        config, creds = write_cli_profile(settings, r)
        print(f"Wrote profile '{PROFILE_NAME}' to {config} and {creds}.")
        print(f"Try: aws --profile {PROFILE_NAME} sts get-caller-identity")


def write_cli_profile(settings: Settings, r: InitResult) -> tuple[Path, Path]:
    """Add [profile gatehold] and its keys to the AWS CLI's files (respecting their env vars)."""
    config_path = Path(os.environ.get("AWS_CONFIG_FILE", Path.home() / ".aws" / "config"))
    creds_path = Path(
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE", Path.home() / ".aws" / "credentials")
    )
    _set_ini_section(
        config_path,
        f"profile {PROFILE_NAME}",
        {"region": settings.region, "endpoint_url": settings.endpoint, "output": "json"},
    )
    _set_ini_section(
        creds_path,
        PROFILE_NAME,
        {
            "aws_access_key_id": r.admin_access_key_id,
            "aws_secret_access_key": r.admin_secret_access_key,
        },
    )
    return config_path, creds_path


def _set_ini_section(path: Path, section: str, values: dict[str, str]) -> None:
    parser = configparser.RawConfigParser()
    if path.exists():
        parser.read(path)
    parser[section] = values
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        parser.write(f)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
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

    settings = _settings(args)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gatehold", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create the store, the account, root and the admin user")
    _store_args(p)
    p.add_argument("--root-email", required=True)
    p.add_argument(
        "--host", default=DEFAULT_HOST, help="where `serve` will listen (for the profile)"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="where `serve` will listen")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--write-profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write (or not) the AWS CLI profile 'gatehold' without asking",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve the API, console and portal on one port")
    _store_args(p)
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="bring the store's schema up to date")
    _store_args(p)
    p.set_defaults(func=cmd_migrate)

    from gatehold.cli import policy  # offline policy tools: `gatehold policy validate|eval`

    policy.add_parser(sub)

    from gatehold.cli import users  # `gatehold users unlock`: end a console lockout

    users.add_parser(sub, _store_args, _settings)

    from gatehold.cli import root  # `gatehold root reset-mfa`: a lost root MFA device

    root.add_parser(sub, _store_args, _settings)

    from gatehold.cli import events  # `gatehold events tail`: the audit log for operators

    events.add_parser(sub, _store_args, _settings)

    from gatehold.cli import (
        run as run_cli,  # `gatehold run --role ARN -- COMMAND`: workload credentials
    )

    run_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
