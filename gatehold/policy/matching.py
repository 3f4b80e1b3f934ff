"""Matching of the Action, Resource and Principal elements.

AWS (reference_policies_elements_action.html / _resource.html / _principal.html):
* actions ignore case in both the service prefix and the name; ``*`` and ``?``
  are wildcards; a name without wildcards must match in full;
* resources are ARNs compared case-sensitively with ``*`` and ``?``; ``*``
  crosses ``/`` and ``:``; ``bucket/*`` does not match the bucket itself;
* principals are matched as whole values: ``*`` (alone) matches everyone, and a
  wildcard cannot match part of an ARN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gatehold.policy.model import Request
from gatehold.policy.variables import Context, Template, parse_template, resolve_glob
from gatehold.policy.wildcard import Matcher, compile_glob, compile_regex, has_wildcard

# --- actions ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ActionSet:
    patterns: tuple[str, ...]  # as written
    exact: frozenset[str]  # lower-cased, no wildcards
    globs: tuple[Matcher, ...]  # lower-cased wildcard patterns, compiled
    glob_patterns: tuple[str, ...]  # the same patterns as text (for indexing)
    match_all: bool
    # Lower-cased service prefixes this set can match, for indexing; None when a
    # pattern has a wildcard in its prefix ("*", "s3*:Get") and could match any.
    services: frozenset[str] | None

    def matches(self, action_lower: str) -> bool:
        if self.match_all or action_lower in self.exact:
            return True
        # A loop, not any(): this runs for every candidate statement of a decision,
        # and the generator costs several times the loop.
        for glob in self.globs:  # noqa: SIM110
            if glob(action_lower):
                return True
        return False


def compile_actions(patterns: Sequence[str]) -> ActionSet:
    exact: set[str] = set()
    globs: list[Matcher] = []
    glob_patterns: list[str] = []
    services: set[str] | None = set()
    match_all = False
    for pattern in patterns:
        low = pattern.lower()
        if low == "*":
            match_all = True
        elif has_wildcard(low):
            globs.append(compile_glob(low))
            glob_patterns.append(low)
        else:
            exact.add(low)
        prefix = low.split(":", 1)[0] if ":" in low else "*"
        if services is not None:
            if has_wildcard(prefix):
                services = None
            else:
                services.add(prefix)
    return ActionSet(
        tuple(patterns),
        frozenset(exact),
        tuple(globs),
        tuple(glob_patterns),
        match_all,
        frozenset(services) if services is not None else None,
    )


# --- resources --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ResourceSet:
    patterns: tuple[str, ...]  # as written
    match_all: bool
    static: tuple[Matcher, ...]
    templates: tuple[Template, ...]  # entries with policy variables (2012-10-17 only)

    def match(self, resource: str, ctx: Context) -> bool | None:
        """True/False, or None when no entry could be resolved (all variables missing)."""
        if self.match_all:
            return True
        for matcher in self.static:
            if matcher(resource):
                return True
        resolved_any = bool(self.static)
        for template in self.templates:
            source = resolve_glob(template, ctx)
            if source is None:
                continue  # an unresolved variable cannot match
            resolved_any = True
            if compile_regex(source)(resource):
                return True
        return False if resolved_any else None

    @property
    def variable_keys(self) -> tuple[str, ...]:
        return tuple(k for t in self.templates for k in t.keys)


def compile_resources(patterns: Sequence[str], *, variables: bool) -> ResourceSet:
    static: list[Matcher] = []
    templates: list[Template] = []
    match_all = False
    for pattern in patterns:
        parsed = parse_template(pattern) if variables else pattern
        if isinstance(parsed, Template):
            templates.append(parsed)
        elif parsed == "*":
            match_all = True
        else:
            static.append(compile_glob(parsed))
    return ResourceSet(tuple(patterns), match_all, tuple(static), tuple(templates))


def arn_like(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-separated parts is matched on its own.

    AWS (condition operators page): "Each of the six colon-delimited components of
    the ARN is checked separately and each can include multi-character match
    wildcards (*) or single-character match wildcards (?)". When either side has
    fewer than six parts there is nothing to align, so the whole text is matched.
    """
    p_parts = pattern.split(":", 5)
    v_parts = value.split(":", 5)
    if len(p_parts) == 6 and len(v_parts) == 6:
        return all(compile_glob(p)(v) for p, v in zip(p_parts, v_parts, strict=True))
    return compile_glob(pattern)(value)


# --- principals -------------------------------------------------------------------

PrincipalMatch = Literal["direct", "role", "account"]
_STRENGTH = {"direct": 3, "role": 2, "account": 1}


@dataclass(frozen=True, eq=False)
class PrincipalSet:
    """Principal/NotPrincipal entries as (type, value): ("AWS", arn), ("Service", name) ..."""

    entries: tuple[tuple[str, str], ...]

    def match(self, req: Request) -> PrincipalMatch | None:
        """How the caller is named, strongest first.

        * "direct": ``*``, the caller's own ARN (user or role session), or its service name;
        * "role": the role the session belongs to (boundaries and session policies
          still limit such a grant, per the permissions-boundaries page);
        * "account": the caller's account (a delegation: the account's own IAM
          policies must also allow).
        """
        best: PrincipalMatch | None = None
        role = role_arn_of(req)
        for kind, value in self.entries:
            found: PrincipalMatch | None = None
            if value == "*" or value == req.principal_arn:
                found = "direct"
            elif kind == "AWS" and role is not None and value == role:
                found = "role"
            elif kind == "AWS" and _is_account(value, req):
                found = "account"
            if found is not None and (best is None or _STRENGTH[found] > _STRENGTH[best]):
                best = found
        return best

    def lists(self, identity: str, req: Request) -> bool:
        for kind, value in self.entries:
            if value == "*" or value == identity:
                return True
            if kind == "AWS" and identity == req.principal_account and _is_account(value, req):
                return True
        return False

    def not_principal_applies(self, req: Request) -> bool:
        """Whether a NotPrincipal statement covers the caller.

        AWS (NotPrincipal page) may check the account first, then the role, then
        the session, so each of those must be listed to be left out; that is why
        AWS tells you to list the account ARN too.
        """
        chain: list[str] = []
        if req.principal_account:
            chain.append(req.principal_account)
        role = role_arn_of(req)
        if role:
            chain.append(role)
        if req.principal_arn:
            chain.append(req.principal_arn)
        if not chain:
            return not any(v == "*" for _, v in self.entries)
        return any(not self.lists(identity, req) for identity in chain)


def _is_account(value: str, req: Request) -> bool:
    account = req.principal_account
    if not account:
        return False
    if value == account:
        return True
    return value.startswith("arn:") and value.endswith(f":iam::{account}:root")


def role_arn_of(req: Request) -> str | None:
    """The role ARN of a role session (given, or derived without its path)."""
    if req.role_arn:
        return req.role_arn
    arn = req.principal_arn
    if arn and ":assumed-role/" in arn and arn.startswith("arn:"):
        head, _, rest = arn.partition(":assumed-role/")
        role_name = rest.split("/", 1)[0]
        parts = head.split(":")
        if len(parts) == 5:
            return f"arn:{parts[1]}:iam::{parts[4]}:role/{role_name}"
    return None
