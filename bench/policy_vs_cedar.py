#!/usr/bin/env python3
"""gatehold's policy engine vs Cedar (cedarpy), on equivalent policy sets, in one run.

    .venv/bin/python bench/policy_vs_cedar.py [--sizes 10,1000] [--max-seconds 4]
        [--runs 20000] [--skip-cedar] [--no-install]

For each size N (10 and 1,000 by default), with and without conditions, both
engines get the SAME N rules, generated once from a fixed seed:

- N-1 permits, each on a different action/resource pair (one action, or an
  action wildcard such as ``s3:Get*``, on one bucket or one team's resources);
  about 10% of them are ``s3:GetObject`` on other buckets, so the decided
  action has real competitors in both engines;
- one rule that allows the measured request (``s3:GetObject`` on ``bucket-target``);
- one forbid/Deny (``s3:DeleteObject`` on everything);
- "with conditions": every other permit and the matching rule carry a condition
  (MFA present / source IP in a range / principal tag equals), and the forbid
  only applies from 203.0.113.0/24.

gatehold: one identity policy of one statement per rule, compiled once
(``parse_policy`` + ``PolicySet``), decided with ``evaluate``.
Cedar: one policy per rule (``permit(principal == IAM::User::"alice",
action == IAM::Action::"s3:GetObject", resource in IAM::Bucket::"bucket-7")
when { context.mfa == true };``), pre-parsed into a ``cedarpy.PolicySet`` and
an ``Entities`` handle (user, object, its bucket), decided with
``cedarpy.is_authorized``. Cedar runs in its own venv (bench/.venv-cedar,
created on first run) as a subprocess of this script, after gatehold, and
answers JSON.

Each latency is the wall time of one decision call in the engine's own Python
process (median and p99 over up to --runs calls or --max-seconds per case,
after a warm-up); decisions/s counts back-to-back calls on one core (median of
5 short windows). The machine's busy share before the run is recorded: other
work on this 2-core box inflates p99 most. Prints a table and the ratio
Cedar/gatehold; writes bench/results/policy_vs_cedar.json. Targets:
gatehold median < 15 us at 10 policies and < 100 us at 1,000.

Exit status: 0 measured; 1 set-up failed or the engines disagreed on a decision.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CEDAR_VENV = BENCH_DIR / ".venv-cedar"
CEDARPY_VERSION = "4.12.2"  # the version research/stack.md section 8 measured
RESULT_NAME = "policy_vs_cedar"
TARGET_MEDIAN_US = {10: 15.0, 1000: 100.0}
ACCOUNT = "123456789012"

SERVICES = [
    "s3",
    "ec2",
    "sqs",
    "sns",
    "dynamodb",
    "lambda",
    "kms",
    "logs",
    "cloudwatch",
    "rds",
    "ecr",
    "ecs",
    "eks",
    "glue",
    "athena",
    "kinesis",
    "route53",
    "ssm",
]
VERBS = ["Get", "Put", "List", "Describe", "Create", "Delete", "Update", "Tag"]
NOUNS = ["Object", "Bucket", "Item", "Table", "Queue", "Topic", "Key", "Role", "Policy", "Stream"]

# The request both engines decide (allowed through the "target" rule).
REQUEST: dict[str, Any] = {
    "action": "s3:GetObject",
    "bucket": "bucket-target",
    "key": "reports/q3.csv",
    "user": "alice",
    "mfa": True,
    "source_ip": "192.0.2.10",
    "team": "team-3",
}

# --------------------------------------------------------------------------- shared rules
# A rule is engine-neutral data; each engine renders it in its own language.
# rule = {effect, actions: [names] or wildcard {"service","verb"}, container, condition}
# container: ("bucket", "bucket-7") or ("team", "ec2/team-7")
# condition: None | "mfa" | "ip" | "tag" | "ip_forbid"


def make_rules(n: int, *, conditions: bool, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for i in range(n - 2):
        roll = rng.random()
        if roll < 0.10:
            service, action = "s3", {"names": ["s3:GetObject"]}
        elif roll < 0.15:
            service = rng.choice(SERVICES)
            action = {"wildcard": [service, rng.choice(VERBS)]}
        else:
            service = rng.choice(SERVICES)
            action = {"names": [f"{service}:{rng.choice(VERBS)}{rng.choice(NOUNS)}"]}
        container = (
            ["bucket", f"bucket-{i}"] if service == "s3" else ["team", f"{service}/team-{i}"]
        )
        cond = None
        if conditions and i % 2 == 0:
            cond = ("mfa", "ip", "tag")[(i // 2) % 3]
        rules.append({"effect": "permit", "action": action, "container": container, "cond": cond})
    rules.append(
        {
            "effect": "permit",
            "action": {"names": ["s3:GetObject"]},
            "container": ["bucket", REQUEST["bucket"]],
            "cond": "mfa" if conditions else None,
        }
    )
    rules.append(
        {
            "effect": "forbid",
            "action": {"names": ["s3:DeleteObject"]},
            "container": ["any", "*"],
            "cond": "ip_forbid" if conditions else None,
        }
    )
    return rules


def wildcard_expansion(service: str, verb: str) -> list[str]:
    """Cedar has no action wildcards: `svc:Verb*` becomes the list of the actions it
    matches in this benchmark's universe (what a schema's action groups would hold)."""
    return [f"{service}:{verb}{noun}" for noun in NOUNS]


def count_conditions(rules: list[dict[str, Any]]) -> int:
    return sum(1 for r in rules if r["cond"])


# --------------------------------------------------------------------------- timing


def time_calls(fn: Any, runs: int, max_seconds: float, warmup: int = 300) -> dict[str, Any]:
    """Median/p99 of one call, bounded by count and by time (at least 50 samples)."""
    for _ in range(warmup):
        fn()
    samples: list[int] = []
    clock = time.perf_counter_ns
    deadline = clock() + int(max_seconds * 1e9)
    while len(samples) < runs:
        t0 = clock()
        fn()
        t1 = clock()
        samples.append(t1 - t0)
        if t1 > deadline and len(samples) >= 50:
            break
    samples.sort()
    mean_ns = statistics.fmean(samples)
    # Throughput: back-to-back calls without a clock read around each one, in 5
    # windows of about max_seconds/10; the median window is reported.
    window_ns = max(int(max_seconds * 1e8), 20_000_000)
    batch = max(1, min(1000, int(window_ns / max(samples[len(samples) // 2], 1) / 20)))
    rates = []
    for _ in range(5):
        calls, t0 = 0, clock()
        while clock() - t0 < window_ns:
            for _ in range(batch):
                fn()
            calls += batch
        rates.append(calls * 1e9 / (clock() - t0))
    return {
        "samples": len(samples),
        "median_us": statistics.median(samples) / 1000,
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000,
        "mean_us": mean_ns / 1000,
        "decisions_per_s": statistics.median(rates),
        "decisions_per_s_windows": [round(r) for r in rates],
    }


# --------------------------------------------------------------------------- gatehold


def _iam_resource(container: list[str]) -> str:
    kind, name = container
    if kind == "any":
        return "*"
    if kind == "bucket":
        return f"arn:aws:s3:::{name}/*"
    service, team = name.split("/", 1)
    return f"arn:aws:{service}:us-east-1:{ACCOUNT}:{team}/*"


_IAM_CONDITIONS: dict[str, dict[str, Any]] = {
    "mfa": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    "ip": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
    "tag": {"StringEquals": {"aws:PrincipalTag/team": "team-3"}},
    "ip_forbid": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
}


def iam_statement(rule: dict[str, Any], i: int) -> dict[str, Any]:
    act = rule["action"]
    actions = act["names"] if "names" in act else [f"{act['wildcard'][0]}:{act['wildcard'][1]}*"]
    stmt: dict[str, Any] = {
        "Sid": f"R{i}",
        "Effect": "Allow" if rule["effect"] == "permit" else "Deny",
        "Action": actions,
        "Resource": _iam_resource(rule["container"]),
    }
    if rule["cond"]:
        stmt["Condition"] = _IAM_CONDITIONS[rule["cond"]]
    return stmt


def run_gatehold(sizes: list[int], runs: int, max_seconds: float) -> list[dict[str, Any]]:
    from gatehold.policy import PolicyRef, PolicySet, Request, evaluate, parse_policy

    request = Request(
        action=REQUEST["action"],
        resource=f"arn:aws:s3:::{REQUEST['bucket']}/{REQUEST['key']}",
        context={
            "aws:MultiFactorAuthPresent": ("true",),
            "aws:SourceIp": (REQUEST["source_ip"],),
            "aws:PrincipalTag/team": (REQUEST["team"],),
        },
        principal_arn=f"arn:aws:iam::{ACCOUNT}:user/{REQUEST['user']}",
        principal_account=ACCOUNT,
        resource_account=ACCOUNT,
    )
    rows = []
    for n in sizes:
        for conditions in (False, True):
            rules = make_rules(n, conditions=conditions)
            t0 = time.perf_counter()
            refs = [
                PolicyRef(
                    parse_policy(
                        json.dumps({"Version": "2012-10-17", "Statement": [iam_statement(r, i)]})
                    ),
                    f"policy-{i}",
                    "user",
                )
                for i, r in enumerate(rules)
            ]
            pset = PolicySet(refs)
            build_ms = (time.perf_counter() - t0) * 1000
            decision = evaluate(request, identity=pset)
            timing = time_calls(lambda p=pset: evaluate(request, identity=p), runs, max_seconds)
            rows.append(
                {
                    "engine": "gatehold",
                    "policies": n,
                    "conditions": conditions,
                    "policies_with_condition": count_conditions(rules),
                    "decision": "Allow" if decision.outcome == "allowed" else "Deny",
                    "outcome": decision.outcome,
                    "build_ms": round(build_ms, 2),
                    **timing,
                }
            )
            print(
                f"  gatehold {n:>5} policies, conditions={conditions!s:<5} "
                f"median {timing['median_us']:8.2f} us",
                flush=True,
            )
    return rows


# --------------------------------------------------------------------------- Cedar


def _cedar_uid(kind: str, name: str) -> str:
    return f'IAM::{kind}::"{name}"'


_CEDAR_CONDITIONS = {
    "mfa": "context.mfa == true",
    "ip": '(ip(context.sourceIp).isInRange(ip("10.0.0.0/8")) || '
    'ip(context.sourceIp).isInRange(ip("192.0.2.0/24")))',
    "tag": 'context.team == "team-3"',
    "ip_forbid": 'ip(context.sourceIp).isInRange(ip("203.0.113.0/24"))',
}


def cedar_policy(rule: dict[str, Any], i: int) -> str:
    act = rule["action"]
    names = act["names"] if "names" in act else wildcard_expansion(*act["wildcard"])
    if len(names) == 1:
        action = f"action == {_cedar_uid('Action', names[0])}"
    else:
        action = "action in [" + ", ".join(_cedar_uid("Action", a) for a in names) + "]"
    kind, name = rule["container"]
    if kind == "any":
        resource = "resource"
    elif kind == "bucket":
        resource = f"resource in {_cedar_uid('Bucket', name)}"
    else:
        resource = f"resource in {_cedar_uid('Team', name)}"
    principal = f"principal == {_cedar_uid('User', REQUEST['user'])}"
    text = f'@id("policy{i}")\n{rule["effect"]}({principal}, {action}, {resource})'
    if rule["cond"]:
        text += f" when {{ {_CEDAR_CONDITIONS[rule['cond']]} }}"
    return text + ";"


def cedar_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs inside bench/.venv-cedar: measure cedarpy on the same rules."""
    import cedarpy  # type: ignore[import-not-found]  # lives in bench/.venv-cedar

    entities = [
        {"uid": {"type": "IAM::User", "id": REQUEST["user"]}, "attrs": {}, "parents": []},
        {"uid": {"type": "IAM::Bucket", "id": REQUEST["bucket"]}, "attrs": {}, "parents": []},
        {
            "uid": {"type": "IAM::Object", "id": f"{REQUEST['bucket']}/{REQUEST['key']}"},
            "attrs": {},
            "parents": [{"type": "IAM::Bucket", "id": REQUEST["bucket"]}],
        },
    ]
    ents = cedarpy.Entities.from_json_str(json.dumps(entities))
    request = {
        "principal": _cedar_uid("User", REQUEST["user"]),
        "action": _cedar_uid("Action", REQUEST["action"]),
        "resource": _cedar_uid("Object", f"{REQUEST['bucket']}/{REQUEST['key']}"),
        "context": {
            "mfa": REQUEST["mfa"],
            "sourceIp": REQUEST["source_ip"],
            "team": REQUEST["team"],
        },
    }
    rows = []
    for n in spec["sizes"]:
        for conditions in (False, True):
            rules = make_rules(n, conditions=conditions)
            text = "\n".join(cedar_policy(r, i) for i, r in enumerate(rules))
            t0 = time.perf_counter()
            pset = cedarpy.PolicySet.from_str(text)
            build_ms = (time.perf_counter() - t0) * 1000
            result = cedarpy.is_authorized(request, pset, ents)
            if result.diagnostics.errors:
                raise RuntimeError(f"cedar evaluation errors: {result.diagnostics.errors}")
            timing = time_calls(
                lambda p=pset: cedarpy.is_authorized(request, p, ents),
                spec["runs"],
                spec["max_seconds"],
                warmup=50,
            )
            rows.append(
                {
                    "engine": "cedar",
                    "policies": n,
                    "conditions": conditions,
                    "policies_with_condition": count_conditions(rules),
                    "decision": "Allow" if result.allowed else "Deny",
                    "reasons": list(result.diagnostics.reasons),
                    "build_ms": round(build_ms, 2),
                    **timing,
                }
            )
            print(
                f"  cedar    {n:>5} policies, conditions={conditions!s:<5} "
                f"median {timing['median_us']:8.2f} us",
                file=sys.stderr,
                flush=True,
            )
    try:
        from importlib.metadata import version

        ver = version("cedarpy")
    except Exception:  # version is informational
        ver = None
    return {
        "cedarpy_version": ver,
        "python": platform.python_version(),
        "rows": rows,
        "sample_policy": cedar_policy(make_rules(10, conditions=True)[0], 0),
    }


