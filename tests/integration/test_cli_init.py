"""`gatehold init` and `serve` as operators script them."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.servers import gatehold_command, run_init, store_args


def test_init_json_has_the_documented_fields(tmp_path: Path, database_url: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GATEHOLD_ROOT_PASSWORD"}
    out = subprocess.run(
        [
            *gatehold_command(),
            "init",
            *store_args(tmp_path, database_url),
            "--root-email",
            "Owner@Example.com",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout)
    assert re.fullmatch(r"[1-9][0-9]{11}", result["account_id"])
    assert result["root_email"] == "Owner@Example.com"
    assert result["admin_user_name"] == "admin"
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", result["admin_access_key_id"])
    assert len(result["admin_secret_access_key"]) == 40
    # No GATEHOLD_ROOT_PASSWORD: a password is generated and shown this once.
    assert len(result["root_password"]) >= 16


def test_second_init_fails_clearly_and_changes_nothing(
    tmp_path: Path, database_url: str | None
) -> None:
    first = run_init(tmp_path, database_url)
    key_before = (tmp_path / "master.key").read_bytes()
    again = subprocess.run(
        [
            *gatehold_command(),
            "init",
            *store_args(tmp_path, database_url),
            "--root-email",
            "other@example.com",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert again.returncode == 1
    assert "already initialized" in again.stderr
    assert again.stdout == ""
    assert (tmp_path / "master.key").read_bytes() == key_before
    if database_url is None:
        with sqlite3.connect(tmp_path / "gatehold.db") as db:
            assert db.execute("select account_id from accounts").fetchall() == [
                (first["account_id"],)
            ]


def test_secrets_are_not_stored_in_clear(tmp_path: Path, database_url: str | None) -> None:
    result = run_init(tmp_path, database_url)
    if database_url is None:
        raw = (tmp_path / "gatehold.db").read_bytes()
        for wal in tmp_path.glob("gatehold.db-wal"):
            raw += wal.read_bytes()
        assert result["admin_secret_access_key"].encode() not in raw
        assert b"Initial-Root-Passw0rd!" not in raw
        assert b"$argon2id$" in raw


def test_serve_refuses_an_uninitialized_store(tmp_path: Path, database_url: str | None) -> None:
    out = subprocess.run(
        [*gatehold_command(), "serve", *store_args(tmp_path, database_url), "--port", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 1
    assert "gatehold init" in out.stderr
    assert "Traceback" not in out.stderr


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("gatehold")
    out = subprocess.run(
        [str(exe), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert out.returncode == 0
    assert "init" in out.stdout and "serve" in out.stdout
