#!/usr/bin/env python3
"""Console sign-ins per second, and the API's latency during a sign-in storm, in one run.

Starts `gatehold serve --workers 2` (SQLite in a temp dir, or --store postgres), makes N
IAM users with console passwords (boto3, as the admin), then measures, one after the
other on 127.0.0.1:

1. **API alone**: ONE signed `POST / Action=GetCallerIdentity` (botocore's SigV4Auth)
   replayed by wrk (`-t1 -c4`, a modest closed-loop load: latency, not saturation);
2. **storm alone**: N client threads, each signing in again and again as its own user,
   the full password sign-in a browser does: GET /signin (CSRF cookie and token), POST
   /signin with the token; a sign-in counts when it answers 303 to /console with a
   session cookie;
3. **storm + API**: the same storm, and wrk as in 1 from its own process during it.

Prints sign-ins/s (and their p50/p99), the API's req/s, p50 and p99 with and without
the storm, and the CPU used; writes bench/results/console_signin.json. There is no
peer to compare with: no AWS emulator (moto, LocalStack) has a console sign-in.

Every password check is argon2id at OWASP's parameters (m=19 MiB, t=2, p=1) in a worker
thread, so the figure to watch is the API's p99 beside the storm: the event loop must
not stall while passwords are hashed.

    .venv/bin/python bench/console_signin.py [-n 8] [-d 8] [--workers 2] [--store sqlite|postgres]

Exit status: 0 measured; 1 set-up failure; 2 a measurement was invalid (API errors,
or no sign-in succeeded).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import platform
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    HOST,
    BenchError,
    ProcessSet,
    Server,
    add_server_options,
    add_wait_quiet_option,
    bench_run,
    check_request,
    cpu_accounting,
    ensure_wrk,
    git_revision,
    parse_checked,
    run_wrk,
    scratch_dir,
    sign_request,
    start_embedded_postgres,
    start_gatehold,
    wait_until_quiet,
    write_results,
    write_wrk_script,
)

RESULT_NAME = "console_signin"
PASSWORD = "Bench-Signin-Passw0rd!"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("-n", "--clients", type=int, default=8, help="parallel sign-in clients (8)")
    # No -t: wrk here runs one thread per sign-in phase.
    add_server_options(
        p, duration=8, connections=4, threads=False, duration_help="seconds per phase"
    )
    add_wait_quiet_option(p)
    p.add_argument("--no-install", action="store_true", help="do not install wrk; fail instead")
    return parse_checked(p, argv)


# --------------------------------------------------------------------------- sign-in clients


def _cookie(resp: http.client.HTTPResponse, name: str) -> str | None:
    for k, v in resp.getheaders():
        if k.lower() == "set-cookie" and v.startswith(name + "="):
            return v.split(";", 1)[0]
    return None


def sign_in_once(conn: http.client.HTTPConnection, account: str, user: str) -> bool:
    """One full password sign-in as a fresh browser would do it (no cookies yet)."""
    conn.request("GET", "/signin")
    page = conn.getresponse()
    body = page.read().decode()
    csrf_cookie = _cookie(page, "gatehold_csrf")
    token = _TOKEN.search(body)
    if page.status != 200 or csrf_cookie is None or token is None:
        return False
    form = urlencode(
        {"csrf_token": token.group(1), "signin_type": "iam", "account": account,
         "user_name": user, "password": PASSWORD}
    )  # fmt: skip
    conn.request(
        "POST",
        "/signin",
        body=form,
        headers={"Cookie": csrf_cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    resp = conn.getresponse()
    resp.read()
    return (
        resp.status == 303
        and resp.getheader("location") == "/console"
        and _cookie(resp, "gatehold_session") is not None
    )


@dataclass
class Storm:
    port: int
    account: str
    users: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    latencies_s: list[float] = field(default_factory=list)
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, user: str) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            while not self.stop.is_set():
                t0 = time.perf_counter()
                ok = sign_in_once(conn, self.account, user)
                took = time.perf_counter() - t0
                with self.lock:
                    if ok:
                        self.latencies_s.append(took)
                    else:
                        self.failures += 1
        finally:
            conn.close()

    @contextlib.contextmanager
    def running(self) -> Any:
        threads = [threading.Thread(target=self.client, args=(u,), daemon=True) for u in self.users]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        box: dict[str, float] = {}
        try:
            yield box
        finally:
            self.stop.set()
            for t in threads:
                t.join(timeout=60)
            box["wall_s"] = time.monotonic() - t0

    def summary(self, wall_s: float) -> dict[str, Any]:
        lat = sorted(self.latencies_s)
        return {
            "clients": len(self.users),
            "signins": len(lat),
            "failures": self.failures,
            "wall_s": round(wall_s, 3),
            "signins_per_sec": len(lat) / wall_s if wall_s else None,
            "p50_ms": statistics.median(lat) * 1e3 if lat else None,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3 if lat else None,
        }


# --------------------------------------------------------------------------- phases


def make_users(server: Server, n: int) -> list[str]:
    iam = server.client("iam", retries={"max_attempts": 1})
    names = [f"bench-signin-{i}" for i in range(n)]
    for name in names:
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=False)
    return names


def api_alone(server: Server, script: Path, args: argparse.Namespace) -> dict[str, Any]:
    with cpu_accounting(server.proc.pid if server.proc else None) as cpu:
        res = run_wrk(server.endpoint + "/", script, threads=1,
                      connections=args.connections, duration_s=args.duration)  # fmt: skip
    return {"wrk": res.as_dict(), "cpu": cpu[0].as_dict()}


def storm_alone(server: Server, account: str, users: list[str], duration: int) -> dict[str, Any]:
    storm = Storm(server.port, account, users)
    with cpu_accounting(server.proc.pid if server.proc else None) as cpu, storm.running() as box:
        time.sleep(duration)
    return {"storm": storm.summary(box["wall_s"]), "cpu": cpu[0].as_dict()}


def storm_with_api(
    server: Server, account: str, users: list[str], script: Path, args: argparse.Namespace
) -> dict[str, Any]:
    storm = Storm(server.port, account, users)
    with cpu_accounting(server.proc.pid if server.proc else None) as cpu, storm.running() as box:
        time.sleep(1.0)  # the storm is at full strength before the API is measured
        res = run_wrk(server.endpoint + "/", script, threads=1,
                      connections=args.connections, duration_s=args.duration)  # fmt: skip
    return {
        "storm": storm.summary(box["wall_s"]),
        "wrk": res.as_dict(),
        "cpu": cpu[0].as_dict(),
    }


def fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def print_report(r: dict[str, Any], args: argparse.Namespace) -> None:
    alone, storm, both = r["api_alone"], r["storm_alone"], r["storm_with_api"]
    print(f"\nconsole sign-in storm: {args.clients} clients, distinct users, full password "
          f"sign-in with CSRF; gatehold --workers {args.workers}, {args.store}; "
          f"wrk -t1 -c{args.connections} -d{args.duration}s")  # fmt: skip
    head = (
        f"{'phase':<16} {'sign-ins/s':>10} {'sign-in p50':>11} {'p99 ms':>7} "
        f"{'API req/s':>9} {'API p50':>8} {'API p99':>8} {'API err':>7} {'srv CPU':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, s, w, c in (
        ("API alone", None, alone["wrk"], alone["cpu"]),
        ("storm alone", storm["storm"], None, storm["cpu"]),
        ("storm + API", both["storm"], both["wrk"], both["cpu"]),
    ):
        wall = c["wall_s"] or 1.0
        print(
            f"{name:<16} {fmt(s and s['signins_per_sec']):>10} {fmt(s and s['p50_ms']):>11} "
            f"{fmt(s and s['p99_ms']):>7} {fmt(w and w['requests_per_sec'], 0):>9} "
            f"{fmt(w and w['p50_ms'], 2):>8} {fmt(w and w['p99_ms'], 2):>8} "
            f"{(w['errors'] if w else '-'):>7} {c['server_s'] / wall:>6.2f}c"
        )
    a, b = alone["wrk"]["p99_ms"], both["wrk"]["p99_ms"]
    if a and b:
        print(f"\nAPI p99 during the storm: {b:.2f} ms vs {a:.2f} ms without ({b / a:.1f}x)")
    print("peer: none. No AWS emulator (moto, LocalStack) has a console sign-in to compare with.")
    print("(sign-in p50/p99: one GET /signin + POST /signin, as the client saw it; srv CPU: "
          "cores used by gatehold's processes)")  # fmt: skip
    busy = max(x["cpu"]["other_share"] for x in (alone, storm, both))
    if busy > 0.10:
        print(f"WARNING: other processes used up to {busy:.0%} of the machine while measuring: "
              "re-run on a quiet machine (or with --wait-quiet 120)")  # fmt: skip


def run(args: argparse.Namespace, work: Path, database_url: str | None) -> int:
    with ProcessSet() as procs:
        server = start_gatehold(
            procs, work / "data", workers=args.workers, database_url=database_url
        )
        account = str(server.info["account_id"])
        users = make_users(server, args.clients)
        req = sign_request(server.endpoint, server.access_key, server.secret_key)
        status, body = check_request(req)
        if status != 200 or "GetCallerIdentityResult" not in body:
            raise BenchError(f"signed GetCallerIdentity answered {status}:\n{body[:2000]}")
        conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        if not sign_in_once(conn, account, users[0]):
            raise BenchError("a console sign-in did not reach /console")
        conn.close()
        script = write_wrk_script(req, work / "gci.lua")
        busy = wait_until_quiet(args.wait_quiet)
        run_wrk(
            server.endpoint + "/", script, threads=1, connections=args.connections, duration_s=2
        )
        results: dict[str, Any] = {
            "api_alone": api_alone(server, script, args),
            "storm_alone": storm_alone(server, account, users, args.duration),
            "storm_with_api": storm_with_api(server, account, users, script, args),
        }
    results.update(
        {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git": git_revision(),
            "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
            "args": vars(args),
            "machine_busy_share_before": round(busy, 3),
            "peer": None,
        }
    )
    print_report(results, args)
    path = write_results(RESULT_NAME, results)
    print(f"\nresults: {path}")
    valid = (
        results["api_alone"]["wrk"]["ok"]
        and results["storm_with_api"]["wrk"]["ok"]
        and results["storm_alone"]["storm"]["signins"] > 0
        and results["storm_with_api"]["storm"]["signins"] > 0
    )
    return 0 if valid else 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = scratch_dir("gatehold-bench-signin-")
    with bench_run("console_signin", work, keep=args.keep) as outcome:
        ensure_wrk(install=not args.no_install)
        if args.store == "postgres":
            with start_embedded_postgres(work / "pgdata") as url:
                outcome.rc = run(args, work, url)
        else:
            outcome.rc = run(args, work, None)
    return outcome.rc


if __name__ == "__main__":
    sys.exit(main())
