#!/usr/bin/env python3
"""What recording costs: signed-request throughput with the audit log on and off, in one run.

Issue 7 item 7: "recording adds under 10% to the signed-request throughput of the
spine's benchmark, measured in one run with recording on and off". Starts TWO
gatehold servers side by side on 127.0.0.1 (`--workers 2` each, same store kind):
one as shipped, one with GATEHOLD_AUDIT_ENABLED=0 (config.Settings.audit_enabled).
Each mix is a set of requests signed ONCE with botocore (checked to answer 200
with http.client), then replayed round-robin by wrk on every connection:

  spine   sts GetCallerIdentity alone: the spine's benchmark (bench/sigv4_throughput.py),
          which is what the issue's target names.
  read    sts GetCallerIdentity and iam GetUser (the admin itself), alternating:
          read-only calls, whose records the recorder batches off the request path
          (gatehold/audit/recorder.py `later`). Each is signed with its own access
          key of the admin's: a key's last-used facts name one service, so a key
          alternating between sts and iam would take the write lock on every call
          to note its use, and the "read" mix would measure writes.
  write   iam TagUser and UntagUser on one user, alternating: changes, each with
          its record written in the change's own transaction (`api_call_now`).

The servers are measured alternately (on, off, off, on, ... per round) so that a
change in the machine's load hits both alike; each cell is the median of its
rounds. Prints req/s, p50, p99 and the servers' CPU time per request (their whole
process groups, batcher threads included: the figure least moved by other work on
the machine) per mix and setting, and the cost of recording (% fewer req/s, % more
latency and CPU); writes bench/results/audit_cost.json.

    .venv/bin/python bench/audit_cost.py [--rounds 3] [-t 2] [-c 16] [-d 8]
        [--store sqlite|postgres] [--warmup 2] [--wait-quiet 60] [--enforce-target] [--keep]

Exit status: 0 measured; 1 set-up failure or a request did not answer 200;
2 a measurement was invalid (non-2xx/3xx or socket errors), or with
--enforce-target, recording cost 10% or more of the spine mix's throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    STS_BODY,
    BenchError,
    ProcessSet,
    Server,
    SignedRequest,
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
    start_gatehold,
    store_url,
    wait_until_quiet,
    write_results,
)

RESULT_NAME = "audit_cost"
TARGET_COST_PCT = 10.0
IAM_VERSION = "2010-05-08"
TARGET_USER = "bench-tagged"
SETTINGS = {"on": {}, "off": {"GATEHOLD_AUDIT_ENABLED": "0"}}
MIXES = ("spine", "read", "write")
TARGET_MIX = "spine"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_server_options(p, duration=8)
    p.add_argument("--rounds", type=int, default=3, help="measurements per cell (default 3)")
    p.add_argument("--warmup", type=int, default=2, help="wrk warm-up seconds per cell (0: none)")
    add_wait_quiet_option(p)
    p.add_argument(
        "--enforce-target",
        action="store_true",
        help=f"exit 2 if recording costs >= {TARGET_COST_PCT:.0f}%% of the spine mix's req/s",
    )
    args = parse_checked(p, argv)
    if args.rounds < 1:
        p.error("--rounds must be >= 1")
    return args


# ---- the requests ---------------------------------------------------------------------


def _iam(server: Server, **params: str) -> SignedRequest:
    body = urlencode({**params, "Version": IAM_VERSION})
    return sign_request(
        server.endpoint, server.access_key, server.secret_key, service="iam", body=body
    )


def mixes(server: Server, sts_key: tuple[str, str]) -> dict[str, list[SignedRequest]]:
    # GetCallerIdentity is signed with a key of its own: a key's last-used facts name
    # one service (AWS's AccessKeyLastUsed), so one key alternating between sts and iam
    # would write its last-used row on every request and the read mix would not be one.
    sts = sign_request(server.endpoint, *sts_key, body=STS_BODY)
    return {
        "spine": [sts],
        "read": [sts, _iam(server, Action="GetUser")],
        "write": [
            _iam(
                server,
                Action="TagUser",
                UserName=TARGET_USER,
                **{"Tags.member.1.Key": "team", "Tags.member.1.Value": "bench"},
            ),
            _iam(server, Action="UntagUser", UserName=TARGET_USER, **{"TagKeys.member.1": "team"}),
        ],
    }


def prepare(server: Server) -> dict[str, list[SignedRequest]]:
    """The user the write mix tags and the admin's second key, then every request
    checked once."""
    iam = server.client("iam")
    iam.create_user(UserName=TARGET_USER)
    key = iam.create_access_key()["AccessKey"]
    found = mixes(server, (key["AccessKeyId"], key["SecretAccessKey"]))
    for name, reqs in found.items():
        for req in reqs:
            status, body = check_request(req)
            if status != 200:
                raise BenchError(
                    f"{server.name} {name}: {req.body} answered {status}:\n{body[:2000]}"
                )
    return found


def _lua(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_mix_script(reqs: list[SignedRequest], path: Path) -> Path:
    """A wrk script that sends the mix's requests in turn on every connection
    (bench/common.write_wrk_script replays one request; a mix needs several)."""
    lines = [
        "-- generated by bench/audit_cost.py: replays signed requests in turn",
        "local reqs = {}",
        "local n = 0",
        "init = function(args)",
    ]
    for req in reqs:
        headers = ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in req.headers.items())
        lines.append(
            f"  table.insert(reqs, wrk.format({_lua(req.method)}, {_lua(req.path)}, "
            f"{{{headers}}}, {_lua(req.body)}))"
        )
    lines += ["end", "request = function()", "  n = n + 1", "  return reqs[(n % #reqs) + 1]", "end"]
    path.write_text("\n".join(lines) + "\n")
    return path


# ---- measuring ------------------------------------------------------------------------


def measure(server: Server, script: Path, args: argparse.Namespace) -> dict[str, Any]:
    busy_before = wait_until_quiet(args.wait_quiet)
    if args.warmup:
        run_wrk(
            server.endpoint + "/",
            script,
            threads=args.threads,
            connections=args.connections,
            duration_s=min(args.warmup, 10),
        )
    with cpu_accounting(server.proc.pid if server.proc else None) as box:
        res = run_wrk(
            server.endpoint + "/",
            script,
            threads=args.threads,
            connections=args.connections,
            duration_s=args.duration,
        )
    cpu = box[0]
    return {
        "wrk": res.as_dict(),
        "cpu": cpu.as_dict(),
        CPU: cpu.server_s / res.requests * 1e6 if res.requests else None,
        "machine_busy_share_before": round(busy_before, 3),
    }


CPU = "server_cpu_us_per_request"


def median(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[CPU] if key == CPU else r["wrk"][key] for r in rows]
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def cost_pct(on: float | None, off: float | None, *, higher_is_better: bool) -> float | None:
    """How much worse `on` is than `off`, in % of `off` (negative: better)."""
    if on is None or not off:
        return None
    return (off - on) / off * 100 if higher_is_better else (on - off) / off * 100


def summarize(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mix, by_setting in runs.items():
        cell = {
            s: {k: median(rows, k) for k in ("requests_per_sec", "p50_ms", "p99_ms", CPU)}
            for s, rows in by_setting.items()
        }
        on, off = cell["on"], cell["off"]
        cell["cost_pct"] = {
            "requests_per_sec": cost_pct(
                on["requests_per_sec"], off["requests_per_sec"], higher_is_better=True
            ),
            "p50_ms": cost_pct(on["p50_ms"], off["p50_ms"], higher_is_better=False),
            "p99_ms": cost_pct(on["p99_ms"], off["p99_ms"], higher_is_better=False),
            CPU: cost_pct(on[CPU], off[CPU], higher_is_better=False),
        }
        out[mix] = cell
    return out


def fmt(v: float | None, digits: int = 2, *, sign: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:+,.{digits}f}" if sign else f"{v:,.{digits}f}"


def print_table(summary: dict[str, Any], runs: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    head = (
        f"{'mix':<6} {'recording':<9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'CPU us/req':>10}  rounds (req/s)"
    )
    print(head)
    print("-" * len(head))
    for mix, cell in summary.items():
        for setting in ("on", "off"):
            c = cell[setting]
            each = ", ".join(fmt(r["wrk"]["requests_per_sec"], 0) for r in runs[mix][setting])
            print(
                f"{mix:<6} {setting:<9} {fmt(c['requests_per_sec'], 0):>8} "
                f"{fmt(c['p50_ms']):>7} {fmt(c['p99_ms']):>7} {fmt(c[CPU], 0):>10}  {each}"
            )
        cost = cell["cost_pct"]
        print(
            f"{mix:<6} {'cost':<9} {fmt(cost['requests_per_sec'], 1, sign=True):>7}% "
            f"{fmt(cost['p50_ms'], 1, sign=True):>6}% {fmt(cost['p99_ms'], 1, sign=True):>6}% "
            f"{fmt(cost[CPU], 1, sign=True):>9}%"
        )
    print(
        "(median of the rounds; cost: % fewer req/s, % more latency and % more server CPU "
        "per request with recording on; CPU us/req is the least noise-sensitive figure)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        ensure_wrk()
    except BenchError as exc:
        print(f"{RESULT_NAME}: {exc}", file=sys.stderr)
        return 1
    work = scratch_dir("gatehold-bench-audit-")
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {mix: {"on": [], "off": []} for mix in MIXES}
    # servers (ProcessSet) stop before the PostgreSQL they use (ExitStack)
    with (
        bench_run(RESULT_NAME, work, keep=args.keep) as run,
        contextlib.ExitStack() as stack,
        ProcessSet() as procs,
    ):
        servers: dict[str, Server] = {}
        scripts: dict[tuple[str, str], Path] = {}
        for setting, env in SETTINGS.items():
            database_url = store_url(
                stack, args.store, work / f"pgdata-{setting}", f"gatehold_{setting}"
            )
            print(
                f"[{setting}] init + serve --workers {args.workers} ({args.store}) ...", flush=True
            )
            server = start_gatehold(
                procs, work / setting, workers=args.workers, database_url=database_url, env=env
            )
            server.name = f"recording-{setting}"
            servers[setting] = server
            for mix, reqs in prepare(server).items():
                scripts[(mix, setting)] = write_mix_script(reqs, work / f"{mix}-{setting}.lua")
        for i in range(args.rounds):
            order = ("on", "off") if i % 2 == 0 else ("off", "on")
            for mix in runs:
                for setting in order:
                    print(
                        f"[round {i + 1}/{args.rounds}] {mix} mix, recording {setting}: "
                        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s ...",
                        flush=True,
                    )
                    runs[mix][setting].append(
                        measure(servers[setting], scripts[(mix, setting)], args)
                    )
    if run.rc and not any(r for m in runs.values() for r in m.values()):
        return run.rc

    summary = summarize(runs)
    print()
    print_table(summary, runs)
    invalid = [
        f"{mix}/{s}"
        for mix, m in runs.items()
        for s, rows in m.items()
        if any(not r["wrk"]["ok"] for r in rows)
    ]
    if invalid:
        print(f"INVALID measurement for: {', '.join(invalid)} (non-2xx/3xx or socket errors)")
    cost = summary[TARGET_MIX]["cost_pct"]["requests_per_sec"]
    met = cost is not None and cost < TARGET_COST_PCT
    print(
        f"target (recording costs < {TARGET_COST_PCT:.0f}% of the {TARGET_MIX} mix's req/s): "
        f"{'met' if met else 'NOT met'}"
    )
    busy = [r["cpu"]["other_share"] for m in runs.values() for rows in m.values() for r in rows]
    if busy and max(busy) > 0.10:
        print(
            f"WARNING: other processes used up to {max(busy):.0%} of the machine while "
            f"measuring: the figures are noisy; re-run on a quiet machine (or --wait-quiet 120)"
        )
    data = {
        "benchmark": RESULT_NAME,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "gatehold_revision": git_revision(),
        "wrk": {
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
        },
        "gatehold": {"workers": args.workers, "store": args.store},
        "target": {"mix": TARGET_MIX, "cost_pct_below": TARGET_COST_PCT, "met": met},
        "summary": summary,
        "results": runs,
    }
    path = write_results(RESULT_NAME + ("" if args.store == "sqlite" else f".{args.store}"), data)
    print(f"figures written to {path}")
    if run.rc:
        return run.rc
    if invalid or (args.enforce_target and not met):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
