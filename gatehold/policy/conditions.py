"""Condition operators: compile once, evaluate per request.

AWS (reference_policies_elements_condition_operators.html and
reference_policies_condition-single-vs-multi-valued-context-keys.html):
* operator blocks are ANDed, keys within a block are ANDed, values for one key
  are ORed (and NORed for the negated operators);
* key names ignore case; whether values do depends on the operator;
* a key absent from the request makes positive operators false and negated
  ones (StringNotEquals, ArnNotLike, NotIpAddress, NumericNotEquals ...) true,
  except ``...IfExists`` (absent: true) and ``Null`` (tests presence itself);
* ``ForAllValues:`` is true when every request value matches (and when the key is
  absent or empty); ``ForAnyValue:`` when at least one does (false when absent).

Values that need parsing (numbers, dates, CIDRs, base64) are parsed when the
policy is compiled; only request values are parsed per request.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehold.policy.matching import arn_like
from gatehold.policy.variables import Context, Template, parse_template, resolve_glob, resolve_plain
from gatehold.policy.wildcard import compile_glob, compile_regex


class BadConditionValue(ValueError):
    """A policy value the operator cannot read (AWS: "The policy failed legacy parsing")."""


# --- value parsers ----------------------------------------------------------------

_INT = re.compile(r"^[-+]?[0-9]+$")
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_INT64_MAX = 2**63 - 1


def parse_number(text: str) -> float | int:
    text = text.strip()
    if _INT.match(text):
        return int(text)
    value = float(text)  # ValueError for junk
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_date(text: str) -> float:
    """Seconds since the epoch, from W3C ISO 8601 or epoch seconds (both allowed by AWS)."""
    text = text.strip()
    if _INT.match(text):
        seconds = int(text)
        if abs(seconds) > _INT64_MAX:
            raise ValueError(text)
        return float(seconds)
    m = _ISO.match(text)
    if not m:
        raise ValueError(text)
    year, month, day, hour, minute, second, frac, tz = m.groups()
    base = datetime(int(year), int(month), int(day), tzinfo=UTC)
    if hour is not None:
        base += timedelta(hours=int(hour), minutes=int(minute), seconds=int(second or 0))
        if frac:
            base += timedelta(microseconds=int(frac[:6].ljust(6, "0")))
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        base -= sign * offset  # 13:00+02:00 is 11:00Z
    return base.timestamp()


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text.strip(), strict=False)


def parse_binary(text: str) -> bytes:
    return base64.b64decode(text.strip(), validate=False)


# --- operator table ---------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    family: str  # string, string_ic, like, numeric, date, bool, binary, ip, arn, null
    negated: bool
    compare: str = "eq"  # eq, lt, le, gt, ge (numeric and date)


_BASE_OPS: dict[str, Op] = {
    "stringequals": Op("string", False),
    "stringnotequals": Op("string", True),
    "stringequalsignorecase": Op("string_ic", False),
    "stringnotequalsignorecase": Op("string_ic", True),
    "stringlike": Op("like", False),
    "stringnotlike": Op("like", True),
    "bool": Op("bool", False),
    "binaryequals": Op("binary", False),
    "ipaddress": Op("ip", False),
    "notipaddress": Op("ip", True),
    "arnequals": Op("arn", False),
    "arnlike": Op("arn", False),
    "arnnotequals": Op("arn", True),
    "arnnotlike": Op("arn", True),
    "null": Op("null", False),
}
for _fam in ("numeric", "date"):
    _BASE_OPS[f"{_fam}equals"] = Op(_fam, False, "eq")
    _BASE_OPS[f"{_fam}notequals"] = Op(_fam, True, "eq")
    _BASE_OPS[f"{_fam}lessthan"] = Op(_fam, False, "lt")
    _BASE_OPS[f"{_fam}lessthanequals"] = Op(_fam, False, "le")
    _BASE_OPS[f"{_fam}greaterthan"] = Op(_fam, False, "gt")
    _BASE_OPS[f"{_fam}greaterthanequals"] = Op(_fam, False, "ge")

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
}

_PARSERS: dict[str, Callable[[str], Any]] = {
    "numeric": parse_number,
    "date": parse_date,
    "ip": parse_network,
    "binary": parse_binary,
}


@dataclass(frozen=True)
class OperatorName:
    name: str  # as written
    op: Op
    qualifier: str | None  # "forallvalues" / "foranyvalue"
    if_exists: bool


def parse_operator(name: str) -> OperatorName | None:
    """None for an unknown operator (AWS: "Syntax errors in policy.")."""
    qualifier: str | None = None
    rest = name
    if ":" in name:
        prefix, _, rest = name.partition(":")
        qualifier = prefix.lower()
        if qualifier not in ("forallvalues", "foranyvalue"):
            return None
    low = rest.lower()
    if_exists = low.endswith("ifexists")
    if if_exists:
        low = low[: -len("ifexists")]
    op = _BASE_OPS.get(low)
    if op is None or (op.family == "null" and (if_exists or qualifier)):
        return None
    return OperatorName(name, op, qualifier, if_exists)


# --- compiled conditions ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Condition:
    """One key under one operator: ``{"StringEquals": {"aws:username": ["a", "b"]}}``."""

    operator: OperatorName
    key: str  # as written
    key_lower: str
    values: tuple[str | Template, ...]  # as written (templates when variables apply)
    parsed: tuple[Any, ...] | None  # pre-parsed values when no value has variables
    static_match: Callable[[str], bool] | None  # built once when ``parsed`` is known

    @property
    def variable_keys(self) -> tuple[str, ...]:
        return tuple(k for v in self.values if isinstance(v, Template) for k in v.keys)

    def evaluate(self, ctx: Context) -> bool:
        op = self.operator
        found = ctx.get(self.key_lower)
        if op.op.family == "null":
            absent = not found
            return any((v == "true") == absent for v in self.values if isinstance(v, str))
        if not found:
            if op.if_exists or op.qualifier == "forallvalues":
                return True
            if op.qualifier == "foranyvalue":
                return False
            return op.op.negated
        match = self.static_match
        if match is None:
            policy_values = self._policy_values(ctx)
            if policy_values is None:
                return False  # every value used an unresolved variable: it cannot hold
            match = _matcher(op.op, policy_values)
        if op.qualifier == "forallvalues":
            return all(match(c) != op.op.negated for c in found)
        if op.qualifier == "foranyvalue":
            return any(match(c) != op.op.negated for c in found)
        hit = any(match(c) for c in found)
        return hit != op.op.negated

    def _policy_values(self, ctx: Context) -> Sequence[Any] | None:
        if self.parsed is not None:
            return self.parsed
        family = self.operator.op.family
        out: list[Any] = []
        for value in self.values:
            resolved = _resolve(family, value, ctx)
            if resolved is not None:
                out.append(resolved)
        if not out and self.values:
            return None
        return out


def _resolve(family: str, value: str | Template, ctx: Context) -> Any:
    if family == "like":
        source = resolve_glob(value, ctx)
        return None if source is None else compile_regex(source)
    text = resolve_plain(value, ctx)
    if text is None:
        return None
    return _prepare(family, text, strict=False)


def _prepare(family: str, text: str, *, strict: bool) -> Any:
    """Turn one policy value into what the matcher compares against."""
    if family == "like":
        return compile_glob(text)
    if family == "string_ic":
        return text.lower()
    if family == "bool":
        return text.lower()
    parser = _PARSERS.get(family)
    if parser is None:
        return text
    try:
        return parser(text)
    except (ValueError, binascii.Error) as exc:
        if strict:
            raise BadConditionValue(text) from exc
        return _NEVER


class _Never:
    """A policy value that could not be read: it matches nothing."""


_NEVER = _Never()


def compile_condition(
    operator: OperatorName, key: str, values: Sequence[str], *, variables: bool
) -> Condition:
    family = operator.op.family
    if family == "null":
        # Null takes "true"/"false" and no variables.
        return Condition(operator, key, key.lower(), tuple(v.lower() for v in values), None, None)
    written: tuple[str | Template, ...] = tuple(
        parse_template(v) if variables else v for v in values
    )
    parsed: tuple[Any, ...] | None = None
    static: Callable[[str], bool] | None = None
    if all(isinstance(v, str) for v in written):
        parsed = tuple(_prepare(family, v, strict=True) for v in written if isinstance(v, str))
        static = _matcher(operator.op, parsed)
    return Condition(operator, key, key.lower(), written, parsed, static)


# --- matchers: one request value against the policy values (OR) ------------------


def _matcher(op: Op, policy_values: Sequence[Any]) -> Callable[[str], bool]:
    family = op.family
    if family == "string":
        exact = frozenset(policy_values)
        return exact.__contains__
    if family in ("string_ic", "bool"):
        lowered = frozenset(policy_values)
        return lambda c: c.lower() in lowered
    if family == "like":
        return lambda c: any(m(c) for m in policy_values)
    if family == "arn":
        patterns = [p for p in policy_values if isinstance(p, str)]
        return lambda c: any(arn_like(p, c) for p in patterns)
    compare = _COMPARE[op.compare]
    parser = _PARSERS[family]
    usable = [p for p in policy_values if p is not _NEVER]

    def match(c: str) -> bool:
        try:
            got = parser(c) if family != "ip" else ipaddress.ip_address(c.strip())
        except (ValueError, binascii.Error):
            return False
        if family == "ip":
            return any(got in net for net in usable)
        return any(compare(got, p) for p in usable)

    return match
