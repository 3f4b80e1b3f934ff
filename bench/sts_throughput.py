#!/usr/bin/env python3
"""STS throughput: AssumeRole per second, and signed GetCallerIdentity with temporary
credentials compared with long-term keys, in the same run on the same server.

Starts one gatehold (`--workers 2`) on 127.0.0.1, creates a role that trusts the admin
user, and measures three requests, each built ONCE with botocore's SigV4 signer,
checked to answer 200 with http.client, then replayed by wrk:

  assume-role     POST / Action=AssumeRole (long-term keys). Replaying one signed
                  request is a fair load: the signature covers nothing unique, and
                  every replay is a full AssumeRole (trust policy + identity policy
                  evaluation, a new key, a sealed token). RoleLastUsed is written at
                  most once a minute per role, so nearly every replay runs in a read
                  transaction (gatehold/services/read_mostly.py); before that change,
                  each call took SQLite's write lock: ~765 req/s, p99 ~750 ms.
  gci-long-term   POST / Action=GetCallerIdentity signed with the admin's AKIA key
                  (a key lookup in the store and the secret opened).
  gci-temporary   the same, signed with AssumeRole's ASIA key and session token
                  (the token opened: one AES-GCM decrypt, no query).

Prints a table and the temporary/long-term ratio; writes bench/results/sts_throughput.json.

    .venv/bin/python bench/sts_throughput.py [--workers 2] [-t 2] [-c 16] [-d 10]
        [--store sqlite|postgres] [--warmup 2] [--keep]

Exit status: 0 measured; 1 set-up failure or a request did not answer 200;
2 a measurement was invalid (non-2xx/3xx responses or socket errors).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BenchError,
    ProcessSet,
    Server,
    SignedRequest,
    add_server_options,
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
    write_results,
    write_wrk_script,
)

RESULT_NAME = "sts_throughput"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_server_options(p, duration=10)
    p.add_argument("--warmup", type=int, default=2, help="seconds of wrk warm-up per request")
    p.add_argument("--no-install", action="store_true", help="do not install wrk; fail instead")
    return parse_checked(p, argv)


def _role_trusting_admin(gh: Server) -> str:
    admin_arn = gh.client("sts").get_caller_identity()["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}
        ],
    }
    role = gh.client("iam").create_role(
        RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    return str(role["Arn"])


def _assume_role_body(role_arn: str) -> str:
    return urlencode(
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": role_arn,
            "RoleSessionName": "bench",
            "DurationSeconds": "3600",
        }
    )


def _temporary_credentials(gh: Server, role_arn: str) -> dict[str, str]:
    sts = gh.client("sts")
    creds: dict[str, str] = sts.assume_role(RoleArn=role_arn, RoleSessionName="bench")[
        "Credentials"
    ]
    return creds


def requests_to_measure(gh: Server, role_arn: str) -> list[tuple[str, SignedRequest, str]]:
    """(name, signed request, text its 200 answer must contain)."""
    temp = _temporary_credentials(gh, role_arn)
    return [
        (
            "assume-role",
            sign_request(
                gh.endpoint, gh.access_key, gh.secret_key, body=_assume_role_body(role_arn)
            ),
            "AssumeRoleResult",
        ),
        (
            "gci-long-term",
            sign_request(gh.endpoint, gh.access_key, gh.secret_key),
            "GetCallerIdentityResult",
        ),
        (
            "gci-temporary",
            sign_request(
                gh.endpoint,
                temp["AccessKeyId"],
                temp["SecretAccessKey"],
                session_token=temp["SessionToken"],
            ),
            "assumed-role/bench-role/bench",
        ),
    ]


def measure(
    gh: Server, name: str, req: SignedRequest, expect: str, work: Path, args: argparse.Namespace
) -> dict[str, Any]:
    status, body = check_request(req)
    if status != 200 or expect not in body:
        raise BenchError(f"{name}: the signed request answered {status}:\n{body[:2000]}")
    script = write_wrk_script(req, work / f"{name}.lua")
    url = gh.endpoint + "/"
    if args.warmup:
        run_wrk(
            url,
            script,
            threads=args.threads,
            connections=args.connections,
            duration_s=min(args.warmup, 10),
        )
    with cpu_accounting(gh.proc.pid if gh.proc else None) as cpu_box:
        res = run_wrk(
            url,
            script,
            threads=args.threads,
            connections=args.connections,
            duration_s=args.duration,
        )
    cpu = cpu_box[0]
    return {
        "request": name,
        "wrk": res.as_dict(),
        "cpu": cpu.as_dict(),
        "server_cpu_us_per_request": cpu.server_s / res.requests * 1e6 if res.requests else None,
    }


def fmt(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def print_table(rows: list[dict[str, Any]], ratio: float | None) -> None:
    head = (
        f"{'request':<14} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'errors':>6} {'srv CPU us/req':>14} {'other CPU':>9}  status"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        w, c = r["wrk"], r["cpu"]
        wall = c["wall_s"] or 1.0
        state = "ok" if w["ok"] else f"FAILED ({w['errors']} errors)"
        print(
            f"{r['request']:<14} {fmt(w['requests_per_sec'], 0):>8} {fmt(w['p50_ms']):>7} "
            f"{fmt(w['p99_ms']):>7} {fmt(w['latency_max_ms'], 1):>7} {w['errors']:>6} "
            f"{fmt(r['server_cpu_us_per_request'], 0):>14} {c['other_s'] / wall:>8.2f}c  {state}"
        )
    if ratio is not None:
        print(f"\nGetCallerIdentity, temporary / long-term credentials: {ratio:.2f}x requests/s")
    if any(r["cpu"]["other_share"] > 0.10 for r in rows):
        print(
            "WARNING: other processes used > 10% of the machine while measuring: "
            "figures are low; re-run on a quiet machine"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        ensure_wrk(install=not args.no_install)
    except BenchError as exc:
        print(f"sts_throughput: {exc}", file=sys.stderr)
        return 1
    work = scratch_dir("gatehold-bench-sts-")
    rows: list[dict[str, Any]] = []
    with (
        bench_run("sts_throughput", work, keep=args.keep) as run,
        contextlib.ExitStack() as stack,
        ProcessSet() as procs,
    ):
        database_url = store_url(stack, args.store, work / "pgdata")
        print(f"[gatehold] init + serve --workers {args.workers} ({args.store}) ...", flush=True)
        gh = start_gatehold(
            procs, work / "gatehold", workers=args.workers, database_url=database_url
        )
        role_arn = _role_trusting_admin(gh)
        for name, req, expect in requests_to_measure(gh, role_arn):
            print(
                f"[{name}] wrk -t{args.threads} -c{args.connections} -d{args.duration}s ...",
                flush=True,
            )
            rows.append(measure(gh, name, req, expect, work, args))
        if gh.proc is not None:
            procs.stop(gh.proc)
    rc = run.rc
    if rc:
        return rc

    by = {r["request"]: r["wrk"] for r in rows}
    long_rps = by["gci-long-term"]["requests_per_sec"]
    temp_rps = by["gci-temporary"]["requests_per_sec"]
    ratio = temp_rps / long_rps if long_rps and temp_rps else None
    print()
    print_table(rows, ratio)
    path = write_results(
        RESULT_NAME,
        {
            "benchmark": RESULT_NAME,
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git_revision": git_revision(),
            "machine": {
                "platform": platform.platform(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            "settings": {
                "workers": args.workers,
                "store": args.store,
                "threads": args.threads,
                "connections": args.connections,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
            },
            "results": rows,
            "temporary_over_long_term_rps": ratio,
        },
    )
    print(f"\nwrote {path}")
    return 0 if all(r["wrk"]["ok"] for r in rows) else 2


if __name__ == "__main__":
    sys.exit(main())
