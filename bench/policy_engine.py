"""Policy engine decision latency: prints figures, asserts nothing.

    .venv/bin/python bench/policy_engine.py

Policies are compiled once (``parse_policy`` + ``PolicySet``), as services do;
each figure is the median (and p99) wall time of one ``evaluate`` call.
Targets (DESIGN/brief): median < 15 us at 10 policies, < 100 us at 1,000.
"""

from __future__ import annotations

import json
import random
import statistics
import time

from gatehold.policy import PolicyKind, PolicyRef, PolicySet, Request, evaluate, parse_policy

SERVICES = [
    "s3", "ec2", "iam", "sqs", "sns", "dynamodb", "lambda", "kms", "logs", "cloudwatch",
    "sts", "rds", "ecr", "ecs", "eks", "glue", "athena", "kinesis", "route53", "ssm",
]  # fmt: skip
VERBS = ["Get", "Put", "List", "Describe", "Create", "Delete", "Update", "Tag"]
NOUNS = ["Object", "Bucket", "Item", "Table", "Queue", "Topic", "Key", "User", "Role", "Policy"]


def _resource(rng: random.Random, service: str, i: int) -> str:
    if service == "iam":
        return f"arn:aws:iam::123456789012:role/team-{i}/*"
    if service == "s3":
        return f"arn:aws:s3:::bucket-{i}/*"
    return f"arn:aws:{service}:*:123456789012:{rng.choice(NOUNS).lower()}/team-{i}/*"


def _statement(rng: random.Random, i: int) -> dict[str, object]:
    service = rng.choice(SERVICES)
    actions = [
        f"{service}:{rng.choice(VERBS)}{rng.choice(NOUNS)}" for _ in range(rng.randint(1, 4))
    ]
    if rng.random() < 0.3:
        actions.append(f"{service}:{rng.choice(VERBS)}*")
    stmt: dict[str, object] = {
        "Sid": f"S{i}",
        "Effect": "Deny" if rng.random() < 0.1 else "Allow",
        "Action": actions,
        "Resource": _resource(rng, service, i),
    }
    roll = rng.random()
    if roll < 0.2:
        stmt["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": f"team-{i % 7}"}}
    elif roll < 0.3:
        stmt["Condition"] = {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}
    elif roll < 0.35:
        stmt["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return stmt


def make_policies(n: int, seed: int = 7) -> list[PolicyRef]:
    rng = random.Random(seed)
    refs = []
    for p in range(n):
        doc = {
            "Version": "2012-10-17",
            "Statement": [_statement(rng, p * 10 + s) for s in range(rng.randint(2, 5))],
        }
        refs.append(PolicyRef(parse_policy(json.dumps(doc)), f"policy-{p}", "user"))
    # One broad allow so the benchmark request is decided on a real path.
    admin = parse_policy(
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*",
                                                     "Resource": "arn:aws:s3:::bench/*"}]}
        )
    )  # fmt: skip
    refs.append(PolicyRef(admin, "admin", "aws-managed"))
    return refs


def measure(label: str, fn: object, runs: int = 20000) -> None:
    assert callable(fn)
    for _ in range(500):  # warm the caches
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    median = statistics.median(samples) / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    print(f"{label:<48} median {median:7.2f} us   p99 {p99:7.2f} us")


def main() -> None:
    request = Request(
        action="s3:GetObject",
        resource="arn:aws:s3:::bench/reports/q3.csv",
        context={
            "aws:PrincipalTag/team": ("team-3",),
            "aws:SourceIp": ("192.0.2.10",),
            "aws:MultiFactorAuthPresent": ("true",),
        },
        principal_arn="arn:aws:iam::123456789012:user/alice",
        principal_account="123456789012",
        resource_account="123456789012",
    )
    boundary = [
        PolicyRef(
            parse_policy(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ec2:*"],'
                '"Resource":"*"}]}',
                kind=PolicyKind.BOUNDARY,
            ),
            "boundary",
            "permissions boundary",
        )
    ]

    def one(text: str, kind: PolicyKind, name: str) -> list[PolicyRef]:
        return [PolicyRef(parse_policy(text, kind=kind), name, kind.value)]

    allow_all = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    )
    session = one(allow_all, PolicyKind.SESSION, "session")
    scps = [one(allow_all, PolicyKind.SCP, "FullAWSAccess"), one(allow_all, PolicyKind.SCP, "ou")]
    bucket = one(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",'
        '"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}',
        PolicyKind.RESOURCE,
        "bucket",
    )[0]
    for n in (10, 100, 1000):
        refs = make_policies(n)
        t0 = time.perf_counter()
        pset = PolicySet(refs)
        compile_ms = (time.perf_counter() - t0) * 1000
        decision = evaluate(request, identity=pset)
        print(f"{n} policies: PolicySet built in {compile_ms:.2f} ms; decision {decision.outcome}")
        measure(f"  identity only, {n} policies", lambda p=pset: evaluate(request, identity=p))
        measure(
            f"  identity + boundary, {n} policies",
            lambda p=pset: evaluate(request, identity=p, boundary=boundary),
        )
        measure(
            f"  all policy types, {n} policies",
            lambda p=pset: evaluate(
                request, identity=p, boundary=boundary, session=session, scps=scps, resource=bucket
            ),
        )
        other = Request("iam:CreateUser", "arn:aws:iam::123456789012:user/bob")
        measure(
            f"  implicit deny (iam), {n} policies",
            lambda p=pset, o=other: evaluate(o, identity=p),
        )


if __name__ == "__main__":
    main()
