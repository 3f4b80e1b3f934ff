"""The REST operation table of a rest-json service: method + requestUri template -> operation.

botocore's ``http.requestUri`` is a template like ``/analyzer/{analyzerName}/archive-rule``
or ``/token?aws_iam=t`` (a literal query parameter that tells CreateTokenWithIAM apart
from CreateToken on the same path). ``{name}`` matches one path segment, ``{name+}``
the rest of the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from gatehold.protocol.models import ServiceSpec

_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class RestRoute:
    method: str
    regex: re.Pattern[str]
    params: tuple[str, ...]  # template names, in order, without a trailing '+'
    query_literals: tuple[tuple[str, str], ...]
    specificity: tuple[int, int, int]
    operation: OperationModel


@dataclass(frozen=True)
class RestMatch:
    operation: OperationModel
    uri_params: dict[str, str]


def compile_route(op: OperationModel) -> RestRoute:
    uri: str = op.http["requestUri"]
    path, _, query = uri.partition("?")
    literals = tuple(parse_qsl(query, keep_blank_values=True)) if query else ()
    parts: list[str] = []
    names: list[str] = []
    pos = 0
    for m in _PARAM.finditer(path):
        parts.append(re.escape(path[pos : m.start()]))
        name = m.group(1)
        if name.endswith("+"):
            names.append(name[:-1])
            parts.append("(.+)")
        else:
            names.append(name)
            parts.append("([^/]+)")
        pos = m.end()
    parts.append(re.escape(path[pos:]))
    literal_chars = len(_PARAM.sub("", path))
    segments = path.count("/")
    return RestRoute(
        method=op.http.get("method", "POST").upper(),
        regex=re.compile("".join(parts)),
        params=tuple(names),
        query_literals=literals,
        specificity=(len(literals), literal_chars, segments),
        operation=op,
    )


class RestTable:
    """All operations of one rest-json service, most specific first."""

    def __init__(self, service: ServiceSpec) -> None:
        routes = [compile_route(service.model.operation_model(n)) for n in service.operation_names]
        routes.sort(key=lambda r: r.specificity, reverse=True)
        self.routes: tuple[RestRoute, ...] = tuple(routes)

    def match(self, method: str, raw_path: str, query: dict[str, list[str]]) -> RestMatch | None:
        for r in self.routes:
            if r.method != method:
                continue
            m = r.regex.fullmatch(raw_path)
            if m is None:
                continue
            if any(v not in query.get(k, ()) for k, v in r.query_literals):
                continue
            values = {
                name: unquote(raw, errors="strict")
                for name, raw in zip(r.params, m.groups(), strict=True)
            }
            return RestMatch(r.operation, values)
        return None
