"""Parse and validate policy text into a compiled, immutable ``Policy``.

Error texts are AWS's MalformedPolicyDocument messages. Sources (observed AWS
answers quoted in public issue threads, and moto's AWS-checked test table
``tests/test_iam/test_iam_policies.py``):
* "Syntax errors in policy."                       not JSON, unknown element, wrong type
* "The policy failed legacy parsing"               e.g. Effect "allow", a bad date value
* "Policy statement must contain actions."         hashicorp/terraform-provider-aws, aws-cdk#7615
* "Policy statement must contain resources."       terraform-aws-modules/terraform-aws-iam#603
* "Policy document should not specify a principal." hashicorp/terraform#13449
* "Has prohibited field Resource"                  kubernetes-sigs/external-dns#3085 (trust policy)
* "Missing required field Principal"               S3/IAM console answer for a missing Principal
* "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
* "Actions/Condition can contain only one colon."
* "Statement IDs (SID) in a single policy must be unique."   kubernetes/kops#4951
* 'Resource X must be in ARN format or "*".'       cattle-ops/terraform-aws-gitlab-runner#1257
Checks run in the order AWS appears to apply them: syntax first (whole
document), then legacy parsing, Sid uniqueness, required elements, then formats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from gatehold.policy import jsonpos
from gatehold.policy.conditions import (
    BadConditionValue,
    Condition,
    compile_condition,
    parse_operator,
)
from gatehold.policy.matching import PrincipalSet, compile_actions, compile_resources
from gatehold.policy.model import MalformedPolicy, Policy, PolicyKind, Position, Statement
from gatehold.policy.variables import parse_template

SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_PRINCIPAL_ALLOWED = "Policy document should not specify a principal."
PRINCIPAL_REQUIRED = "Missing required field Principal"
RESOURCE_PROHIBITED = "Has prohibited field Resource"
NOT_PRINCIPAL_PROHIBITED = "Has prohibited field NotPrincipal"
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
SID_UNIQUE = "Statement IDs (SID) in a single policy must be unique."
SID_ALNUM = (
    "Statement IDs (SID) must be alpha-numeric. "
    "Check that your input satisfies the regular expression [0-9A-Za-z]*"
)
# moto's wording for a non-STS action in a trust policy; AWS's own text is unconfirmed.
TRUST_ACTIONS = (
    "Trust Policy statement actions can only be sts:AssumeRole, "
    "sts:AssumeRoleWithSAML, and sts:AssumeRoleWithWebIdentity"
)

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_VENDOR_OK = re.compile(r"^[A-Za-z0-9\-.*?]+$")
_SID_OK = re.compile(r"^[0-9A-Za-z]*$")
# Policy documents may hold only tab, LF, CR and U+0020..U+00FF (IAM quotas page).
_BAD_CHARS = re.compile(r"[^\t\n\r\u0020-\u00ff]")
_PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
_IAM_PATHS = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
_IAM_KINDS = frozenset(
    {PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.TRUST, PolicyKind.SESSION}
)
_NO_PRINCIPAL_KINDS = frozenset(
    {PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP}
)


def parse_policy(text: str, *, kind: PolicyKind = PolicyKind.IDENTITY) -> Policy:
    """Parse, validate and compile; raise ``MalformedPolicy`` with AWS's reason."""
    if not isinstance(text, str):
        raise MalformedPolicy(SYNTAX)
    if kind in _IAM_KINDS and _BAD_CHARS.search(text):
        raise MalformedPolicy(SYNTAX)
    try:
        parsed = jsonpos.parse(text)
    except jsonpos.JsonSyntaxError as exc:
        raise MalformedPolicy(SYNTAX) from exc
    doc = parsed.value
    statements = _check_syntax(doc)
    _check_legacy(statements, variables=doc.get("Version") == "2012-10-17", iam=kind in _IAM_KINDS)
    _check_sids(statements, kind)
    for stmt in statements:
        _check_principal(stmt, kind)
    for stmt in statements:
        _check_required(stmt, kind)
    for stmt in statements:
        _check_actions(stmt, kind)
    if kind in _IAM_KINDS:
        for stmt in statements:
            for resource in _as_list(stmt.get("Resource", stmt.get("NotResource", []))):
                _check_resource(resource)
    version = doc.get("Version")
    compiled = tuple(
        _compile_statement(i, stmt, parsed, variables=version == "2012-10-17")
        for i, stmt in enumerate(statements)
    )
    return Policy(text, kind, version, doc.get("Id"), compiled)


# --- syntax -----------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool))  # JsonNumber is a str


def _string_or_list(value: Any) -> bool:
    if isinstance(value, str) and not isinstance(value, jsonpos.JsonNumber):
        return True
    return isinstance(value, list) and all(
        isinstance(v, str) and not isinstance(v, jsonpos.JsonNumber) for v in value
    )


