#!/usr/bin/env python3
"""Signed GetCallerIdentity throughput and latency: gatehold vs moto, in one run.

Builds ONE correctly SigV4-signed `POST / Action=GetCallerIdentity` per server with
botocore, checks it answers 200 with plain http.client, then replays it with wrk
(`-t2 -c16 -d10s --latency` by default) against gatehold (`--workers 2`) and then
moto's server, on 127.0.0.1 only. Prints req/s, p50, p99, errors and the ratio
gatehold/moto; writes bench/results/sigv4_throughput.json.

    .venv/bin/python bench/sigv4_throughput.py [--workers 2] [-t 2] [-c 16] [-d 10]
        [--store sqlite|postgres] [--skip-moto] [--skip-gatehold] [--enforce-target]

Exit status: 0 measured; 1 set-up failure or a server did not answer 200;
2 a measurement was invalid (non-2xx/3xx responses or socket errors), or with
--enforce-target, gatehold missed the target (>= 3000 req/s, p99 < 20 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BenchError,
    ProcessSet,
    Server,
    add_server_options,
    add_wait_quiet_option,
    bench_run,
    check_request,
    cpu_accounting,
    ensure_moto_venv,
    ensure_wrk,
    git_revision,
    moto_version,
    parse_checked,
    run_wrk,
    scratch_dir,
    sign_request,
    start_gatehold,
    start_moto,
    store_url,
    wait_until_quiet,
    write_results,
    write_wrk_script,
)

TARGET_RPS = 3000.0
TARGET_P99_MS = 20.0
RESULT_NAME = "sigv4_throughput"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_server_options(p, duration=10)
    p.add_argument(
        "--warmup",
        type=int,
        default=2,
        help="seconds of wrk warm-up per server before measuring (0: none)",
    )
    add_wait_quiet_option(p)
    p.add_argument("--skip-moto", action="store_true", help="measure gatehold only")
    p.add_argument("--skip-gatehold", action="store_true", help="measure moto only")
    p.add_argument(
        "--no-install",
        action="store_true",
        help="do not install wrk / the moto venv; print the command and fail",
    )
    p.add_argument(
        "--enforce-target",
        action="store_true",
        help=(
            f"exit 2 unless gatehold does >= {TARGET_RPS:.0f} req/s "
            f"with p99 < {TARGET_P99_MS:.0f} ms"
        ),
    )
    return parse_checked(p, argv)


def measure(server: Server, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Sign one request for this server, check it, replay it with wrk."""
    req = sign_request(server.endpoint, server.access_key, server.secret_key)
    status, body = check_request(req)
    if status != 200 or "GetCallerIdentityResult" not in body:
        raise BenchError(
            f"{server.name}: signed GetCallerIdentity answered {status}:\n{body[:2000]}"
        )
    script = write_wrk_script(req, work / f"{server.name}.lua")
    busy_before = wait_until_quiet(args.wait_quiet)
    if args.warmup:
        run_wrk(
            server.endpoint + "/",
            script,
            threads=args.threads,
            connections=args.connections,
            duration_s=min(args.warmup, 10),
        )
    with cpu_accounting(server.proc.pid if server.proc else None) as cpu_box:
        res = run_wrk(
            server.endpoint + "/",
            script,
            threads=args.threads,
            connections=args.connections,
            duration_s=args.duration,
        )
    cpu = cpu_box[0]
    server_us_per_req = cpu.server_s / res.requests * 1e6 if res.requests else None
    # the signature is still good after the run: a second check catches a server that
    # started failing mid-run in a way wrk would not count (e.g. 200 with an error page)
    status2, _ = check_request(req)
    return {
        "server": server.name,
        "endpoint": server.endpoint,
        "check_status": status,
        "check_status_after": status2,
        "wrk": res.as_dict(),
        "cpu": cpu.as_dict(),
        "server_cpu_us_per_request": server_us_per_req,
        "machine_busy_share_before": round(busy_before, 3),
    }


