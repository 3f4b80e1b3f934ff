#!/usr/bin/env python3
"""LookupEvents at scale: attribute lookups over 1,000,000 stored audit records.

1. starts one gatehold (`--workers 1`) on 127.0.0.1 in a temp data dir;
2. SEEDS the audit log with --records records (default 1,000,000) over the last 80
   days, for the server's account: FAST PATH, segments written straight into the
   store's audit_segments and audit_segment_keys tables (the same segments
   gatehold/audit/log.py stores, through its own `log.append`), in chunks, NOT
   through the API — recording a million calls through the API would take hours.
   A record every ~7 s: segments of ~9 records each (a segment spans at most a
   minute), a sparser log than a busy server's batches of hundreds;
3. times lookups THROUGH THE REAL API (boto3's cloudtrail client, SigV4-signed, JSON
   1.1 over HTTP), each --repeat times after a warm-up: one per attribute kind, from
   rare (a ResourceName with 10 events) to common (ReadOnly=false: 30 %), plus the
   second page of a NextToken and a lookup without attribute;
4. prints median / p95 / max per lookup (ms, client-side wall time: HTTP and botocore
   included) and writes bench/results/lookup_events.json.

    .venv/bin/python bench/lookup_events.py [--records 1000000] [--repeat 50]
        [--store sqlite|postgres] [--keep]

The target (issue #7): under 50 ms median for an attribute lookup over 1M records.
Exit status: 0 measured; 1 set-up failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import (
    ProcessSet,
    bench_run,
    git_revision,
    scratch_dir,
    start_gatehold,
    store_url,
    write_results,
)
from sqlalchemy import text

from gatehold.audit import log, records
from gatehold.store.db import Store, sqlite_url

CHUNK = 20_000
USERS = 200
# (eventName, eventSource, readOnly, share): the mix of a busy IAM account.
MIX = [
    ("GetUser", "iam.amazonaws.com", True, 0.30),
    ("ListUsers", "iam.amazonaws.com", True, 0.15),
    ("GetCallerIdentity", "sts.amazonaws.com", True, 0.15),
    ("ListAttachedUserPolicies", "iam.amazonaws.com", True, 0.10),
    ("AssumeRole", "sts.amazonaws.com", False, 0.15),
    ("CreateUser", "iam.amazonaws.com", False, 0.05),
    ("PutUserPolicy", "iam.amazonaws.com", False, 0.04),
    ("CreateAccessKey", "iam.amazonaws.com", False, 0.05),
    ("ConsoleLogin", "signin.amazonaws.com", False, 0.01),
]


def _pick(i: int) -> tuple[str, str, bool]:
    # Deterministic: the i-th record's kind by its position in a 10,000-cycle.
    x = (i * 7919) % 10_000 / 10_000
    acc = 0.0
    for name, source, read_only, share in MIX:
        acc += share
        if x < acc:
            return name, source, read_only
    return MIX[0][:3]


def _record(i: int, account: str, at: dt.datetime) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    name, source, read_only = _pick(i)
    user = f"user-{i % USERS}"
    key = f"AKIABENCH{i % USERS:011d}"
    # Ten records touch each rare resource name; the rest spread over 100,000 users.
    target = f"rare-{i // 10}" if i % 100_000 < 10 * 1000 else f"target-{i % 100_000}"
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": f"AIDABENCH{i % USERS:011d}",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": key,
            "userName": user,
        },
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "bench",
        "requestParameters": {"userName": target},
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": records.new_event_id(records.unix_ms(at)),  # as the recorder makes them
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    return record, [("AWS::IAM::User", target)]


def seed(store: Store, account: str, count: int) -> tuple[float, dict[str, str]]:
    """FAST PATH: insert `count` records straight into the store; returns seconds
    taken and a few values to look up."""
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=80)
    step = dt.timedelta(days=80) / count
    began = time.perf_counter()
    picked: dict[str, str] = {}
    for lo in range(0, count, CHUNK):
        recs, res, times = [], [], []
        for i in range(lo, min(count, lo + CHUNK)):
            at = start + step * i
            record, resources = _record(i, account, at)
            recs.append(record)
            res.append(resources)
            times.append(at)
        # The segments gatehold itself writes (log.append), a chunk per transaction.
        with store.transaction() as db:
            log.append(db, recs, res, times)
        if lo <= count // 2 < lo + CHUNK:
            picked["EventId"] = recs[0]["eventID"]
        done = min(count, lo + CHUNK)
        if done % 100_000 == 0:
            print(f"  seeded {done:,} records ({time.perf_counter() - began:.0f}s)", flush=True)
    with store.transaction() as db:
        if not store.is_sqlite:
            db.execute(text("ANALYZE audit_segments"))
            db.execute(text("ANALYZE audit_segment_keys"))
        else:
            db.execute(text("ANALYZE"))
    return time.perf_counter() - began, picked


def timed(call: Any, repeat: int) -> dict[str, float]:
    for _ in range(3):
        call()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    work = scratch_dir("gh-bench-lookup-")
    with (
        bench_run("lookup_events", work, keep=args.keep) as outcome,
        contextlib.ExitStack() as stack,  # PostgreSQL, if any: stopped after gatehold
        ProcessSet() as procs,
    ):
        url = store_url(stack, args.store, work / "pg")
        server = start_gatehold(procs, work / "data", workers=1, database_url=url)
        account = str(server.info["account_id"])
        store = Store.open(url or sqlite_url(work / "data"))
        try:
            print(f"seeding {args.records:,} records (fast path: direct inserts) ...")
            seconds, picked = seed(store, account, args.records)
        finally:
            store.dispose()
        print(f"seeded in {seconds:.0f}s")
        ct = server.client("cloudtrail", retries={"max_attempts": 1})

        def by(key: str, value: str, **kw: Any) -> Any:
            return lambda: ct.lookup_events(
                LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **kw
            )

        first = ct.lookup_events(
            LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "user-17"}]
        )
        assert len(first["Events"]) == 50 and first.get("NextToken")
        token = first["NextToken"]
        cases: dict[str, Any] = {
            "EventName=ConsoleLogin (1 %)": by("EventName", "ConsoleLogin"),
            "Username=user-17 (0.5 %)": by("Username", "user-17"),
            "ReadOnly=false (30 %)": by("ReadOnly", "false"),
            "EventSource=sts.amazonaws.com (30 %)": by("EventSource", "sts.amazonaws.com"),
            "AccessKeyId (0.5 %)": by("AccessKeyId", "AKIABENCH00000000017"),
            "ResourceName=rare-42 (10 events)": by("ResourceName", "rare-42"),
            "ResourceType=AWS::IAM::User (all)": by("ResourceType", "AWS::IAM::User"),
            "EventId": by("EventId", picked["EventId"]),
            "Username=user-17, page 2 (NextToken)": by("Username", "user-17", NextToken=token),
            "no attribute (all)": lambda: ct.lookup_events(),
        }
        results = {}
        print(f"\n{'lookup (MaxResults 50)':44} {'median':>9} {'p95':>9} {'max':>9}")
        for name, call in cases.items():
            r = timed(call, args.repeat)
            results[name] = r
            print(f"{name:44} {r['median_ms']:7.2f}ms {r['p95_ms']:7.2f}ms {r['max_ms']:7.2f}ms")
        attribute_medians = [r["median_ms"] for k, r in results.items() if "no attribute" not in k]
        worst = max(attribute_medians)
        print(f"\nworst attribute-lookup median: {worst:.2f} ms (target < 50 ms)")
        path = write_results(
            f"lookup_events_{args.store}",
            {
                "records": args.records,
                "store": args.store,
                "repeat": args.repeat,
                "seed_seconds": round(seconds, 1),
                "results": results,
                "worst_attribute_median_ms": worst,
                "machine": platform.platform(),
                "python": platform.python_version(),
                "revision": git_revision(),
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
        )
        print(f"results: {path}")
    return outcome.rc


if __name__ == "__main__":
    sys.exit(main())