def ensure_cedar_venv(*, install: bool) -> Path:
    py = CEDAR_VENV / "bin" / "python"
    check = [str(py), "-c", "import cedarpy"]
    if (
        py.exists()
        and subprocess.run(check, check=False, capture_output=True, timeout=60).returncode == 0
    ):
        return py
    cmd = (
        f"{sys.executable} -m venv {CEDAR_VENV} && "
        f"{CEDAR_VENV}/bin/pip install cedarpy=={CEDARPY_VERSION}"
    )
    if not install:
        raise RuntimeError(f"cedarpy is not installed; run: {cmd}")
    print(f"[setup] {cmd}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(CEDAR_VENV)], check=True, timeout=300)
    subprocess.run(
        [str(CEDAR_VENV / "bin" / "pip"), "install", "-q", f"cedarpy=={CEDARPY_VERSION}"],
        check=True,
        timeout=900,
    )
    return py


def run_cedar(py: Path, sizes: list[int], runs: int, max_seconds: float) -> dict[str, Any]:
    spec = {"sizes": sizes, "runs": runs, "max_seconds": max_seconds}
    budget = 120 + len(sizes) * 2 * (max_seconds + 30)  # parse + warm-up + bounded timing
    out = subprocess.run(
        [str(py), str(Path(__file__).resolve()), "--cedar-worker"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=budget,
        check=False,
    )
    sys.stdout.write(out.stderr)
    if out.returncode != 0:
        raise RuntimeError(f"cedar worker failed (rc={out.returncode}):\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# --------------------------------------------------------------------------- report


def print_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    head = (
        f"{'engine':<9} {'policies':>8} {'conditions':>10} {'decision':>8} "
        f"{'median us':>10} {'p99 us':>9} {'decisions/s':>12} {'samples':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in sorted(
        rows, key=lambda r: (r["policies"], r["conditions"], r["engine"] != "gatehold")
    ):
        cond = f"{r['policies_with_condition']}/{r['policies']}" if r["conditions"] else "none"
        print(
            f"{r['engine']:<9} {r['policies']:>8,} {cond:>10} {r['decision']:>8} "
            f"{r['median_us']:>10.2f} {r['p99_us']:>9.2f} {r['decisions_per_s']:>12,.0f} "
            f"{r['samples']:>8,}"
        )
    ratios = []
    by = {(r["engine"], r["policies"], r["conditions"]): r for r in rows}
    for (engine, n, cond), g in by.items():
        c = by.get(("cedar", n, cond))
        if engine != "gatehold" or c is None:
            continue
        ratios.append(
            {
                "policies": n,
                "conditions": cond,
                "cedar_over_gatehold_median": c["median_us"] / g["median_us"],
                "cedar_over_gatehold_p99": c["p99_us"] / g["p99_us"],
                "gatehold_over_cedar_decisions_per_s": g["decisions_per_s"] / c["decisions_per_s"],
                "same_decision": c["decision"] == g["decision"],
            }
        )
    if ratios:
        print("\nratio (Cedar median / gatehold median; gatehold decisions/s over Cedar's):")
        for q in ratios:
            print(
                f"  {q['policies']:>5,} policies, conditions={q['conditions']!s:<5} "
                f"Cedar's median {q['cedar_over_gatehold_median']:5.1f}x gatehold's, "
                f"p99 {q['cedar_over_gatehold_p99']:5.1f}x; gatehold "
                f"{q['gatehold_over_cedar_decisions_per_s']:5.1f}x the decisions/s"
                + ("" if q["same_decision"] else "   DECISIONS DIFFER")
            )
    return ratios


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="10,1000", help="policy counts (default 10,1000)")
    p.add_argument("--runs", type=int, default=20000, help="max timed calls per case")
    p.add_argument(
        "--max-seconds", type=float, default=4.0, help="max timing seconds per case (default 4)"
    )
    p.add_argument("--skip-cedar", action="store_true", help="measure gatehold only")
    p.add_argument(
        "--no-install",
        action="store_true",
        help="do not create bench/.venv-cedar; print the command and fail",
    )
    p.add_argument("--cedar-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if any(n < 3 for n in args.sizes):
        p.error("--sizes must be >= 3")
    if not 0 < args.max_seconds <= 30:
        p.error("--max-seconds must be in (0, 30]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cedar_worker:
        print(json.dumps(cedar_worker(json.loads(sys.stdin.read()))))
        return 0
    sys.path.insert(0, str(BENCH_DIR.parent))
    sys.path.insert(0, str(BENCH_DIR))
    from common import machine_busy_share

    busy = machine_busy_share(1.0)
    print(f"[machine] {busy:.0%} busy before the run", flush=True)
    print(f"[gatehold] sizes {args.sizes}, with and without conditions ...", flush=True)
    rows = run_gatehold(args.sizes, args.runs, args.max_seconds)
    cedar: dict[str, Any] | None = None
    if not args.skip_cedar:
        try:
            py = ensure_cedar_venv(install=not args.no_install)
            print(f"[cedar] {py} (subprocess) ...", flush=True)
            cedar = run_cedar(py, args.sizes, args.runs, args.max_seconds)
            rows += cedar["rows"]
        except (RuntimeError, subprocess.SubprocessError, OSError, json.JSONDecodeError) as exc:
            print(f"policy_vs_cedar: {exc}", file=sys.stderr)
            return 1
    print()
    ratios = print_table(rows)
    targets = {}
    for r in rows:
        if r["engine"] == "gatehold" and r["policies"] in TARGET_MEDIAN_US:
            limit = TARGET_MEDIAN_US[r["policies"]]
            key = f"{r['policies']}_{'cond' if r['conditions'] else 'nocond'}"
            targets[key] = {
                "median_us": r["median_us"],
                "limit_us": limit,
                "met": r["median_us"] < limit,
            }
    if targets:
        print(
            "\ntargets (gatehold median < 15 us at 10 policies, < 100 us at 1,000): "
            + ", ".join(
                f"{k} {v['median_us']:.2f} us {'met' if v['met'] else 'NOT met'}"
                for k, v in targets.items()
            )
        )
    disagree = [q for q in ratios if not q["same_decision"]]
    data = {
        "benchmark": RESULT_NAME,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "request": REQUEST,
        "method": "one decision call timed with perf_counter_ns in each engine's own process; "
        "policies pre-parsed/compiled once; Cedar entities pre-parsed (3 entities)",
        "machine_busy_share_before": round(busy, 3),
        "runs_max": args.runs,
        "max_seconds_per_case": args.max_seconds,
        "cedarpy_version": cedar and cedar.get("cedarpy_version"),
        "cedar_sample_policy": cedar and cedar.get("sample_policy"),
        "results": rows,
        "ratios": ratios,
        "targets": targets,
    }
    from common import git_revision, write_results

    data["gatehold_revision"] = git_revision()
    path = write_results(RESULT_NAME, data)
    print(f"figures written to {path}")
    if disagree:
        print(
            "the engines disagreed on a decision: the policy sets are not equivalent",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
