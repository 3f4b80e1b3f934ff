"""`gatehold policy`: validate and evaluate policy files offline, with no server or store.

    gatehold policy validate [--kind KIND] [--json] FILE...
    gatehold policy eval --policy FILE... [--boundary FILE] [--resource-policy FILE]
                         --action ACTION --resource ARN [--context KEY=VALUE ...]
                         [--principal-arn ARN] [--resource-owner ACCOUNT] [--json]

`validate` prints each file's verdict and AWS's MalformedPolicyDocument reason for
an invalid one; it exits 1 when any file is invalid. `eval` decides the request
exactly as the server's enforcement point and the Policy Simulator do, prints the
decision and why, and exits 0 when allowed, 1 when denied. Both exit 2 when a file
cannot be read or (for `eval`) a policy is invalid. `--json` prints one JSON
document instead of text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gatehold.policy import (
    Decision,
    MalformedPolicy,
    PolicyKind,
    PolicyRef,
    Request,
    denial_reason,
    evaluate,
    explain,
    parse_policy,
)

EXIT_ALLOWED, EXIT_DENIED, EXIT_USAGE = 0, 1, 2
EXIT_VALID, EXIT_INVALID = 0, 1

_KINDS = {
    "identity": PolicyKind.IDENTITY,
    "resource": PolicyKind.RESOURCE,
    "trust": PolicyKind.TRUST,
    "boundary": PolicyKind.BOUNDARY,
    "scp": PolicyKind.SCP,
    "session": PolicyKind.SESSION,
}


class _BadInput(Exception):
    """A file that cannot be read or used; ``reason`` says why."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.reason = reason


def _read(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _BadInput(path, f"cannot read: {exc}") from exc


# --- validate -------------------------------------------------------------------------


def _verdict(path: str, kind: PolicyKind) -> dict[str, Any]:
    try:
        parse_policy(_read(path), kind=kind)
    except _BadInput as exc:
        return {"file": path, "valid": False, "error": exc.reason}
    except MalformedPolicy as exc:
        return {
            "file": path,
            "valid": False,
            "error": "MalformedPolicyDocument",
            "reason": exc.reason,
        }
    return {"file": path, "valid": True}


def cmd_validate(args: argparse.Namespace) -> int:
    verdicts = [_verdict(path, _KINDS[args.kind]) for path in args.files]
    if args.json:
        print(json.dumps({"results": verdicts}, indent=2))
    else:
        for v in verdicts:
            if v["valid"]:
                print(f"{v['file']}: valid")
            elif "reason" in v:
                print(f"{v['file']}: invalid: {v['error']}: {v['reason']}")
            else:
                print(f"{v['file']}: error: {v['error']}")
    return EXIT_VALID if all(v["valid"] for v in verdicts) else EXIT_INVALID


# --- eval -----------------------------------------------------------------------------


def _ref(path: str, kind: PolicyKind) -> PolicyRef:
    """A policy file, named by its path in the explanation ("... in identity-based file p.json")."""
    text = _read(path)
    try:
        return PolicyRef(parse_policy(text, kind=kind), path, "file")
    except MalformedPolicy as exc:
        raise _BadInput(path, f"invalid: MalformedPolicyDocument: {exc.reason}") from exc


def _context(pairs: list[str]) -> dict[str, tuple[str, ...]]:
    """KEY=VALUE pairs; a key given several times is a multivalued key."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _BadInput(f"--context {pair}", "expected KEY=VALUE")
        out.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in out.items()}


def _account(arn: str | None) -> str | None:
    parts = (arn or "").split(":", 5)
    return parts[4] or None if len(parts) == 6 else None


def _decide(args: argparse.Namespace) -> Decision:
    identity = [_ref(p, PolicyKind.IDENTITY) for p in args.policy]
    boundary = [_ref(args.boundary, PolicyKind.BOUNDARY)] if args.boundary else None
    resource = _ref(args.resource_policy, PolicyKind.RESOURCE) if args.resource_policy else None
    caller_account = _account(args.principal_arn)
    request = Request(
        action=args.action,
        resource=args.resource,
        context=_context(args.context),
        principal_arn=args.principal_arn,
        principal_account=caller_account,
        # An ARN that names its account owns itself; else --resource-owner, else the caller's.
        resource_account=_account(args.resource) or args.resource_owner or caller_account,
    )
    return evaluate(request, identity=identity, boundary=boundary, resource=resource)


def _as_json(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.outcome,
        "allowed": decision.allowed,
        "action": decision.action,
        "resource": decision.resource,
        "reason": denial_reason(decision),
        "deciding_policy_type": decision.deciding_policy_type,
        "matched_statements": [
            {
                "file": m.source_id,
                "policy_type": m.policy_type,
                "statement_index": m.statement_index,
                "sid": m.sid,
                "effect": m.effect,
                "start": {"line": m.start.line, "column": m.start.column},
                "end": {"line": m.end.line, "column": m.end.column},
            }
            for m in decision.matched
        ],
        "missing_context_keys": list(decision.missing_context_keys),
        "allowed_by_permissions_boundary": decision.allowed_by_boundary,
        "explanation": explain(decision),
    }


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        decision = _decide(args)
    except _BadInput as exc:
        print(f"gatehold policy eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(_as_json(decision), indent=2))
    else:
        print(explain(decision))
    return EXIT_ALLOWED if decision.allowed else EXIT_DENIED


# --- wiring -----------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    """Add `policy validate` and `policy eval` to the `gatehold` command's subparsers."""
    policy = sub.add_parser("policy", help="validate and evaluate policy files offline")
    commands = policy.add_subparsers(dest="policy_command", required=True)

    p = commands.add_parser("validate", help="check policy files as IAM does")
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="policy documents (JSON); - reads stdin"
    )
    p.add_argument(
        "--kind",
        choices=sorted(_KINDS),
        default="identity",
        help="where the policy is used (default: identity)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_validate)

    p = commands.add_parser("eval", help="decide one request against policy files")
    p.add_argument(
        "--policy",
        nargs="+",
        action="extend",
        default=[],
        required=True,
        metavar="FILE",
        help="identity-based policies",
    )
    p.add_argument("--boundary", metavar="FILE", help="a permissions boundary")
    p.add_argument("--resource-policy", metavar="FILE", help="a resource-based policy")
    p.add_argument("--action", required=True, help="e.g. s3:GetObject")
    p.add_argument("--resource", required=True, help='the resource ARN, or "*"')
    p.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a condition key's value; repeat a key for several values",
    )
    p.add_argument("--principal-arn", help="the caller (needed by resource policies)")
    p.add_argument(
        "--resource-owner",
        metavar="ACCOUNT",
        help="the account owning a resource whose ARN names none (default: the caller's)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_eval)
