"""Console sessions proven with a clock the test moves: gatehold runs in this process
(uvicorn in a thread, create_app(settings, clock=FakeClock)) and is driven over HTTP
as a browser without JavaScript would drive it.

Idle and absolute timeouts, sign-out everywhere, a recovery link's expiry, the lockout
cooldown, the recovery mail limit; cookies, security headers and no-store; CSRF refusal
on every POST route the console has; argon2id parameters of a stored hash."""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Mount, Route

from tests.support.clock_server import ClockServer, clock_server, link_in, mail_count, new_mail
from tests.support.clock_server import outbox as outbox_of
from tests.support.console import INCORRECT, PASSWORD, make_user
from tests.support.console_http import Browser, Page
from tests.support.servers import ROOT_PASSWORD

ROOT_EMAIL = "root@example.com"  # what tests/support/servers.run_init gives `gatehold init`


@pytest.fixture(scope="module")
def gh(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[ClockServer]:
    with clock_server(tmp_path_factory.mktemp("gatehold-clock"), module_database_url) as s:
        yield s


@pytest.fixture
def fresh(gh: ClockServer) -> ClockServer:
    gh.resync()
    return gh


def browser(gh: ClockServer) -> Browser:
    return Browser(gh.base)


def sign_in(gh: ClockServer, name: str, password: str = PASSWORD) -> Browser:
    b = browser(gh)
    b.get("/signin")
    b.submit("/signin", account=gh.running.account_id, user_name=name, password=password)
    return b


def root_sign_in(gh: ClockServer, password: str = ROOT_PASSWORD) -> Page:
    b = browser(gh)
    b.get("/signin?type=root")
    return b.submit("/signin", root_email=ROOT_EMAIL, password=password)


# ---- timeouts ----------------------------------------------------------------------


def test_idle_timeout_ends_a_session(fresh: ClockServer) -> None:
    name = make_user(fresh.running)
    b = sign_in(fresh, name)
    assert b.page is not None and b.page.path == "/console"
    fresh.advance(minutes=29)
    assert b.get("/console").path == "/console"  # in use: the idle clock starts over
    fresh.advance(minutes=29)
    assert b.get("/console").path == "/console"
    fresh.advance(minutes=31)  # past the 30-minute idle limit
    page = b.get("/console")
    assert page.path == "/signin"
    # Gone on the server, not only refused: going back in time does not revive it.
    fresh.clock.advance(-31 * 60)
    assert b.get("/console").path == "/signin"


def test_absolute_timeout_ends_an_active_session(fresh: ClockServer) -> None:
    name = make_user(fresh.running)
    b = sign_in(fresh, name)
    # Active all along (a page every 20 minutes), for just under 12 hours: still in.
    for _ in range(35):
        fresh.advance(minutes=20)
        assert b.get("/console").path == "/console"
    fresh.advance(minutes=20)  # 12 h after sign-in
    assert b.get("/console").path == "/signin"


def test_sign_out_everywhere_ends_the_other_sessions(fresh: ClockServer) -> None:
    name = make_user(fresh.running)
    laptop, phone = sign_in(fresh, name), sign_in(fresh, name)
    other_user = sign_in(fresh, make_user(fresh.running))
    laptop.submit("/console/signout", everywhere="1")
    assert laptop.get("/console").path == "/signin"
    assert phone.get("/console").path == "/signin"
    assert other_user.get("/console").path == "/console"  # only that user's sessions


# ---- lockout cooldown ------------------------------------------------------------------


def test_lockout_cooldown_passes_with_time(fresh: ClockServer) -> None:
    name = make_user(fresh.running)
    for _ in range(5):
        assert INCORRECT in sign_in(fresh, name, "wrong").page.body  # type: ignore[union-attr]
    page = sign_in(fresh, name).page  # the right password, while locked
    assert page is not None and page.path == "/signin" and INCORRECT in page.body
    fresh.advance(minutes=14)
    page = sign_in(fresh, name).page
    assert page is not None and page.path == "/signin"
    fresh.advance(minutes=2)  # 16 minutes: the 15-minute lock is over
    page = sign_in(fresh, name).page
    assert page is not None and page.path == "/console"


# ---- recovery links ----------------------------------------------------------------------


def forgot(gh: ClockServer, email: str = ROOT_EMAIL) -> Page:
    b = browser(gh)
    b.get("/signin/forgot")
    return b.submit("/signin/forgot", root_email=email)


def test_a_recovery_link_expires_after_an_hour(fresh: ClockServer) -> None:
    fresh.advance(hours=2)  # out of the mail limit's window of earlier tests
    forgot(fresh)
    link = link_in(new_mail(outbox_of(fresh.settings), fresh.seen_mail))
    path = link.split("localhost:" + str(fresh.running.port), 1)[1]
    fresh.advance(minutes=59)
    b = browser(fresh)
    page = b.get(path)
    assert page.status == 200 and "New password" in page.fields().labels
    fresh.advance(minutes=2)  # 61 minutes after it was sent
    page = b.submit(
        "/signin/recover", new_password="Expired-Link-1!", confirm_password="Expired-Link-1!"
    )
    assert page.status == 410 and "expired" in page.body
    assert b.get(path).status == 410
    # The password did not change.
    assert root_sign_in(fresh, "Expired-Link-1!").path == "/signin"


def _status_text(page: Page) -> str:
    found = re.search(r'<p role="status">(.*?)</p>', page.body)
    assert found is not None, page.body
    return found.group(1)


def test_recovery_mail_is_limited_per_hour_with_the_same_answer(fresh: ClockServer) -> None:
    fresh.advance(hours=5)  # a window of its own
    folder = outbox_of(fresh.settings)
    for _ in range(5):
        page = forgot(fresh)
        new_mail(folder, fresh.seen_mail)
    before = mail_count(folder)
    limited = forgot(fresh)
    # The same answer: the limit says nothing about the address either.
    assert (limited.status, _status_text(limited)) == (page.status, _status_text(page))
    time.sleep(0.5)  # the mail would be written right after the answer
    assert mail_count(folder) == before
    fresh.advance(minutes=61)
    forgot(fresh)
    new_mail(folder, fresh.seen_mail)


# ---- cookies, headers, CSRF -------------------------------------------------------------


def _raw(gh: ClockServer, method: str, path: str, headers: dict[str, str], body: str = "") -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", gh.running.port, timeout=30)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def _signin_cookies(gh: ClockServer, headers: dict[str, str]) -> list[str]:
    """The Set-Cookie headers of a root sign-in made with raw requests."""
    first = _raw(gh, "GET", "/signin?type=root", headers)
    csrf_cookie = first.getheader("set-cookie").split(";", 1)[0]
    b = browser(gh)  # only to read the token the page carries for that cookie
    b.opener.addheaders = [("Cookie", csrf_cookie)]
    token = b.get("/signin?type=root").fields().inputs["csrf_token"]
    body = f"csrf_token={token}&signin_type=root&root_email={ROOT_EMAIL}&password={ROOT_PASSWORD}"
    resp = _raw(
        gh,
        "POST",
        "/signin",
        {**headers, "Cookie": csrf_cookie, "Content-Type": "application/x-www-form-urlencoded"},
        body.replace("@", "%40"),
    )
    assert resp.status == 303 and resp.getheader("location") == "/console"
    return [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]


def test_session_cookie_flags_plain_http_and_behind_a_tls_proxy(fresh: ClockServer) -> None:
    plain = _signin_cookies(fresh, {})
    session = next(c for c in plain if c.startswith("gatehold_session="))
    flags = {f.strip().lower() for f in session.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags  # plain http: a Secure cookie would never come back
    # Behind a TLS-terminating proxy on 127.0.0.1 (uvicorn honours X-Forwarded-Proto
    # from there, as `gatehold serve` does): Secure.
    proxied = _signin_cookies(fresh, {"X-Forwarded-Proto": "https"})
    session = next(c for c in proxied if c.startswith("gatehold_session="))
    flags = {f.strip().lower() for f in session.split(";")[1:]}
    assert {"httponly", "samesite=lax", "secure"} <= flags


@pytest.mark.parametrize(
    "path",
    [
        "/signin",
        "/signin?type=root",
        "/signin/forgot",
        "/signin/recover?token=x",
        "/console/security",
    ],
)
def test_security_headers_and_no_store(fresh: ClockServer, path: str) -> None:
    b = browser(fresh)
    if path.startswith("/console"):
        b.get("/signin?type=root")
        b.submit("/signin", root_email=ROOT_EMAIL, password=ROOT_PASSWORD)
    page = b.get(path)
    h = page.headers
    assert h["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert "default-src 'none'" in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"  # recovery tokens never leak in a Referer


def _post_routes(routes: list[Any], prefix: str = "") -> Iterator[str]:
    for r in routes:
        if isinstance(r, Mount):
            yield from _post_routes(list(r.routes), prefix + r.path)
        elif isinstance(r, Route) and r.methods and "POST" in r.methods:
            yield prefix + r.path


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "csrf-probe", path)


def test_every_console_post_route_refuses_a_missing_csrf_token(fresh: ClockServer) -> None:
    b = browser(fresh)
    b.get("/signin?type=root")
    assert b.submit("/signin", root_email=ROOT_EMAIL, password=ROOT_PASSWORD).path == "/console"
    paths = sorted(
        {
            _concrete(p)
            for p in _post_routes(list(fresh.app.human.routes))
            if p.startswith(("/console", "/signin"))
        }
    )
    assert {"/signin", "/console/signout", "/signin/forgot", "/signin/recover"} <= set(paths)
    refused = {}
    for path in paths:
        # Signed in, with the CSRF cookie, a plausible form: only the token is missing.
        page = b.post(
            path, {"password": "x", "root_email": ROOT_EMAIL, "token": "x", "everywhere": "1"}
        )
        refused[path] = page.status
    assert refused == dict.fromkeys(paths, 403)
    # Nothing happened: still signed in (the sign-out without a token was refused).
    assert b.get("/console").path == "/console"


# ---- password hashing ----------------------------------------------------------------------


def test_stored_password_hashes_use_owasp_argon2id_parameters(fresh: ClockServer) -> None:
    from gatehold.store import accounts
    from gatehold.store.db import Store

    store = Store.open(fresh.settings.store_url)
    try:
        with store.reading() as db:
            account = accounts.get(db, fresh.running.account_id)
    finally:
        store.dispose()
    assert account is not None
    # OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1.
    assert account.root_password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
