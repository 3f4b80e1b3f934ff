"""Constraint validation of parsed params, as AWS validates them, with AWS's messages.

botocore's client-side ParamValidator checks required members, types and ``min`` but
skips ``max``, ``pattern`` and enums; AWS checks them all and answers, for example::

    1 validation error detected: Value 'x...x' at 'userName' failed to satisfy
    constraint: Member must have length less than or equal to 64

Observed AWS messages this follows (IAM, STS and JSON services alike):

- "Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular
  expression pattern: [\\u0009...]+; Value '' at 'roleArn' failed to satisfy constraint:
  Member must have length greater than or equal to 20" (STS AssumeRole, 2 errors: the
  pattern error is listed before the length error);
- "Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value
  greater than or equal to 900" (STS GetSessionToken);
- "... at 'tags.6.member.value' failed to satisfy constraint: Member must satisfy regular
  expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*" (IAM CreateUser; list items are
  '<list>.<n>.member', 1-based, member names with a lower-case first letter);
- "Member must satisfy enum value set: [B, N, S]";
- "Value null at 'x' failed to satisfy constraint: Member must not be null";
- map entries: "Value '{k=v}' at 'tags' failed to satisfy constraint: Map value must
  satisfy constraint: [Member must have length less than or equal to 256, Member must
  have length greater than or equal to 0, Member must satisfy regular expression
  pattern: ...]" (every constraint of the value shape, max, min, pattern);
- blobs print as Java's ByteBuffer: 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]'.

Several errors are joined with '; ' after "N validation errors detected: ".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatehold.errors import AwsError
from gatehold.protocol.patterns import compile_pattern
from gatehold.protocol.shapes import PlanCache, lower_first

if TYPE_CHECKING:
    from botocore.model import Shape

Check = Callable[[Any, str, list[str]], None]


def fmt(value: Any) -> str:
    """A value as AWS's (Java) validation messages print it."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        n = len(value)
        return f"java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{fmt(k)}={fmt(v)}" for k, v in value.items()) + "}"
    return str(value)


def _error(value: Any, path: str, constraint: str, *, sensitive: bool = False) -> str:
    if sensitive and value is not None:
        # Passwords and private keys (shapes botocore marks sensitive) are never
        # echoed: AWS leaves the value out, and the text may reach the audit trail.
        return f"Value at '{path}' failed to satisfy constraint: {constraint}"
    shown = "null" if value is None else f"'{fmt(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def _scalar_constraints(shape: Shape) -> list[tuple[str, Callable[[Any], bool]]]:
    """(message, passes) for each constraint of a scalar shape, in the order AWS lists
    failures: pattern, then length / value range, then enum."""
    md = shape.metadata
    kind = shape.type_name
    out: list[tuple[str, Callable[[Any], bool]]] = []
    pattern = md.get("pattern")
    if pattern is not None and kind == "string":
        regex = compile_pattern(pattern)
        if regex is not None:
            match = regex.fullmatch
            out.append(
                (
                    f"Member must satisfy regular expression pattern: {pattern}",
                    lambda v: match(v) is not None,
                )
            )
    lo, hi = md.get("min"), md.get("max")
    if kind in ("string", "blob", "list", "map"):
        if lo is not None:
            out.append(
                (f"Member must have length greater than or equal to {lo}", lambda v: len(v) >= lo)
            )
        if hi is not None:
            out.append(
                (f"Member must have length less than or equal to {hi}", lambda v: len(v) <= hi)
            )
    elif kind in ("integer", "long", "float", "double"):
        if lo is not None:
            out.append((f"Member must have value greater than or equal to {lo}", lambda v: v >= lo))
        if hi is not None:
            out.append((f"Member must have value less than or equal to {hi}", lambda v: v <= hi))
    enum = md.get("enum") if kind == "string" else None
    if enum:
        allowed = frozenset(enum)
        out.append(
            (f"Member must satisfy enum value set: [{', '.join(enum)}]", lambda v: v in allowed)
        )
    return out