def _check_syntax(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or not set(doc) <= _TOP_KEYS:
        raise MalformedPolicy(SYNTAX)
    version = doc.get("Version")
    if version is not None and version not in VERSIONS:
        raise MalformedPolicy(SYNTAX)
    policy_id = doc.get("Id")
    if policy_id is not None and not (
        isinstance(policy_id, str) and not isinstance(policy_id, jsonpos.JsonNumber)
    ):
        raise MalformedPolicy(SYNTAX)
    raw = doc.get("Statement")
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicy(SYNTAX)
    for stmt in statements:
        _check_statement_syntax(stmt)
    return statements


def _check_statement_syntax(stmt: Any) -> None:
    if not isinstance(stmt, dict) or not set(stmt) <= _STATEMENT_KEYS:
        raise MalformedPolicy(SYNTAX)
    for a, b in (
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
        ("Principal", "NotPrincipal"),
    ):
        if a in stmt and b in stmt:
            raise MalformedPolicy(SYNTAX)
    sid = stmt.get("Sid")
    if sid is not None and (not isinstance(sid, str) or isinstance(sid, jsonpos.JsonNumber)):
        raise MalformedPolicy(SYNTAX)
    effect = stmt.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise MalformedPolicy(SYNTAX)
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in stmt and not _string_or_list(stmt[key]):
            raise MalformedPolicy(SYNTAX)
    for key in ("Principal", "NotPrincipal"):
        if key in stmt:
            _check_principal_syntax(stmt[key])
    if "Condition" in stmt:
        _check_condition_syntax(stmt["Condition"])


def _check_principal_syntax(value: Any) -> None:
    if value == "*" and not isinstance(value, jsonpos.JsonNumber):
        return
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy(SYNTAX)
    for ptype, ids in value.items():
        if ptype not in _PRINCIPAL_TYPES or not _string_or_list(ids):
            raise MalformedPolicy(SYNTAX)


def _check_condition_syntax(block: Any) -> None:
    if not isinstance(block, dict):
        raise MalformedPolicy(SYNTAX)
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            raise MalformedPolicy(SYNTAX)
        if keys and parse_operator(operator) is None:
            raise MalformedPolicy(SYNTAX)
        for values in keys.values():
            items = values if isinstance(values, list) else [values]
            if not all(_is_scalar(v) for v in items):
                raise MalformedPolicy(SYNTAX)


# --- semantic checks ----------------------------------------------------------------


def _check_legacy(statements: list[dict[str, Any]], *, variables: bool, iam: bool) -> None:
    for stmt in statements:
        if stmt["Effect"] not in ("Allow", "Deny"):
            raise MalformedPolicy(LEGACY)  # "allow"/"denY": known word, wrong case
        for resource in _as_list(stmt.get("Resource", stmt.get("NotResource", []))) if iam else ():
            parts = resource.split(":")
            # moto's AWS-checked table: 4 or 5 parts, or an empty service, fail here.
            # A trailing "*" may stand for the missing parts ("arn:aws:logs:*"): allowed.
            short = len(parts) in (4, 5) and "*" not in parts[-1]
            if short or (len(parts) >= 4 and parts[2] == ""):
                raise MalformedPolicy(LEGACY)
        for operator, keys in stmt.get("Condition", {}).items():
            op = parse_operator(operator)
            if op is None:
                continue
            for key, values in keys.items():
                try:
                    _make_condition(op, key, values, variables=variables)
                except BadConditionValue as exc:
                    raise MalformedPolicy(LEGACY) from exc


def _check_sids(statements: list[dict[str, Any]], kind: PolicyKind) -> None:
    seen: set[str] = set()
    for stmt in statements:
        sid = stmt.get("Sid")
        if sid:
            if sid in seen:
                raise MalformedPolicy(SID_UNIQUE)
            seen.add(sid)
    if kind in _IAM_KINDS:
        for stmt in statements:
            if not _SID_OK.match(stmt.get("Sid") or ""):
                raise MalformedPolicy(SID_ALNUM)


def _check_principal(stmt: dict[str, Any], kind: PolicyKind) -> None:
    has_principal = "Principal" in stmt or "NotPrincipal" in stmt
    if kind in _NO_PRINCIPAL_KINDS and has_principal:
        raise MalformedPolicy(NO_PRINCIPAL_ALLOWED)
    if kind is PolicyKind.TRUST and "NotPrincipal" in stmt:
        raise MalformedPolicy(NOT_PRINCIPAL_PROHIBITED)  # NotPrincipal page: not in trust policies
    if kind in (PolicyKind.TRUST, PolicyKind.RESOURCE) and not has_principal:
        raise MalformedPolicy(PRINCIPAL_REQUIRED)


def _check_required(stmt: dict[str, Any], kind: PolicyKind) -> None:
    if not _as_list(stmt.get("Action", stmt.get("NotAction", []))):
        raise MalformedPolicy(NO_ACTIONS)
    has_resource = "Resource" in stmt or "NotResource" in stmt
    if kind is PolicyKind.TRUST:
        if has_resource:
            raise MalformedPolicy(RESOURCE_PROHIBITED)
    elif not _as_list(stmt.get("Resource", stmt.get("NotResource", []))):
        raise MalformedPolicy(NO_RESOURCES)


def _check_actions(stmt: dict[str, Any], kind: PolicyKind) -> None:
    for action in _as_list(stmt.get("Action", stmt.get("NotAction", []))):
        if action == "*":
            continue
        parts = action.split(":")
        if len(parts) == 1:
            raise MalformedPolicy(NO_VENDOR)
        if len(parts) > 2:
            raise MalformedPolicy(ONE_COLON)
        if not _VENDOR_OK.match(parts[0]):
            raise MalformedPolicy(f"Vendor {parts[0]} is not valid")
        if kind is PolicyKind.TRUST and parts[0].lower() != "sts":
            raise MalformedPolicy(TRUST_ACTIONS)


def _check_resource(resource: str) -> None:
    if resource == "*":
        return
    if ":" not in resource:
        raise MalformedPolicy(f'Resource {resource} must be in ARN format or "*".')
    parts = resource.split(":")
    parts[0] = "arn"
    shown = ":".join(parts + ["*"] * (6 - len(parts)))
    partition = parts[1]
    if partition not in _PARTITIONS and not any(c in partition for c in "*?$"):
        raise MalformedPolicy(f'Partition "{partition}" is not valid for resource "{shown}".')
    if len(parts) == 2:
        raise MalformedPolicy("Resource vendor must be fully qualified and cannot contain regexes.")
    if len(parts) < 6:
        return
    service, region = parts[2], parts[3]
    if service == "iam" and region:
        raise MalformedPolicy(f"IAM resource {resource} cannot contain region information.")
    # Bucket and object ARNs (no account part) carry no region; access points,
    # jobs and storage lens configurations are regional and name an account.
    if service == "s3" and region and not parts[4]:
        raise MalformedPolicy(f"Resource {resource} can not contain region information.")
    path = ":".join(parts[5:])
    head = path.split("/", 1)[0]
    literal_head = not any(c in head for c in "*?$")
    if (
        service == "iam"
        and literal_head
        and path not in ("*", "root")
        and not path.startswith(_IAM_PATHS)
    ):
        raise MalformedPolicy(
            'IAM resource path must either be "*" or start with ' + ", ".join(_IAM_PATHS) + "."
        )


# --- compile ----------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str) else []


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _make_condition(op: Any, key: str, values: Any, *, variables: bool) -> Condition:
    items = values if isinstance(values, list) else [values]
    return compile_condition(op, key, [_scalar_text(v) for v in items], variables=variables)


def _principals(value: Any) -> PrincipalSet:
    if isinstance(value, str):
        return PrincipalSet((("*", value),))
    entries = [(ptype, pid) for ptype, ids in value.items() for pid in _as_list(ids)]
    return PrincipalSet(tuple(entries))


def _compile_statement(
    index: int, stmt: dict[str, Any], parsed: jsonpos.Parsed, *, variables: bool
) -> Statement:
    not_action = "NotAction" in stmt
    actions = compile_actions(_as_list(stmt["NotAction" if not_action else "Action"]))
    not_resource = "NotResource" in stmt
    resource_values = stmt.get("NotResource" if not_resource else "Resource")
    resources = (
        compile_resources(_as_list(resource_values), variables=variables)
        if resource_values is not None
        else None
    )
    not_principal = "NotPrincipal" in stmt
    principal_value = stmt.get("NotPrincipal" if not_principal else "Principal")
    conditions: list[Condition] = []
    for operator, keys in stmt.get("Condition", {}).items():
        op = parse_operator(operator)
        if op is None:
            continue  # an empty block under an unknown name: nothing to test
        for key, values in keys.items():
            conditions.append(_make_condition(op, key, values, variables=variables))
    span = parsed.span_of(stmt)
    start = Position(*parsed.line_col(span.start)) if span else Position(0, 0)
    end = Position(*parsed.line_col(span.end)) if span else Position(0, 0)
    return Statement(
        index=index,
        sid=stmt.get("Sid"),
        allow=stmt["Effect"] == "Allow",
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principals=_principals(principal_value) if principal_value is not None else None,
        not_principal=not_principal,
        conditions=tuple(conditions),
        start=start,
        end=end,
        raw=MappingProxyType(stmt),
    )


# --- context keys -----------------------------------------------------------------


def context_keys(policy: Policy) -> set[str]:
    """Condition keys and policy-variable keys the policy refers to.

    For GetContextKeysForCustomPolicy / GetContextKeysForPrincipalPolicy. Names
    ignore case, so the first spelling of each is kept.
    """
    found: dict[str, str] = {}

    def add(keys: Iterable[str]) -> None:
        for key in keys:
            found.setdefault(key.lower(), key)

    for stmt in policy.statements:
        for cond in stmt.conditions:
            add([cond.key])
            add(cond.variable_keys)
        if stmt.resources is not None:
            add(stmt.resources.variable_keys)
    return set(found.values())


def template_keys(text: str) -> tuple[str, ...]:
    parsed = parse_template(text)
    return () if isinstance(parsed, str) else parsed.keys
