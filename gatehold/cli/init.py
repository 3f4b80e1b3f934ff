"""`gatehold init`: create the store, the account, its root user and the admin user,
print what was made, and offer to write an AWS CLI profile for the admin's keys."""

from __future__ import annotations

import argparse
import configparser
import json
import os
import sys
from pathlib import Path

from gatehold.auth.password import generate_password
from gatehold.cli.common import settings_from_args
from gatehold.clock import SystemClock
from gatehold.config import Settings
from gatehold.services.bootstrap import AlreadyInitialized, InitResult, initialize
from gatehold.store.db import Store
from gatehold.store.secretbox import SecretBox, load_or_create_key

ROOT_PASSWORD_ENV = "GATEHOLD_ROOT_PASSWORD"
PROFILE_NAME = "gatehold"


def cmd_init(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
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
