"""The models' Java regular expressions, compiled for Python's ``re``.

AWS checks ``pattern`` constraints with java.util.regex, whole-value (``matches()``).
Python's ``re`` reads almost all of the models' patterns the same way once two
differences are bridged:

- ``\\p{L}``-style Unicode categories, which ``re`` lacks, become explicit character
  ranges computed from ``unicodedata`` (once, on first use);
- Java's ``\\w``, ``\\d``, ``\\s`` are ASCII-only, so patterns compile with ``re.ASCII``.

``\\uXXXX`` takes exactly four hex digits in both, so ``\\u10000`` means U+1000
followed by '0' in both; an escaped surrogate pair is one code point in Java and is
written as one here. A pattern that still does not compile is reported by
``compile_pattern`` returning None (a unit test keeps that list empty).
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from functools import cache

_CATEGORY_GROUPS = "LMNPSZC"
_lock = threading.Lock()
_ranges: dict[str, str] | None = None


def _escape_cp(cp: int) -> str:
    return f"\\U{cp:08x}" if cp > 0xFFFF else f"\\u{cp:04x}"


def _category_ranges() -> dict[str, str]:
    """Major category letter -> the body of a character class matching it."""
    global _ranges
    if _ranges is not None:
        return _ranges
    with _lock:
        if _ranges is None:
            spans: dict[str, list[tuple[int, int]]] = {g: [] for g in _CATEGORY_GROUPS}
            current, start = "", 0
            category = unicodedata.category
            for cp in range(sys.maxunicode + 1):
                group = category(chr(cp))[0]
                if group != current:
                    if current:
                        spans[current].append((start, cp - 1))
                    current, start = group, cp
            spans[current].append((start, sys.maxunicode))
            _ranges = {
                g: "".join(
                    _escape_cp(a) if a == b else f"{_escape_cp(a)}-{_escape_cp(b)}" for a, b in s
                )
                for g, s in spans.items()
            }
    return _ranges


_PROPERTY = re.compile(r"\\([pP])\{(\w+)\}")
# Java joins an escaped UTF-16 surrogate pair into one supplementary code point:
# "\uD800\uDC00-\uDBFF\uDFFF" is the range U+10000-U+10FFFF.
_PAIR = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})")


def translate(pattern: str) -> str | None:
    """The Python form of Java ``pattern``; None if it uses what cannot be translated."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            pair = _PAIR.match(pattern, i)
            if pair is not None:
                high, low = int(pair.group(1), 16), int(pair.group(2), 16)
                out.append(_escape_cp(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)))
                i = pair.end()
                continue
            m = _PROPERTY.match(pattern, i)
            if m is not None:
                negate, name = m.group(1) == "P", m.group(2)
                if name not in _CATEGORY_GROUPS or (negate and in_class):
                    return None
                body = _category_ranges()[name]
                if in_class:
                    out.append(body)
                else:
                    out.append(f"[{'^' if negate else ''}{body}]")
                i = m.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            # A ']' right after '[' or '[^' is a literal in both dialects.
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            i += 1
            continue
        if c == "[" and in_class:
            return None  # Java's nested class / intersection syntax
        if c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


@cache
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    python = translate(pattern)
    if python is None:
        return None
    try:
        return re.compile(python, re.ASCII)
    except re.error:
        return None
