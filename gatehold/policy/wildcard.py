"""Wildcard (``*`` and ``?``) patterns, compiled once and cached.

IAM uses the same two wildcards everywhere: ``*`` is any run of characters
(including none, and including ``/`` and ``:``), ``?`` is exactly one character,
and the pattern must match the whole value. Compiling a regex per request would
dominate the cost of a decision, so every pattern is compiled once per process
(bounded LRU caches) and patterns without wildcards become plain comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], bool]


def _always(_: str) -> bool:
    return True


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def glob_to_regex(pattern: str) -> str:
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            # Collapse runs of "*": they mean the same and ".*.*" backtracks badly.
            if not out or out[-1] != ".*":
                out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=65536)
def compile_glob(pattern: str) -> Matcher:
    """A matcher for one pattern (case-sensitive; callers lower-case for actions)."""
    if pattern == "*":
        return _always
    if not has_wildcard(pattern):
        return pattern.__eq__
    return compile_regex(glob_to_regex(pattern))


@lru_cache(maxsize=65536)
def compile_regex(source: str) -> Matcher:
    """A full-match matcher for a regex source built by ``glob_to_regex``."""
    if source == ".*":
        return _always
    fullmatch = re.compile(source, re.DOTALL).fullmatch
    return lambda value: fullmatch(value) is not None