def _listed_constraints(shape: Shape) -> str:
    """All constraints of a map key or value shape, as AWS lists them: max, min, pattern."""
    md = shape.metadata
    parts = []
    word = "length" if shape.type_name in ("string", "blob", "list", "map") else "value"
    if md.get("max") is not None:
        parts.append(f"Member must have {word} less than or equal to {md['max']}")
    if md.get("min") is not None:
        parts.append(f"Member must have {word} greater than or equal to {md['min']}")
    if md.get("pattern") is not None:
        parts.append(f"Member must satisfy regular expression pattern: {md['pattern']}")
    if md.get("enum"):
        parts.append(f"Member must satisfy enum value set: [{', '.join(md['enum'])}]")
    return "[" + ", ".join(parts) + "]"


_checks = PlanCache()


def _noop(value: Any, path: str, errors: list[str]) -> None:
    return None


def _check(shape: Shape) -> Check:
    return _checks.get(shape, _build)


def _build(shape: Shape) -> Check:
    kind = shape.type_name
    if kind == "structure":
        return _noop if shape.metadata.get("document") else _build_structure(shape)
    own = _scalar_constraints(shape)
    if kind == "list":
        return _build_list(shape, own)
    if kind == "map":
        return _build_map(shape, own)
    if not own:
        return _noop
    sensitive = bool(shape.metadata.get("sensitive"))

    def check(value: Any, path: str, errors: list[str]) -> None:
        for message, passes in own:
            if not passes(value):
                errors.append(_error(value, path, message, sensitive=sensitive))

    return check


def _build_structure(shape: Shape) -> Check:
    members: list[tuple[str, str, bool, Check]] = []

    def check(value: Any, path: str, errors: list[str]) -> None:
        prefix = path + "." if path else ""
        get = value.get
        for name, label, required, member_check in members:
            v = get(name)
            if v is None:
                if required:
                    errors.append(_error(None, prefix + label, "Member must not be null"))
            elif member_check is not _noop:
                member_check(v, prefix + label, errors)

    _checks.put(shape, check)
    required = set(shape.required_members)
    for name, m in shape.members.items():
        members.append((name, lower_first(name), name in required, _check(m)))
    return check


def _own(
    own: list[tuple[str, Callable[[Any], bool]]], value: Any, path: str, errors: list[str]
) -> None:
    for message, passes in own:
        if not passes(value):
            errors.append(_error(value, path, message))


def _build_list(shape: Shape, own: list[tuple[str, Callable[[Any], bool]]]) -> Check:
    item = _check(shape.member)

    def check(value: Any, path: str, errors: list[str]) -> None:
        _own(own, value, path, errors)
        if item is not _noop:
            for i, v in enumerate(value, 1):
                if v is not None:
                    item(v, f"{path}.{i}.member", errors)

    return check


def _build_map(shape: Shape, own: list[tuple[str, Callable[[Any], bool]]]) -> Check:
    key_check = _check(shape.key)
    value_shape = shape.value
    value_check = _check(value_shape)
    value_scalar = value_shape.type_name not in ("structure", "list", "map")
    key_listed = _listed_constraints(shape.key)
    value_listed = _listed_constraints(value_shape)

    def check(value: Any, path: str, errors: list[str]) -> None:
        _own(own, value, path, errors)
        if key_check is not _noop:
            probe: list[str] = []
            for k in value:
                key_check(k, path, probe)
            if probe:
                errors.append(
                    _error(value, path, f"Map keys must satisfy constraint: {key_listed}")
                )
        if value_check is _noop:
            return
        if value_scalar:
            probe = []
            for v in value.values():
                if v is not None:
                    value_check(v, path, probe)
            if probe:
                errors.append(
                    _error(value, path, f"Map value must satisfy constraint: {value_listed}")
                )
        else:
            for k, v in value.items():
                if v is not None:
                    value_check(v, f"{path}.{k}", errors)

    return check


def errors_for(params: dict[str, Any], shape: Shape | None) -> list[str]:
    """Every constraint ``params`` breaks, as AWS's message parts."""
    if shape is None:
        return []
    errors: list[str] = []
    _check(shape)(params, "", errors)
    return errors


def message(errors: list[str]) -> str:
    n = len(errors)
    noun = "error" if n == 1 else "errors"
    return f"{n} validation {noun} detected: " + "; ".join(errors)


def validate(params: dict[str, Any], shape: Shape | None, code: str) -> None:
    """Raise AwsError(code) with AWS's message if ``params`` break ``shape``'s constraints."""
    errors = errors_for(params, shape)
    if errors:
        raise AwsError(code, message(errors), 400)