def fmt(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def print_table(rows: list[dict[str, Any]], ratio: float | None, p99_ratio: float | None) -> None:
    head = (
        f"{'server':<10} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} "
        f"{'srv CPU us/req':>14} {'wrk CPU':>7} {'other CPU':>9}  status"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        w, c = r["wrk"], r["cpu"]
        state = "ok" if w["ok"] else "FAILED: " + _failure(w)
        wall = c["wall_s"] or 1.0
        print(
            f"{r['server']:<10} {fmt(w['requests_per_sec'], 0):>8} {fmt(w['p50_ms']):>7} "
            f"{fmt(w['p99_ms']):>7} {fmt(w['latency_max_ms'], 1):>7} {w['errors']:>6} "
            f"{fmt(r['server_cpu_us_per_request'], 0):>14} {c['loadgen_s'] / wall:>6.2f}c "
            f"{c['other_s'] / wall:>8.2f}c  {state}"
        )
    print(
        "(srv CPU: CPU time of the server's processes per request; wrk / other CPU: cores "
        "used by wrk / by every other process during the measurement)"
    )
    if ratio is not None:
        print(
            f"\nratio gatehold/moto: {ratio:.1f}x requests/s"
            + (f", p99 {p99_ratio:.2f}x of moto's" if p99_ratio is not None else "")
        )
    busy = [r["server"] for r in rows if r["cpu"]["other_share"] > 0.10]
    if busy:
        print(
            f"WARNING: other processes used > 10% of the machine while measuring "
            f"{', '.join(busy)}: those figures are low; re-run on a quiet machine "
            f"(or with --wait-quiet 120)"
        )


def _failure(w: dict[str, Any]) -> str:
    parts = []
    if w["non_2xx_3xx"]:
        parts.append(f"{w['non_2xx_3xx']} non-2xx/3xx responses")
    se = {k: v for k, v in w["socket_errors"].items() if v}
    if se:
        parts.append("socket errors " + ", ".join(f"{k} {v}" for k, v in se.items()))
    if w["requests_per_sec"] is None or w["p99_ms"] is None:
        parts.append("could not parse wrk's report")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        wrk = ensure_wrk(install=not args.no_install)
        if not args.skip_moto:
            ensure_moto_venv(install=not args.no_install)
    except BenchError as exc:
        print(f"sigv4_throughput: {exc}", file=sys.stderr)
        return 1

    work = scratch_dir("gatehold-bench-sigv4-")
    rows: list[dict[str, Any]] = []
    # servers (ProcessSet) stop before the PostgreSQL they use (ExitStack)
    with (
        bench_run("sigv4_throughput", work, keep=args.keep) as run,
        contextlib.ExitStack() as stack,
        ProcessSet() as procs,
    ):
        if not args.skip_gatehold:
            database_url = store_url(stack, args.store, work / "pgdata")
            print(
                f"[gatehold] init + serve --workers {args.workers} ({args.store}) ...",
                flush=True,
            )
            gh = start_gatehold(
                procs, work / "gatehold", workers=args.workers, database_url=database_url
            )
            print(
                f"[gatehold] {gh.endpoint}: wrk -t{args.threads} -c{args.connections} "
                f"-d{args.duration}s ...",
                flush=True,
            )
            rows.append(measure(gh, work, args))
            if gh.proc is not None:
                procs.stop(gh.proc)  # free the cores before measuring moto
        if not args.skip_moto:
            print("[moto] moto_server ...", flush=True)
            moto = start_moto(procs, work)
            print(
                f"[moto] {moto.endpoint}: wrk -t{args.threads} -c{args.connections} "
                f"-d{args.duration}s ...",
                flush=True,
            )
            rows.append(measure(moto, work, args))
            if moto.proc is not None:
                procs.stop(moto.proc)
    rc = run.rc
    if rc and not rows:
        return rc

    by = {r["server"]: r["wrk"] for r in rows}
    ratio = p99_ratio = None
    if "gatehold" in by and "moto" in by and by["moto"]["requests_per_sec"]:
        ratio = by["gatehold"]["requests_per_sec"] / by["moto"]["requests_per_sec"]
        if by["gatehold"]["p99_ms"] and by["moto"]["p99_ms"]:
            p99_ratio = by["gatehold"]["p99_ms"] / by["moto"]["p99_ms"]
    print()
    print_table(rows, ratio, p99_ratio)

    target_met = None
    if "gatehold" in by:
        g = by["gatehold"]
        target_met = bool(
            g["ok"] and g["requests_per_sec"] >= TARGET_RPS and g["p99_ms"] < TARGET_P99_MS
        )
        print(
            f"target (>= {TARGET_RPS:.0f} req/s, p99 < {TARGET_P99_MS:.0f} ms at "
            f"{args.connections} connections): {'met' if target_met else 'NOT met'}"
        )
    invalid = [r["server"] for r in rows if not r["wrk"]["ok"]]
    if invalid:
        print(f"INVALID measurement for: {', '.join(invalid)} (non-2xx/3xx or socket errors)")

    data = {
        "benchmark": RESULT_NAME,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "gatehold_revision": git_revision(),
        "moto_version": None if args.skip_moto else moto_version(),
        "wrk": {
            "path": wrk,
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "gatehold": {"workers": args.workers, "store": args.store},
        "target": {"requests_per_sec": TARGET_RPS, "p99_ms": TARGET_P99_MS, "met": target_met},
        "results": rows,
        "ratio_gatehold_over_moto_rps": ratio,
        "ratio_gatehold_over_moto_p99": p99_ratio,
    }
    path = write_results(RESULT_NAME, data)
    print(f"figures written to {path}")
    if rc:
        return rc
    if invalid or (args.enforce_target and target_met is False):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
