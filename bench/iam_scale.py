#!/usr/bin/env python3
"""IAM at scale: seed users, list them page by page, at 10k and 100k users; moto beside.

    .venv/bin/python bench/iam_scale.py [--users 10000] [--big 100000] [--workers 2]
        [--clients 16] [--seed api|fast] [--fast-seed-big] [--moto-timeout 150] [--skip-moto]

Against a real `gatehold serve --workers 2` (SQLite store, temp data dir, 127.0.0.1):

1. seed --users users with CreateUser through the IAM API (botocore, a pool of
   --clients threads, one client each) and time it;
2. list every user with ListUsers page by page, MaxItems=100 and MaxItems=1000:
   total time, pages, and per-page latency (median/p99);
3. probe: the first page, and a page whose Marker is near the end of the list,
   each requested --probes times, per MaxItems;
4. grow to --big users and repeat 2 and 3: a page deep in the list should cost
   what the first page costs (keyset paging: the Marker is the last sort key);
5. the RSS of the serve processes (VmRSS summed over the server's process group,
   master and workers) after each size.

Then moto's server (bench/.venv-moto) gets the same --users seed and list, bounded
by --moto-timeout for the seed and the same again for the list; the table says
what it reached.

gatehold enforces AWS's quota of 5,000 IAM users per account (CreateUser answers
LimitExceeded "Cannot exceed quota for UsersPerAccount: 5000"), as AWS does. The
API seed therefore creates min(--users, 5000) users through CreateUser, and any
users above the quota, like the growth to --big, are inserted straight into the
store with gatehold's own repository function (gatehold/store/users.py insert(),
the FAST PATH, labelled as such in the table and the JSON). `--seed fast` uses
the fast path for the first size too. The listing, which is what is measured,
always goes through the API.

Prints a table and writes bench/results/iam_scale.json.
Exit status: 0 measured; 1 set-up failed or a listing came back incomplete.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    REPO_DIR,
    BenchError,
    ProcessSet,
    Server,
    bench_run,
    ensure_moto_venv,
    git_revision,
    machine_busy_share,
    moto_version,
    scratch_dir,
    start_gatehold,
    start_moto,
    write_results,
)

RESULT_NAME = "iam_scale"
USER_QUOTA = 5000  # gatehold, like AWS: UsersPerAccount
PAGE_SIZES = (100, 1000)


# --------------------------------------------------------------------------- clients


def iam_client(server: Server, pool: int = 4) -> Any:
    import boto3
    from botocore.config import Config

    if not server.endpoint.startswith("http://127.0.0.1:"):
        raise BenchError(f"refusing {server.endpoint}: benchmarks only talk to 127.0.0.1")
    return boto3.session.Session().client(
        "iam",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(
            retries={"max_attempts": 1},
            max_pool_connections=pool,
            connect_timeout=10,
            read_timeout=60,
        ),
    )


def user_name(i: int) -> str:
    return f"scale-user-{i:06d}"


def seed_api(
    server: Server, start: int, stop: int, clients: int, timeout_s: float
) -> dict[str, Any]:
    """CreateUser for users start..stop-1 from `clients` threads; bounded by timeout_s."""
    local = threading.local()
    deadline = time.monotonic() + timeout_s
    errors: dict[str, int] = {}
    lock = threading.Lock()
    latencies: list[float] = []

    def create(i: int) -> bool:
        if time.monotonic() > deadline:
            return False
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = iam_client(server)
        t0 = time.perf_counter()
        try:
            client.create_user(UserName=user_name(i))
        except Exception as exc:  # counted and reported
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            with lock:
                errors[code] = errors.get(code, 0) + 1
            return False
        with lock:
            latencies.append(time.perf_counter() - t0)
        return True

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=clients) as pool:
        created = sum(pool.map(create, range(start, stop)))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "path": "api",
        "requested": stop - start,
        "created": created,
        "seconds": round(elapsed, 2),
        "users_per_s": round(created / elapsed, 1) if elapsed else None,
        "create_median_ms": _ms(statistics.median(latencies)) if latencies else None,
        "create_p99_ms": _ms(_pct(latencies, 0.99)) if latencies else None,
        "errors": errors,
        "timed_out": time.monotonic() > deadline,
    }


def seed_fast(server: Server, data_dir: Path, start: int, stop: int) -> dict[str, Any]:
    """FAST PATH: insert users straight into the store with gatehold/store/users.py insert()."""
    sys.path.insert(0, str(REPO_DIR))
    from gatehold import ids
    from gatehold.arn import iam_arn
    from gatehold.store import users
    from gatehold.store.db import Store, sqlite_url
    from gatehold.store.records import User

    account_id = str(server.info["account_id"])
    url = server.info.get("_database_url") or sqlite_url(data_dir)
    store = Store.open(url)
    now = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    try:
        for lo in range(start, stop, 5000):
            with store.transaction() as conn:
                for i in range(lo, min(stop, lo + 5000)):
                    name = user_name(i)
                    users.insert(
                        conn,
                        User(
                            user_id=ids.new_unique_id(ids.PREFIX_USER),
                            account_id=account_id,
                            user_name=name,
                            path="/",
                            arn=iam_arn(account_id, "user", "/", name),
                            created_at=now,
                            password_last_used=None,
                            permissions_boundary_arn=None,
                        ),
                    )
    finally:
        store.dispose()
    elapsed = time.perf_counter() - t0
    return {
        "path": "fast (store insert, not the API)",
        "requested": stop - start,
        "created": stop - start,
        "seconds": round(elapsed, 2),
        "users_per_s": round((stop - start) / elapsed, 1) if elapsed else None,
    }


# --------------------------------------------------------------------------- listing


def _ms(s: float) -> float:
    return round(s * 1000, 2)


def _pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def _summary(lat: list[float]) -> dict[str, Any]:
    s = sorted(lat)
    if not s:
        return {"n": 0}
    return {
        "n": len(s),
        "median_ms": _ms(statistics.median(s)),
        "p99_ms": _ms(_pct(s, 0.99)),
        "max_ms": _ms(s[-1]),
    }


def list_all(client: Any, max_items: int, timeout_s: float) -> dict[str, Any]:
    """Every page of ListUsers; per-page latency; the markers seen (for the probes)."""
    deadline = time.monotonic() + timeout_s
    lat: list[float] = []
    markers: list[str | None] = [None]  # markers[k]: the Marker that asks for page k
    count = 0
    names: set[str] = set()
    marker: str | None = None
    t0 = time.perf_counter()
    complete = False
    while time.monotonic() < deadline:
        kw: dict[str, Any] = {"MaxItems": max_items}
        if marker:
            kw["Marker"] = marker
        p0 = time.perf_counter()
        resp = client.list_users(**kw)
        lat.append(time.perf_counter() - p0)
        page = resp.get("Users", [])
        count += len(page)
        names.update(u["UserName"] for u in page)
        if not resp.get("IsTruncated"):
            complete = True
            break
        marker = resp["Marker"]
        markers.append(marker)
    total = time.perf_counter() - t0
    tenth = max(1, len(lat) // 10)
    return {
        "max_items": max_items,
        "complete": complete,
        "pages": len(lat),
        "users_listed": count,
        "distinct_users": len(names),
        "total_s": round(total, 2),
        "per_page": _summary(lat),
        "per_page_first_tenth": _summary(lat[:tenth]),
        "per_page_last_tenth": _summary(lat[-tenth:]),
        "_markers": markers,
    }


def probe(client: Any, marker: str | None, max_items: int, repeats: int) -> dict[str, Any]:
    lat = []
    kw: dict[str, Any] = {"MaxItems": max_items}
    if marker:
        kw["Marker"] = marker
    got = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        resp = client.list_users(**kw)
        lat.append(time.perf_counter() - t0)
        got = len(resp.get("Users", []))
    return {**_summary(lat), "users_on_page": got}


def measure_listing(server: Server, expected: int, probes: int, timeout_s: float) -> dict[str, Any]:
    client = iam_client(server)
    out: dict[str, Any] = {}
    for max_items in PAGE_SIZES:
        walk = list_all(client, max_items, timeout_s)
        markers = walk.pop("_markers")
        # "near the end": the marker of the page 95% of the way through the list, but
        # never the last page, which may be short (markers[k] asks for page k)
        pages = len(markers)
        deep_index = max(0, min(int(pages * 0.95), pages - 2))
        walk["probe_first_page"] = probe(client, None, max_items, probes)
        walk["probe_deep_page"] = {
            **probe(client, markers[deep_index], max_items, probes),
            "page_index": deep_index,
            "starts_after_user_no": deep_index * max_items,
        }
        walk["ok"] = walk["complete"] and walk["distinct_users"] == expected
        # a server that ignores MaxItems answers more than asked on one page
        walk["honours_max_items"] = walk["probe_first_page"]["users_on_page"] <= max_items
        out[str(max_items)] = walk
    return out


# --------------------------------------------------------------------------- memory


def group_rss_kib(pgid: int) -> dict[str, Any]:
    """VmRSS of every live process in the process group (server master + workers)."""
    per: dict[str, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[2]) != pgid:
                continue
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        per[entry] = int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return {
        "total_mib": round(sum(per.values()) / 1024, 1),
        "processes": len(per),
        "per_pid_kib": per,
    }


# --------------------------------------------------------------------------- runs


def run_gatehold(args: argparse.Namespace, procs: ProcessSet, work: Path) -> dict[str, Any]:
    data_dir = work / "gatehold"
    print(f"[gatehold] init + serve --workers {args.workers} (SQLite) ...", flush=True)
    gh = start_gatehold(procs, data_dir, workers=args.workers)
    assert gh.proc is not None
    result: dict[str, Any] = {"endpoint": gh.endpoint, "workers": args.workers, "store": "sqlite"}
    result["rss_empty"] = group_rss_kib(gh.proc.pid)
    # the admin user exists already: the account holds users + 1
    seeds = []
    api_n = 0 if args.seed == "fast" else min(args.users, USER_QUOTA - 1)
    if api_n:
        print(
            f"[gatehold] seeding {api_n:,} users through CreateUser ({args.clients} clients) ...",
            flush=True,
        )
        seeds.append(seed_api(gh, 0, api_n, args.clients, args.seed_timeout))
        print(
            f"[gatehold]   {seeds[-1]['created']:,} in {seeds[-1]['seconds']} s "
            f"errors={seeds[-1]['errors']}",
            flush=True,
        )
        api_n = seeds[-1]["created"]
        # one more past the quota shows what an API seed above 5,000 meets
        if args.users >= USER_QUOTA:
            over = seed_api(gh, api_n, api_n + 2, 1, 30)
            result["over_quota_create"] = over["errors"]
    if args.users > api_n:
        print(
            f"[gatehold] FAST PATH: inserting users {api_n:,}..{args.users - 1:,} into the "
            "store ...",
            flush=True,
        )
        seeds.append(seed_fast(gh, data_dir, api_n, args.users))
    result["seed_small"] = seeds
    expected = args.users + 1  # plus admin
    print(f"[gatehold] listing {expected:,} users ...", flush=True)
    result["list_small"] = measure_listing(gh, expected, args.probes, args.list_timeout)
    result["rss_small"] = group_rss_kib(gh.proc.pid)
    if args.big > args.users:
        print(f"[gatehold] FAST PATH: growing to {args.big:,} users ...", flush=True)
        result["seed_big"] = [seed_fast(gh, data_dir, args.users, args.big)]
        expected = args.big + 1
        print(f"[gatehold] listing {expected:,} users ...", flush=True)
        result["list_big"] = measure_listing(gh, expected, args.probes, args.list_timeout)
        result["rss_big"] = group_rss_kib(gh.proc.pid)
    procs.stop(gh.proc)
    return result


def run_moto(args: argparse.Namespace, procs: ProcessSet, work: Path) -> dict[str, Any]:
    print("[moto] moto_server ...", flush=True)
    moto = start_moto(procs, work)
    assert moto.proc is not None
    result: dict[str, Any] = {"endpoint": moto.endpoint, "version": moto_version()}
    print(
        f"[moto] seeding {args.users:,} users through CreateUser ({args.clients} clients, "
        f"at most {args.moto_timeout:.0f} s) ...",
        flush=True,
    )
    seed = seed_api(moto, 0, args.users, args.clients, args.moto_timeout)
    result["seed_small"] = [seed]
    print(
        f"[moto]   {seed['created']:,} in {seed['seconds']} s"
        + (" (timed out)" if seed["timed_out"] else ""),
        flush=True,
    )
    print(
        f"[moto] listing {seed['created']:,} users (at most {args.moto_timeout:.0f} s per "
        "page size) ...",
        flush=True,
    )
    try:
        result["list_small"] = measure_listing(
            moto, seed["created"], min(args.probes, 10), args.moto_timeout
        )
    except Exception as exc:  # moto's result is reported, not fatal
        result["list_error"] = f"{type(exc).__name__}: {exc}"
    result["rss_small"] = group_rss_kib(moto.proc.pid)
    procs.stop(moto.proc)
    return result


# --------------------------------------------------------------------------- report


def _seed_cell(seeds: list[dict[str, Any]]) -> str:
    parts = []
    for s in seeds:
        tag = "API" if s["path"] == "api" else "FAST"
        parts.append(f"{s['created']:,} {tag} {s['seconds']}s ({s['users_per_s']}/s)")
    return " + ".join(parts)


def print_table(data: dict[str, Any]) -> None:
    head = (
        f"{'server':<9} {'users':>8} {'MaxItems':>8} {'pages':>6} {'list s':>7} "
        f"{'page p50':>8} {'page p99':>8} {'1st p50':>8} {'deep p50':>8} {'deep p99':>8} "
        f"{'RSS MiB':>8}  ok"
    )
    print(head)
    print("-" * len(head))
    for name in ("gatehold", "moto"):
        r = data.get(name)
        if not r:
            continue
        for size in ("small", "big"):
            lists = r.get(f"list_{size}")
            if not lists:
                continue
            rss = r.get(f"rss_{size}", {}).get("total_mib")
            for mi, w in lists.items():
                pp, fp, dp = w["per_page"], w["probe_first_page"], w["probe_deep_page"]
                print(
                    f"{name:<9} {w['distinct_users']:>8,} {mi:>8} {w['pages']:>6} "
                    f"{w['total_s']:>7.2f} {pp.get('median_ms', 0):>8.2f} "
                    f"{pp.get('p99_ms', 0):>8.2f} {fp.get('median_ms', 0):>8.2f} "
                    f"{dp.get('median_ms', 0):>8.2f} {dp.get('p99_ms', 0):>8.2f} "
                    f"{rss if rss is not None else '-':>8}  "
                    f"{'ok' if w['ok'] else 'INCOMPLETE'}"
                    + (
                        ""
                        if w["honours_max_items"]
                        else f" (ignores MaxItems: {fp['users_on_page']:,} on one page)"
                    )
                )
    print(
        "(ms per ListUsers page; '1st'/'deep': the first page and a page whose Marker is "
        "95% of the way through, each requested repeatedly; RSS: serve processes summed)"
    )
    for name in ("gatehold", "moto"):
        r = data.get(name)
        if not r:
            continue
        print(
            f"\n{name} seed to "
            f"{len(r['seed_small']) and sum(s['created'] for s in r['seed_small']):,}: "
            f"{_seed_cell(r['seed_small'])}"
        )
        if r.get("seed_big"):
            print(f"{name} growth: {_seed_cell(r['seed_big'])}")
        if r.get("over_quota_create"):
            print(f"{name} CreateUser past the 5,000-user quota: {r['over_quota_create']}")
        if r.get("list_error"):
            print(f"{name} listing failed: {r['list_error']}")
    flat = data.get("flatness")
    if flat:
        print("\nflatness (deep-page median / first-page median; big/small first-page median):")
        for mi, f in flat.items():
            print(
                f"  MaxItems={mi}: deep/first at {f['small_users']:,} users "
                f"{f['deep_over_first_small']:.2f}x, at {f['big_users']:,} users "
                f"{f['deep_over_first_big']:.2f}x; first page big/small "
                f"{f['first_big_over_small']:.2f}x"
            )
    g, m = data.get("gatehold"), data.get("moto")
    if g and m and m.get("list_small") and g.get("list_small"):
        for mi in map(str, PAGE_SIZES):
            gw, mw = g["list_small"][mi], m["list_small"].get(mi)
            if mw and gw["total_s"]:
                print(
                    f"ratio moto/gatehold, list all at MaxItems={mi}: "
                    f"{mw['total_s'] / gw['total_s']:.1f}x time "
                    f"(moto listed {mw['distinct_users']:,})"
                )


def flatness(g: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not (g.get("list_small") and g.get("list_big")):
        return out
    for mi in map(str, PAGE_SIZES):
        s, b = g["list_small"][mi], g["list_big"][mi]
        out[mi] = {
            "small_users": s["distinct_users"],
            "big_users": b["distinct_users"],
            "deep_over_first_small": s["probe_deep_page"]["median_ms"]
            / s["probe_first_page"]["median_ms"],
            "deep_over_first_big": b["probe_deep_page"]["median_ms"]
            / b["probe_first_page"]["median_ms"],
            "first_big_over_small": b["probe_first_page"]["median_ms"]
            / s["probe_first_page"]["median_ms"],
        }
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--users", type=int, default=10000, help="first size (default 10000)")
    p.add_argument(
        "--big", type=int, default=100000, help="size to grow to (default 100000; 0: skip)"
    )
    p.add_argument("--workers", type=int, default=2, help="gatehold serve --workers (default 2)")
    p.add_argument("--clients", type=int, default=16, help="seeding threads (default 16)")
    p.add_argument(
        "--seed",
        choices=["api", "fast"],
        default="api",
        help="first size through CreateUser (up to the 5,000 quota; default) or all "
        "through the FAST PATH (store insert)",
    )
    p.add_argument(
        "--probes",
        type=int,
        default=50,
        help="repeats of the first-page and deep-page requests (default 50)",
    )
    p.add_argument(
        "--seed-timeout",
        type=float,
        default=300,
        help="bound on gatehold's API seed, seconds (default 300)",
    )
    p.add_argument(
        "--list-timeout",
        type=float,
        default=300,
        help="bound on one full listing, seconds (default 300)",
    )
    p.add_argument(
        "--moto-timeout",
        type=float,
        default=150,
        help="bound on moto's seed and on each moto listing, seconds (default 150)",
    )
    p.add_argument("--skip-moto", action="store_true")
    p.add_argument(
        "--no-install",
        action="store_true",
        help="do not create the moto venv; print the command and fail",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    args = p.parse_args(argv)
    if args.users < 1 or (args.big and args.big < args.users):
        p.error("--users must be >= 1 and --big >= --users (or 0)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.skip_moto:
        try:
            ensure_moto_venv(install=not args.no_install)
        except BenchError as exc:
            print(f"iam_scale: {exc}", file=sys.stderr)
            return 1
    busy = machine_busy_share(1.0)
    print(f"[machine] {busy:.0%} busy before the run", flush=True)
    work = scratch_dir("gatehold-bench-iam-scale-")
    data: dict[str, Any] = {
        "benchmark": RESULT_NAME,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "busy_share_before": round(busy, 3),
        },
        "gatehold_revision": git_revision(),
        "args": dict(vars(args)),
        "note": "gatehold enforces AWS's 5,000 users/account quota on CreateUser: users past "
        "it (and the growth to --big) are inserted with gatehold/store/users.py "
        "insert() (FAST PATH); ListUsers always goes through the API",
    }
    started = time.monotonic()
    with bench_run("iam_scale", work, keep=args.keep) as run, ProcessSet() as procs:
        data["gatehold"] = run_gatehold(args, procs, work)
        data["flatness"] = flatness(data["gatehold"])
        if not args.skip_moto:
            data["moto"] = run_moto(args, procs, work)
    rc = run.rc
    data["wall_s"] = round(time.monotonic() - started, 1)
    if "gatehold" not in data:
        return rc or 1
    print()
    print_table(data)
    path = write_results(RESULT_NAME, data)
    print(f"\nwhole run {data['wall_s']} s; figures written to {path}")
    g = data["gatehold"]
    incomplete = [
        mi for k in ("list_small", "list_big") for mi, w in (g.get(k) or {}).items() if not w["ok"]
    ]
    if incomplete:
        print("INCOMPLETE gatehold listing (pages missing or duplicated)", file=sys.stderr)
        return rc or 1
    return rc


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
