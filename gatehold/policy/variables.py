"""Policy variables: ``${aws:username}``, defaults, and the literal escapes.

AWS (reference_policies_variables.html):
* ``${key}`` is replaced by the request's value for ``key`` (key names ignore case);
* ``${key, 'default'}`` uses the quoted literal when the key is missing;
* ``${*}``, ``${?}`` and ``${$}`` are a literal ``*``, ``?`` and ``$`` wherever
  variables work, so ``a${*}b`` in StringLike matches only the text ``a*b``;
* variables are expanded only under ``"Version": "2012-10-17"``; under
  2008-10-17 (the default) the text is taken literally;
* a key with no value (absent, or multivalued) leaves the variable unresolved:
  whatever uses it cannot match.

A template is parsed once, when the policy is compiled, into parts; resolving it
per request is then a join, with no regex work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gatehold.policy.wildcard import glob_to_regex

_VAR = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")


@dataclass(frozen=True)
class Var:
    key: str  # as written
    key_lower: str
    default: str | None


@dataclass(frozen=True)
class Escape:
    char: str  # "*", "?" or "$": always literal, even in a wildcard pattern


Part = str | Var | Escape  # a str part is literal text (wildcards still active)


@dataclass(frozen=True)
class Template:
    parts: tuple[Part, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parts if isinstance(p, Var))


Context = Mapping[str, tuple[str, ...]]  # keys already lower-cased


def parse_template(text: str) -> str | Template:
    """Return ``text`` itself when it has no variables (the common, fast case)."""
    if "${" not in text:
        return text
    parts: list[Part] = []
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        parts.append(_parse_var(m.group(1), m.group(0)))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    if all(isinstance(p, str) for p in parts):
        return text
    return Template(tuple(parts))


def _parse_var(body: str, whole: str) -> Part:
    if body in ("*", "?", "$"):
        return Escape(body)
    m = _DEFAULT.match(body)
    if m:
        return Var(m.group(1), m.group(1).lower(), m.group(2))
    key = body.strip()
    if not key or "," in key or " " in key:
        return whole  # not a variable AWS would recognise: keep the text
    return Var(key, key.lower(), None)


def lookup(var: Var, ctx: Context) -> str | None:
    values = ctx.get(var.key_lower)
    # Multivalued keys cannot be used as policy variables (AWS), so they do not resolve.
    if values is not None and len(values) == 1:
        return values[0]
    return var.default


def resolve_plain(value: str | Template, ctx: Context) -> str | None:
    """The literal string, or None when a variable has no value."""
    if isinstance(value, str):
        return value
    out: list[str] = []
    for part in value.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Escape):
            out.append(part.char)
        else:
            got = lookup(part, ctx)
            if got is None:
                return None
            out.append(got)
    return "".join(out)


def resolve_glob(value: str | Template, ctx: Context) -> str | None:
    """A regex source for a wildcard pattern; variable values and escapes are literal.

    Why literal: ``${*}`` exists precisely to write a literal asterisk, and a
    user's name or tag value must not turn into a wildcard.
    """
    if isinstance(value, str):
        return glob_to_regex(value)
    out: list[str] = []
    for part in value.parts:
        if isinstance(part, str):
            out.append(glob_to_regex(part))
        elif isinstance(part, Escape):
            out.append(re.escape(part.char))
        else:
            got = lookup(part, ctx)
            if got is None:
                return None
            out.append(re.escape(got))
    return "".join(out)


def literal_text(value: str | Template) -> str:
    """The template as written (for 2008-10-17 policies and for messages)."""
    if isinstance(value, str):
        return value
    out: list[str] = []
    for part in value.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Escape):
            out.append("${" + part.char + "}")
        elif part.default is None:
            out.append("${" + part.key + "}")
        else:
            out.append("${" + part.key + ", '" + part.default + "'}")
    return "".join(out)
