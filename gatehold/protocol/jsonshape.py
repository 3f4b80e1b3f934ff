"""JSON values <-> typed params by shape, shared by the json and rest-json protocols.

Reading: a decoded JSON value is checked and converted by the shape (timestamps from
epoch seconds or ISO 8601 strings, blobs from base64); a value of the wrong JSON type
is answered as AWS's JSON services answer it, with SerializationException
("NUMBER_VALUE can not be converted to a String"). Unknown members are ignored and
JSON null is the same as absent.

Writing: params -> JSON-ready values with wire names, timestamps as epoch seconds
(or the shape's timestampFormat), blobs base64. Members bound to a header, URI,
query string or status code are left to rest_json.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatehold.errors import AwsError, serialization_exception
from gatehold.protocol import values
from gatehold.protocol.shapes import PlanCache, wire_name

if TYPE_CHECKING:
    from botocore.model import Shape

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]

_TYPE_NAMES = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "boolean": "a Boolean",
    "float": "a Float",
    "double": "a Double",
    "timestamp": "a Date",
    "blob": "a ByteBuffer",
    "structure": "a Structure",
    "list": "a List",
    "map": "a Map",
}


def _token(value: Any) -> str:
    if isinstance(value, str):
        return "STRING_VALUE"
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    return "NUMBER_VALUE"


def type_error(value: Any, type_name: str) -> AwsError:
    if isinstance(value, dict):
        return serialization_exception("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return serialization_exception("Start of list found where not expected.")
    return serialization_exception(
        f"{_token(value)} can not be converted to {_TYPE_NAMES[type_name]}"
    )


def _r_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise type_error(value, "string")


def _integral(value: Any, type_name: str, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise type_error(value, type_name)
    number = int(value)
    if number != value:  # 1.5 where an integer belongs
        raise type_error(value, type_name)
    lo, hi = values.INT32 if bits == 32 else values.INT64
    if not lo <= number <= hi:
        raise type_error(value, type_name)
    return number


def _r_int(value: Any) -> int:
    return _integral(value, "integer", 32)


def _r_long(value: Any) -> int:
    return _integral(value, "long", 64)


def _r_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise type_error(value, "boolean")


def _number(type_name: str) -> Reader:
    def read(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, str):
                parsed = values.parse_float(value)  # "NaN", "Infinity" travel as strings
                if parsed is not None:
                    return parsed
            raise type_error(value, type_name)
        return float(value)

    return read


def _r_timestamp(value: Any) -> datetime:
    parsed: datetime | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = values.from_epoch(value)
    elif isinstance(value, str):
        parsed = values.parse_timestamp(value)
    if parsed is None:
        raise type_error(value, "timestamp")
    return parsed


def _r_blob(value: Any) -> bytes:
    if isinstance(value, str):
        decoded = values.parse_blob(value)
        if decoded is not None:
            return decoded
    raise type_error(value, "blob")


def _r_document(value: Any) -> Any:
    return value


_READ_SCALARS: dict[str, Reader] = {
    "string": _r_string,
    "integer": _r_int,
    "long": _r_long,
    "boolean": _r_bool,
    "float": _number("float"),
    "double": _number("double"),
    "timestamp": _r_timestamp,
    "blob": _r_blob,
}

_readers = PlanCache()


def reader(shape: Shape) -> Reader:
    if shape.type_name == "structure" and shape.metadata.get("document"):
        return _r_document
    scalar = _READ_SCALARS.get(shape.type_name)
    if scalar is not None:
        return scalar
    return _readers.get(shape, _build_reader)


def _build_reader(shape: Shape) -> Reader:
    kind = shape.type_name
    if kind == "structure":
        return _structure_reader(shape)
    if kind == "list":
        item = reader(shape.member)

        def read_list(value: Any) -> list[Any]:
            if not isinstance(value, list):
                raise type_error(value, "list")
            return [item(v) for v in value if v is not None]

        return read_list
    if kind == "map":
        read_key = reader(shape.key)
        read_value = reader(shape.value)

        def read_map(value: Any) -> dict[Any, Any]:
            if not isinstance(value, dict):
                raise type_error(value, "map")
            return {read_key(k): read_value(v) for k, v in value.items() if v is not None}

        return read_map
    raise TypeError(f"unsupported shape type {kind}")


def body_members(shape: Shape) -> list[tuple[str, str, Shape]]:
    """(name, wire name, shape) of the members carried in the JSON body."""
    return [
        (name, wire_name(m, name), m)
        for name, m in shape.members.items()
        if "location" not in m.serialization
    ]


def _structure_reader(shape: Shape) -> Reader:
    members: list[tuple[str, str, Reader]] = []

    def read(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise type_error(value, "structure")
        out: dict[str, Any] = {}
        for name, wire, read_member in members:
            v = value.get(wire)
            if v is not None:
                out[name] = read_member(v)
        return out

    _readers.put(shape, read)
    members.extend((name, wire, reader(m)) for name, wire, m in body_members(shape))
    return read


# --- writing ----------------------------------------------------------------


def _w_same(value: Any) -> Any:
    return value


def _w_blob(value: Any) -> str:
    return values.encode_blob(value)


def _timestamp_writer(fmt: str) -> Writer:
    def write(value: Any) -> Any:
        if isinstance(value, datetime):
            return values.format_timestamp(value, fmt)
        return value

    return write


_writers = PlanCache()


def writer(shape: Shape) -> Writer | None:
    """The shape's writer; None when values are written as they are."""
    kind = shape.type_name
    if kind in ("string", "integer", "long", "boolean", "float", "double"):
        return None
    if kind == "timestamp":
        return _timestamp_writer(shape.serialization.get("timestampFormat", "unixTimestamp"))
    if kind == "blob":
        return _w_blob
    if kind == "structure" and shape.metadata.get("document"):
        return None
    return _writers.get(shape, _build_writer)


def _build_writer(shape: Shape) -> Writer:
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape)
    if kind == "list":
        item = writer(shape.member)
        if item is None:
            return list
        return lambda value: [item(v) for v in value]
    if kind == "map":
        write_value = writer(shape.value)
        if write_value is None:
            return dict
        return lambda value: {k: write_value(v) for k, v in value.items()}
    raise TypeError(f"unsupported shape type {kind}")


def _structure_writer(shape: Shape) -> Writer:
    members: list[tuple[str, str, Writer | None]] = []

    def write(value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        get = value.get
        for name, wire, write_member in members:
            v = get(name)
            if v is not None:
                out[wire] = v if write_member is None else write_member(v)
        return out

    _writers.put(shape, write)
    members.extend((name, wire, writer(m)) for name, wire, m in body_members(shape))
    return write
