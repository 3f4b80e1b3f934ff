"""A deliberately naive evaluator, for differential tests only.

It reads each statement as written (``Statement.raw``) and follows the AWS
evaluation-logic pages step by step, with its own character-by-character
wildcard matcher, its own variable expansion and its own operators: no index,
no caches, no regexes, no pre-parsed values. It shares only the parser (which
decides what is a valid policy). Production code never calls it.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from gatehold.policy.conditions import parse_date, parse_number
from gatehold.policy.model import Policy, PolicyRef, Request

# --- wildcard matching, one character at a time --------------------------------------

Token = tuple[str, str]  # ("lit", ch) | ("any", "") | ("one", "")


def _tokens(text: str, *, wildcards: bool = True) -> list[Token]:
    out: list[Token] = []
    for ch in text:
        if wildcards and ch == "*":
            out.append(("any", ""))
        elif wildcards and ch == "?":
            out.append(("one", ""))
        else:
            out.append(("lit", ch))
    return out


def _match(tokens: Sequence[Token], value: str) -> bool:
    # Classic dynamic programming over (token index, value index).
    n, m = len(tokens), len(value)
    row = [False] * (m + 1)
    row[0] = True
    for kind, ch in tokens:
        new = [False] * (m + 1)
        if kind == "any":
            new[0] = row[0]
            for j in range(1, m + 1):
                new[j] = row[j] or new[j - 1]
        else:
            for j in range(1, m + 1):
                new[j] = row[j - 1] and (kind == "one" or value[j - 1] == ch)
        row = new
    del n
    return row[m]


# --- policy variables -----------------------------------------------------------------


def _lookup(ctx: Mapping[str, Sequence[str]], key: str) -> Sequence[str] | None:
    for name, values in ctx.items():
        if name.lower() == key.lower():
            return values if values else None
    return None


def _expand(text: str, ctx: Mapping[str, Sequence[str]], *, enabled: bool) -> list[Token] | None:
    """Tokens for ``text`` with ${...} replaced; None when a variable has no value."""
    if not enabled:
        return _tokens(text)
    out: list[Token] = []
    i = 0
    while i < len(text):
        if text.startswith("${", i) and "}" in text[i:]:
            end = text.index("}", i)
            body = text[i + 2 : end]
            i = end + 1
            if body in ("*", "?", "$"):
                out.append(("lit", body))
                continue
            default = None
            key = body.strip()
            if "," in body:
                key, _, rest = body.partition(",")
                key, rest = key.strip(), rest.strip()
                if len(rest) >= 2 and rest[0] == rest[-1] == "'":
                    default = rest[1:-1]
            values = _lookup(ctx, key)
            if values is not None and len(values) == 1:
                out.extend(_tokens(values[0], wildcards=False))
            elif default is not None:
                out.extend(_tokens(default, wildcards=False))
            else:
                return None
            continue
        out.extend(_tokens(text[i]))
        i += 1
    return out


def _plain(tokens: Sequence[Token]) -> str:
    return "".join("*" if k == "any" else "?" if k == "one" else ch for k, ch in tokens)


# --- elements -------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _action_applies(stmt: Mapping[str, Any], action: str) -> bool:
    listed = stmt.get("Action", stmt.get("NotAction"))
    hit = any(_match(_tokens(p.lower()), action.lower()) for p in _as_list(listed))
    return hit if "Action" in stmt else not hit


def _resource_applies(stmt: Mapping[str, Any], req: Request, *, enabled: bool) -> bool:
    if "Resource" not in stmt and "NotResource" not in stmt:
        return True
    listed = _as_list(stmt.get("Resource", stmt.get("NotResource")))
    expanded = [_expand(p, req.context, enabled=enabled) for p in listed]
    usable = [t for t in expanded if t is not None]
    if not usable:
        return False  # every entry used a variable with no value
    hit = any(_match(t, req.resource) for t in usable)
    return hit if "Resource" in stmt else not hit


def _principal_entries(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [("*", value)]
    return [(k, v) for k, vs in value.items() for v in _as_list(vs)]


def _role_arn(req: Request) -> str | None:
    if req.role_arn:
        return req.role_arn
    arn = req.principal_arn or ""
    if ":assumed-role/" in arn:
        head, _, rest = arn.partition(":assumed-role/")
        fields = head.split(":")
        return f"arn:{fields[1]}:iam::{fields[4]}:role/{rest.split('/')[0]}"
    return None


def _names_account(value: str, req: Request) -> bool:
    acct = req.principal_account
    return bool(acct) and (value == acct or value.endswith(f":iam::{acct}:root"))


def _principal(stmt: Mapping[str, Any], req: Request, *, has_boundary: bool) -> str | None:
    """'direct', 'role', 'account', or None when the statement does not cover the caller."""
    if "Principal" in stmt:
        found = []
        for kind, value in _principal_entries(stmt["Principal"]):
            if value == "*" or value == req.principal_arn:
                found.append("direct")
            elif kind == "AWS" and value == _role_arn(req):
                found.append("role")
            elif kind == "AWS" and _names_account(value, req):
                found.append("account")
        for level in ("direct", "role", "account"):
            if level in found:
                return level
        return None
    if "NotPrincipal" in stmt:
        if has_boundary and stmt["Effect"] == "Deny":
            return "direct"
        entries = _principal_entries(stmt["NotPrincipal"])
        chain = [
            x for x in (req.principal_account, _role_arn(req), req.principal_arn) if x is not None
        ]
        if not chain:
            return None if any(v == "*" for _, v in entries) else "direct"
        for identity in chain:
            listed = any(
                v == "*"
                or v == identity
                or (k == "AWS" and identity == req.principal_account and _names_account(v, req))
                for k, v in entries
            )
            if not listed:
                return "direct"
        return None
    return "direct"


# --- conditions -------------------------------------------------------------------


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _compare(base: str, c: str, p: str) -> bool:
    a: Any
    b: Any
    try:
        if base.startswith("numeric"):
            a, b = parse_number(c), parse_number(p)
        elif base.startswith("date"):
            a, b = parse_date(c), parse_date(p)
        else:
            a, b = c, p
    except ValueError:
        return False
    kind = base.replace("numeric", "").replace("date", "").replace("not", "")
    if kind == "equals":
        return bool(a == b)
    if kind == "lessthan":
        return bool(a < b)
    if kind == "lessthanequals":
        return bool(a <= b)
    if kind == "greaterthan":
        return bool(a > b)
    return bool(a >= b)


def _one(base: str, c: str, pattern: list[Token]) -> bool:
    # Outside StringLike/Arn* a "*" is an ordinary character, so the text is enough.
    literal = _plain(pattern)
    if base in ("stringequals", "stringnotequals"):
        return c == literal
    if base in ("stringequalsignorecase", "stringnotequalsignorecase"):
        return c.lower() == literal.lower()
    if base in ("stringlike", "stringnotlike"):
        return _match(pattern, c)
    if base == "bool":
        return c.lower() == literal.lower()
    if base == "binaryequals":
        try:
            return base64.b64decode(c) == base64.b64decode(literal)
        except ValueError:
            return False
    if base in ("ipaddress", "notipaddress"):
        try:
            return ipaddress.ip_address(c) in ipaddress.ip_network(literal, strict=False)
        except ValueError:
            return False
    if base.startswith("arn"):
        pp, cp = literal.split(":", 5), c.split(":", 5)
        if len(pp) == 6 and len(cp) == 6:
            return all(_match(_tokens(a), b) for a, b in zip(pp, cp, strict=True))
        return _match(_tokens(literal), c)
    return _compare(base, c, literal)


def _negated(base: str) -> bool:
    return "not" in base


def _condition(operator: str, key: str, values: Any, req: Request, *, enabled: bool) -> bool:
    qualifier = ""
    base = operator.lower()
    if ":" in base:
        qualifier, _, base = base.partition(":")
    if_exists = base.endswith("ifexists")
    base = base.removesuffix("ifexists")
    present = _lookup(req.context, key)
    policy = [_text(v) for v in _as_list(values)]
    if base == "null":
        return any((v.lower() == "true") == (present is None) for v in policy)
    if present is None:
        if if_exists or qualifier == "forallvalues":
            return True
        if qualifier == "foranyvalue":
            return False
        return _negated(base)
    expanded = [_expand(v, req.context, enabled=enabled) for v in policy]
    patterns = [t for t in expanded if t is not None]
    if policy and not patterns:
        return False

    def matches(c: str) -> bool:
        return any(_one(base, c, p) for p in patterns)

    if qualifier == "forallvalues":
        return all(matches(c) != _negated(base) for c in present)
    if qualifier == "foranyvalue":
        return any(matches(c) != _negated(base) for c in present)
    return any(matches(c) for c in present) != _negated(base)


def _conditions_hold(stmt: Mapping[str, Any], req: Request, *, enabled: bool) -> bool:
    return all(
        _condition(op, key, values, req, enabled=enabled)
        for op, block in stmt.get("Condition", {}).items()
        for key, values in block.items()
    )


# --- evaluation ---------------------------------------------------------------------


def _applicable(
    policies: Sequence[Policy], req: Request, *, has_boundary: bool
) -> tuple[list[str | None], bool]:
    """(principal matches of applicable Allows, whether an applicable Deny exists)."""
    allows: list[str | None] = []
    deny = False
    for policy in policies:
        enabled = policy.version == "2012-10-17"
        for statement in policy.statements:
            stmt = statement.raw
            if not _action_applies(stmt, req.action):
                continue
            if not _resource_applies(stmt, req, enabled=enabled):
                continue
            who = _principal(stmt, req, has_boundary=has_boundary)
            if who is None or not _conditions_hold(stmt, req, enabled=enabled):
                continue
            if stmt["Effect"] == "Deny":
                deny = True
            else:
                allows.append(who)
    return allows, deny


def _policies(refs: Sequence[PolicyRef] | None) -> list[Policy]:
    return [r.policy for r in refs or ()]


def reference_evaluate(
    req: Request,
    *,
    identity: Sequence[PolicyRef] = (),
    boundary: Sequence[PolicyRef] | None = None,
    session: Sequence[PolicyRef] | None = None,
    scps: Sequence[Sequence[PolicyRef]] | None = None,
    rcps: Sequence[Sequence[PolicyRef]] | None = None,
    resource: PolicyRef | None = None,
) -> str:
    has_boundary = bool(boundary)

    def applicable(refs: Sequence[PolicyRef] | None) -> tuple[list[str | None], bool]:
        return _applicable(_policies(refs), req, has_boundary=has_boundary)

    groups: dict[str, list[tuple[list[str | None], bool]]] = {
        "rcp": [applicable(level) for level in rcps or ()],
        "scp": [applicable(level) for level in scps or ()],
        "resource": [applicable([resource])] if resource else [],
        "identity": [applicable(identity)],
        "boundary": [applicable(boundary)] if boundary else [],
        "session": [applicable(session)] if session else [],
    }
    # Step 1: any applicable Deny, anywhere.
    if any(deny for results in groups.values() for _, deny in results):
        return "explicitDeny"
    # Steps 2-3: every organization level must allow.
    for org in ("rcp", "scp"):
        if not all(allows for allows, _ in groups[org]):
            return "implicitDeny"
    identity_allows = bool(groups["identity"][0][0])
    granted_as = {who for allows, _ in groups["resource"] for who in allows}
    same_account = (
        req.resource_account is None
        or req.principal_account is None
        or req.resource_account == req.principal_account
    )
    if req.is_root:
        return "allowed" if same_account or granted_as else "implicitDeny"
    boundary_ok = all(allows for allows, _ in groups["boundary"])
    session_ok = all(allows for allows, _ in groups["session"])
    if same_account:
        if "direct" in granted_as:
            return "allowed"
        if (identity_allows or "role" in granted_as) and boundary_ok and session_ok:
            return "allowed"
        return "implicitDeny"
    if identity_allows and granted_as and boundary_ok and session_ok:
        return "allowed"
    return "implicitDeny"
