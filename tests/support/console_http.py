"""The console over plain HTTP, as a browser without JavaScript would use it: a
cookie-keeping client that follows redirects, the pages it gets (with their form
inputs and label texts), and an IAM user's password sign-in."""

from __future__ import annotations

import html.parser
import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class _Fields(html.parser.HTMLParser):
    """The inputs of a page and the texts of its labels."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.labels: list[str] = []
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") and (a.get("type") != "radio" or "checked" in a):
            self.inputs[a["name"] or ""] = a.get("value") or ""
        self._in_label = tag == "label"

    def handle_data(self, data: str) -> None:
        if self._in_label and data.strip():
            self.labels.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label = False


@dataclass
class Page:
    url: str
    status: int
    body: str
    headers: Any

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path

    def fields(self) -> _Fields:
        f = _Fields()
        f.feed(self.body)
        return f


class Browser:
    """A cookie-keeping client that follows redirects (urllib turns 303 into GET)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        # Sent with every request: e.g. X-Forwarded-For, which uvicorn honours from
        # 127.0.0.1 (a reverse proxy's), to sign in "from" another address.
        self.headers = headers or {}
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.page: Page | None = None

    def _open(self, req: urllib.request.Request) -> Page:
        try:
            with self.opener.open(req, timeout=30) as r:
                self.page = Page(r.geturl(), r.status, r.read().decode(), r.headers)
        except urllib.error.HTTPError as e:
            self.page = Page(e.geturl(), e.code, e.read().decode(), e.headers)
        return self.page

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path, headers=self.headers))

    def post(self, path: str, data: dict[str, str]) -> Page:
        body = urllib.parse.urlencode(data).encode()
        return self._open(
            urllib.request.Request(self.base + path, data=body, method="POST", headers=self.headers)
        )

    def submit(self, path: str, **values: str) -> Page:
        """Post the form of the current page (hidden fields and CSRF token included)."""
        assert self.page is not None
        data = self.page.fields().inputs
        data.update(values)
        return self.post(path, data)

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((c for c in self.jar if c.name == name), None)


def sign_in(b: Browser, account: str, name: str, password: str) -> Page:
    b.get("/signin")
    return b.submit("/signin", account=account, user_name=name, password=password)
