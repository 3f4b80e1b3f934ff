"""Run gatehold as users do: `gatehold init --json`, then `gatehold serve` on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT_PASSWORD = "Initial-Root-Passw0rd!"


@dataclass(frozen=True)
class RunningServer:
    endpoint: str
    port: int
    data_dir: Path
    database_url: str | None
    init: dict[str, Any]
    log_path: Path

    @property
    def account_id(self) -> str:
        return str(self.init["account_id"])

    @property
    def admin_keys(self) -> tuple[str, str]:
        return self.init["admin_access_key_id"], self.init["admin_secret_access_key"]

    def client(self, service: str, keys: tuple[str, str] | None = None, **kw: Any) -> Any:
        import boto3
        from botocore.config import Config

        key, secret = keys or self.admin_keys
        kw.setdefault("region_name", "us-east-1")
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
            **kw,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gatehold_command() -> list[str]:
    return [sys.executable, "-m", "gatehold.cli"]


def store_args(data_dir: Path, database_url: str | None) -> list[str]:
    args = ["--data-dir", str(data_dir)]
    if database_url:
        args += ["--database-url", database_url]
    return args


def run_init(
    data_dir: Path, database_url: str | None, email: str = "root@example.com"
) -> dict[str, Any]:
    env = dict(os.environ, GATEHOLD_ROOT_PASSWORD=ROOT_PASSWORD)
    out = subprocess.run(
        [
            *gatehold_command(),
            "init",
            *store_args(data_dir, database_url),
            "--root-email",
            email,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gatehold serve exited early:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"gatehold serve did not listen on {port}:\n{log_path.read_text()}")


@contextmanager
def serve(
    data_dir: Path,
    database_url: str | None,
    *,
    workers: int = 1,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[str, int, Path]]:
    port = port or free_port()
    log_path = data_dir / f"serve-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                *gatehold_command(),
                "serve",
                *store_args(data_dir, database_url),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, **(extra_env or {})),
        )
    try:
        wait_for_port(port, proc, log_path)
        yield f"http://127.0.0.1:{port}", port, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def start_server(data_dir: Path, database_url: str | None, **kw: Any) -> Iterator[RunningServer]:
    init = run_init(data_dir, database_url)
    with serve(data_dir, database_url, **kw) as (endpoint, port, log_path):
        yield RunningServer(endpoint, port, data_dir, database_url, init, log_path)
