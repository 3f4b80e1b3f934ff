"""Raw HTTP to the server, for requests no SDK would send."""

from __future__ import annotations

import http.client
from urllib.parse import urlparse


def request(
    endpoint: str,
    method: str,
    path: str,
    body: bytes | str = b"",
    headers: list[tuple[str, str]] | dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    u = urlparse(endpoint)
    assert u.hostname is not None, endpoint
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.putrequest(method, path, skip_accept_encoding=True)
        items = headers.items() if isinstance(headers, dict) else (headers or [])
        names = set()
        for name, value in items:
            names.add(name.lower())
            conn.putheader(name, value)
        if "content-length" not in names:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def post(
    endpoint: str, body: bytes | str, headers: dict[str, str] | None = None, path: str = "/"
) -> tuple[int, dict[str, str], bytes]:
    return request(endpoint, "POST", path, body, headers)
