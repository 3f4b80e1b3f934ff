"""Scalar conversions shared by the protocols: timestamps, blobs, numbers.

Parsers return None when the text is not a value of the type; each protocol turns
that into its own error.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Infinity|NaN")


def parse_int(text: str, bits: int) -> int | None:
    if len(text) > 24 or not _INT.fullmatch(text):
        return None
    value = int(text)
    lo, hi = INT32 if bits == 32 else INT64
    return value if lo <= value <= hi else None


def parse_float(text: str) -> float | None:
    if len(text) > 64 or not _FLOAT.fullmatch(text):
        return None
    return float(text)


def parse_bool(text: str) -> bool | None:
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    return None


def parse_blob(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def encode_blob(value: bytes | bytearray | str) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def parse_timestamp(text: str) -> datetime | None:
    """ISO 8601 (any form fromisoformat reads), epoch seconds, or RFC 822."""
    text = text.strip()
    if not text or len(text) > 64:
        return None
    number = parse_float(text)
    if number is not None:
        return from_epoch(number)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds):
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso8601(dt: datetime) -> str:
    """As AWS writes timestamps in XML and in iso8601 JSON: 2026-01-02T03:04:05Z,
    with milliseconds only when there are any."""
    dt = _utc(dt)
    base = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )
    if dt.microsecond:
        return f"{base}.{dt.microsecond // 1000:03d}Z"
    return base + "Z"


def epoch(dt: datetime) -> int | float:
    """Epoch seconds as the JSON protocols send them: an integer when whole."""
    seconds = _utc(dt).timestamp()
    whole = int(seconds)
    return whole if whole == seconds else round(seconds, 3)


def rfc822(dt: datetime) -> str:
    return format_datetime(_utc(dt), usegmt=True)


def format_timestamp(dt: datetime, fmt: str) -> str | int | float:
    if fmt == "unixTimestamp":
        return epoch(dt)
    if fmt == "rfc822":
        return rfc822(dt)
    return iso8601(dt)
