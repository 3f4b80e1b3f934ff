"""Query protocol (IAM, STS) input: form parameters -> typed params by the input shape.

The wire form is botocore's QuerySerializer's: structure members by name (or
locationName) joined with '.', lists as ``Name.member.N`` (1-based), maps as
``Name.entry.N.key`` / ``Name.entry.N.value``, an empty list as ``Name=``,
booleans ``true``/``false``, timestamps ISO 8601, blobs base64. Parameters the
shape does not name are ignored, as AWS ignores them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gatehold.errors import AwsError, invalid_parameter_value
from gatehold.protocol import values
from gatehold.protocol.request import HttpRequest
from gatehold.protocol.shapes import PlanCache, wire_name
from gatehold.protocol.urlencoded import form_params

if TYPE_CHECKING:
    from botocore.model import Shape

    from gatehold.protocol.routing import Route


# No IAM or STS parameter name comes near these; longer names or deeper nesting are
# ignored rather than indexed, so a hostile body cannot make the prefix index huge.
MAX_NAME = 256
MAX_DEPTH = 16


class _Params:
    """The form fields, plus the dotted prefixes of their names (for nested values)."""

    __slots__ = ("_prefixes", "values")

    def __init__(self, fields: dict[str, str]) -> None:
        self.values = fields
        self._prefixes: set[str] | None = None

    def has(self, key: str) -> bool:
        if key in self.values:
            return True
        if self._prefixes is None:
            prefixes: set[str] = set()
            for name in self.values:
                if len(name) > MAX_NAME:
                    continue
                i = name.find(".")
                depth = 0
                while i != -1 and depth < MAX_DEPTH:
                    prefixes.add(name[:i])
                    i = name.find(".", i + 1)
                    depth += 1
            self._prefixes = prefixes
        return key in self._prefixes


Scalar = Callable[[str, str], Any]  # (text, key) -> value
Nested = Callable[[_Params, str], Any]  # (params, key) -> value


def _bad(kind: str, key: str, text: str) -> AwsError:
    return invalid_parameter_value(f"invalid {kind} for {key}: '{text[:256]}'")


def _string(text: str, key: str) -> str:
    return text


def _int32(text: str, key: str) -> int:
    value = values.parse_int(text, 32)
    if value is None:
        raise _bad("integer", key, text)
    return value


def _int64(text: str, key: str) -> int:
    value = values.parse_int(text, 64)
    if value is None:
        raise _bad("long", key, text)
    return value


def _bool(text: str, key: str) -> bool:
    value = values.parse_bool(text)
    if value is None:
        raise _bad("boolean", key, text)
    return value


def _float(text: str, key: str) -> float:
    value = values.parse_float(text)
    if value is None:
        raise _bad("number", key, text)
    return value


def _timestamp(text: str, key: str) -> Any:
    value = values.parse_timestamp(text)
    if value is None:
        raise _bad("timestamp", key, text)
    return value


def _blob(text: str, key: str) -> bytes:
    value = values.parse_blob(text)
    if value is None:
        raise _bad("base64 blob", key, text)
    return value


_SCALARS: dict[str, Scalar] = {
    "string": _string,
    "integer": _int32,
    "long": _int64,
    "boolean": _bool,
    "float": _float,
    "double": _float,
    "timestamp": _timestamp,
    "blob": _blob,
}

_readers = PlanCache()


def _reader(shape: Shape) -> tuple[bool, Any]:
    """(is_scalar, reader) for ``shape``."""
    scalar = _SCALARS.get(shape.type_name)
    if scalar is not None:
        return True, scalar
    return False, _readers.get(shape, _build)


def _build(shape: Shape) -> Nested:
    kind = shape.type_name
    if kind == "structure":
        return _build_structure(shape)
    if kind == "list":
        return _build_list(shape)
    if kind == "map":
        return _build_map(shape)
    raise TypeError(f"unsupported shape type {kind}")


def _build_structure(shape: Shape) -> Nested:
    members: list[tuple[str, str, bool, Any]] = []

    def read(params: _Params, key: str) -> dict[str, Any]:
        prefix = key + "." if key else ""
        fields = params.values
        out: dict[str, Any] = {}
        for name, wire, scalar, reader in members:
            k = prefix + wire
            if scalar:
                text = fields.get(k)
                if text is not None:
                    out[name] = reader(text, k)
            elif params.has(k):
                out[name] = reader(params, k)
        return out

    _readers.put(shape, read)
    for name, member in shape.members.items():
        scalar, reader = _reader(member)
        members.append((name, wire_name(member, name), scalar, reader))
    return read


def _build_list(shape: Shape) -> Nested:
    member = shape.member
    flattened = bool(shape.serialization.get("flattened"))
    item = "" if flattened else wire_name(member, "member") + "."
    scalar, reader = _reader(member)

    def read(params: _Params, key: str) -> list[Any]:
        base = f"{key}.{item}"
        fields = params.values
        out: list[Any] = []
        limit = len(fields)
        for i in range(1, limit + 1):
            k = base + str(i)
            if scalar:
                text = fields.get(k)
                if text is None:
                    break
                out.append(reader(text, k))
            elif params.has(k):
                out.append(reader(params, k))
            else:
                break
        return out

    return read


def _build_map(shape: Shape) -> Nested:
    flattened = bool(shape.serialization.get("flattened"))
    entry = "" if flattened else "entry."
    key_name = wire_name(shape.key, "key")
    value_name = wire_name(shape.value, "value")
    value_scalar, value_reader = _reader(shape.value)

    def read(params: _Params, key: str) -> dict[str, Any]:
        base = f"{key}.{entry}"
        fields = params.values
        out: dict[str, Any] = {}
        for i in range(1, len(fields) + 1):
            k = f"{base}{i}"
            if not params.has(k):
                break
            map_key = fields.get(f"{k}.{key_name}")
            if map_key is None:
                continue
            vk = f"{k}.{value_name}"
            if value_scalar:
                text = fields.get(vk)
                if text is not None:
                    out[map_key] = value_reader(text, vk)
            elif params.has(vk):
                out[map_key] = value_reader(params, vk)
        return out

    return read


def parse(route: Route, req: HttpRequest) -> dict[str, Any]:
    """The operation's parameters from ``req`` (not yet validated)."""
    shape = route.operation.input_shape
    if shape is None:
        return {}
    fields = route.form if route.form is not None else form_params(req)
    reader = _readers.get(shape, _build)
    result: dict[str, Any] = reader(_Params(fields), "")
    return result


def prepare(shape: Shape | None) -> None:
    """Build the reader of an input shape now, not on its first request."""
    if shape is not None:
        _readers.get(shape, _build)
