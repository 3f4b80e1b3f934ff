"""The HTTP request and response as the protocol layer sees them: plain values, no framework.

HttpRequest is the signature checker's: one value travels from the HTTP shell through
SigV4 and routing to parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gatehold.auth.sigv4 import HttpRequest

__all__ = ["HttpRequest", "HttpResponse", "header"]


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


def header(headers: tuple[tuple[str, str], ...] | list[tuple[str, str]], name: str) -> str | None:
    """The first header called ``name`` (case-insensitive), or None."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None
