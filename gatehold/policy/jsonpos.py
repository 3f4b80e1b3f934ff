"""A small JSON reader that remembers where each object starts and ends.

The IAM policy simulator reports the StartPosition and EndPosition (line and
column) of every matched statement *in the text the caller sent*, so the
standard ``json`` module (which forgets positions) is not enough. This reader
returns ordinary Python values and, on the side, the span of every JSON object.

Numbers keep their source text (``JsonNumber``) because policy values such as
``"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}`` are compared as the
text the author wrote, and because validation must tell a number from a string.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from json import decoder as _json_decoder
from typing import Any

_WS = " \t\n\r"
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


# The standard library's string scanner (C-accelerated); typeshed does not declare it.
_scanstring: Callable[[str, int, bool], tuple[str, int]]
_scanstring = _json_decoder.scanstring  # type: ignore[attr-defined]


class JsonSyntaxError(ValueError):
    """The text is not JSON (AWS answers "Syntax errors in policy.")."""


class JsonNumber(str):
    """A JSON number, kept as the text that was written."""

    __slots__ = ()


@dataclass(frozen=True)
class Span:
    """Offsets of an object's ``{`` and ``}`` (both inclusive, 0-based)."""

    start: int
    end: int


@dataclass
class Parsed:
    value: Any
    spans: dict[int, Span]  # id(dict) -> span; the dicts stay alive in ``value``
    line_starts: list[int]

    def span_of(self, obj: dict[str, Any]) -> Span | None:
        return self.spans.get(id(obj))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column, as AWS's simulator reports positions."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1


def parse(text: str) -> Parsed:
    reader = _Reader(text)
    try:
        i = reader.skip_ws(0)
        value, i = reader.value(i)
        i = reader.skip_ws(i)
    except RecursionError as exc:  # absurd nesting is a syntax error, not a crash
        raise JsonSyntaxError("nesting too deep") from exc
    if i != len(text):
        raise JsonSyntaxError(f"extra data at offset {i}")
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    return Parsed(value, reader.spans, starts)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[int, Span] = {}

    def skip_ws(self, i: int) -> int:
        text = self.text
        while i < len(text) and text[i] in _WS:
            i += 1
        return i

    def value(self, i: int) -> tuple[Any, int]:
        text = self.text
        if i >= len(text):
            raise JsonSyntaxError("unexpected end of text")
        ch = text[i]
        if ch == "{":
            return self.obj(i)
        if ch == "[":
            return self.array(i)
        if ch == '"':
            return self.string(i)
        for word, val in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, i):
                return val, i + len(word)
        m = _NUMBER.match(text, i)
        if m:
            return JsonNumber(m.group()), m.end()
        raise JsonSyntaxError(f"unexpected character at offset {i}")

    def string(self, i: int) -> tuple[str, int]:
        try:
            return _scanstring(self.text, i + 1, True)
        except ValueError as exc:
            raise JsonSyntaxError(str(exc)) from exc

    def obj(self, start: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        i = self.skip_ws(start + 1)
        if self.text.startswith("}", i):
            self.spans[id(out)] = Span(start, i)
            return out, i + 1
        while True:
            if not self.text.startswith('"', i):
                raise JsonSyntaxError(f"expected a key at offset {i}")
            key, i = self.string(i)
            i = self.skip_ws(i)
            if not self.text.startswith(":", i):
                raise JsonSyntaxError(f"expected ':' at offset {i}")
            val, i = self.value(self.skip_ws(i + 1))
            out[key] = val
            i = self.skip_ws(i)
            if self.text.startswith(",", i):
                i = self.skip_ws(i + 1)
                continue
            if self.text.startswith("}", i):
                self.spans[id(out)] = Span(start, i)
                return out, i + 1
            raise JsonSyntaxError(f"expected ',' or '}}' at offset {i}")

    def array(self, start: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        i = self.skip_ws(start + 1)
        if self.text.startswith("]", i):
            return out, i + 1
        while True:
            val, i = self.value(i)
            out.append(val)
            i = self.skip_ws(i)
            if self.text.startswith(",", i):
                i = self.skip_ws(i + 1)
                continue
            if self.text.startswith("]", i):
                return out, i + 1
            raise JsonSyntaxError(f"expected ',' or ']' at offset {i}")
