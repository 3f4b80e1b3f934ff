"""Root account recovery against a real `gatehold serve`: "Forgot password?" by an emailed
single-use link (read from the outbox folder, the default when no SMTP server is set),
and the operator's `gatehold root reset-mfa` for a lost root MFA device.

The link's expiry and the mail limit need a clock that moves: test_console_sessions_clock.py.
This module's server sends exactly 5 password links, the hourly limit per account
(console/recovery/steps.py, MAX_LINKS_PER_HOUR): a test that sends more belongs in a
module of its own."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.audit_events import records
from tests.support.clock_server import link_in, mail_count, new_mail
from tests.support.console import INCORRECT, add_root_mfa, fresh_code
from tests.support.console_http import Browser, Page
from tests.support.servers import ROOT_PASSWORD, RunningServer, gatehold_command, store_args

ROOT_EMAIL = "root@example.com"
SENT = "If the address belongs to a root user, we sent a link"


@pytest.fixture(scope="module")
def seen() -> set[str]:
    return set()


@pytest.fixture(scope="module")
def root_password() -> list[str]:
    """Root's current password: the tests change it one after another."""
    return [ROOT_PASSWORD]


def browser(server: RunningServer) -> Browser:
    # localhost, as the emailed link says (the server's endpoint)
    return Browser(f"http://localhost:{server.port}")


def root_sign_in(server: RunningServer, password: str) -> Browser:
    b = browser(server)
    b.get("/signin?type=root")
    b.submit("/signin", root_email=ROOT_EMAIL, password=password)
    return b


def forgot(server: RunningServer, email: str) -> Page:
    b = browser(server)
    b.get("/signin?type=root")
    assert b.page is not None and 'href="/signin/forgot">Forgot password?' in b.page.body
    page = b.get("/signin/forgot")
    assert "Root user email" in page.fields().labels
    return b.submit("/signin/forgot", root_email=email)


def outbox(server: RunningServer) -> Any:
    return server.data_dir / "outbox"


def mailed_link(server: RunningServer, seen: set[str]) -> str:
    msg = new_mail(outbox(server), seen)
    assert msg["To"] == ROOT_EMAIL
    assert msg["From"] and msg["Date"] and msg["Message-ID"]
    return link_in(msg)


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_same_answer_for_a_root_email_and_an_unknown_one(
    server: RunningServer, seen: set[str]
) -> None:
    before = mail_count(outbox(server))
    unknown = forgot(server, "nobody@example.com")
    known = forgot(server, ROOT_EMAIL.upper())  # emails match without regard to case
    assert unknown.status == known.status == 200
    assert SENT in unknown.body and SENT in known.body
    assert unknown.body == known.body
    link = mailed_link(server, seen)
    assert link.startswith(f"http://localhost:{server.port}/signin/recover?token=")
    time.sleep(0.3)
    assert mail_count(outbox(server)) == before + 1  # nothing for the unknown address


def test_only_the_tokens_hash_is_stored(server: RunningServer, seen: set[str]) -> None:
    forgot(server, ROOT_EMAIL)
    token = parse_qs(urlsplit(mailed_link(server, seen)).query)["token"][0]
    assert len(token) >= 43  # 256 random bits
    from gatehold.store import schema
    from gatehold.store.db import Store, sqlite_url

    store = Store.open(server.database_url or sqlite_url(server.data_dir))
    try:
        with store.reading() as db:
            rows = [dict(r._mapping) for r in db.execute(schema.recovery_tokens.select())]
    finally:
        store.dispose()
    assert hashlib.sha256(token.encode()).hexdigest() in {r["token_hash"] for r in rows}
    assert not any(token in str(v) for r in rows for v in r.values())


def test_forgot_password_sets_a_new_one_ends_root_sessions_and_the_lockout(
    server: RunningServer, seen: set[str], root_password: list[str]
) -> None:
    signed_in = root_sign_in(server, root_password[0])
    assert signed_in.get("/console").path == "/console"
    for _ in range(5):  # root locked out
        root_sign_in(server, "wrong-password")
    locked = root_sign_in(server, root_password[0]).page
    assert locked is not None and INCORRECT in locked.body

    forgot(server, ROOT_EMAIL)
    path = path_of(mailed_link(server, seen))
    b = browser(server)
    page = b.get(path)
    assert {"New password", "Confirm new password"} <= set(page.fields().labels)
    page = b.submit("/signin/recover", new_password="Rec0very-Pass!", confirm_password="other")
    assert "do not match" in page.body
    page = b.submit("/signin/recover", new_password="short", confirm_password="short")
    assert "at least 8 characters" in page.body
    page = b.submit("/signin/recover", new_password=ROOT_EMAIL, confirm_password=ROOT_EMAIL)
    assert "not the account name or email address" in page.body
    new = "Rec0very-Pass!"
    page = b.submit("/signin/recover", new_password=new, confirm_password=new)
    assert page.status == 200 and "password was changed" in page.body

    assert signed_in.get("/console").path == "/signin"  # the old root session ended
    assert root_sign_in(server, root_password[0]).page.path == "/signin"  # type: ignore[union-attr]
    assert root_sign_in(server, new).page.path == "/console"  # type: ignore[union-attr]  # lock cleared
    root_password[0] = new
    # Single use: the same link again changes nothing.
    again = browser(server)
    assert again.get(path).status == 410
    again.get("/signin/forgot")  # any form: a valid CSRF token, to post the used link's token
    token = parse_qs(urlsplit(path).query)["token"][0]
    page = again.submit(
        "/signin/recover",
        token=token,
        new_password="Another-Pass1!",
        confirm_password="Another-Pass1!",
    )
    assert page.status == 410 and "expired or has already been used" in page.body
    assert root_sign_in(server, new).page.path == "/console"  # type: ignore[union-attr]
    # CloudTrail: the request and the completion, as root's sign-in events.
    for name in ("PasswordRecoveryRequested", "PasswordRecoveryCompleted"):
        (event,) = records(server, "EventName", name)[:1]
        assert event["eventSource"] == "signin.amazonaws.com"
        assert event["userIdentity"]["type"] == "Root"
        assert new not in json.dumps(event) and token not in json.dumps(event)


def test_a_newer_link_used_uses_up_the_older_ones(
    server: RunningServer, seen: set[str], root_password: list[str]
) -> None:
    forgot(server, ROOT_EMAIL)
    older = path_of(mailed_link(server, seen))
    forgot(server, ROOT_EMAIL)
    newer = path_of(mailed_link(server, seen))
    b = browser(server)
    b.get(newer)
    new = "Newer-Link-Pass1!"
    assert (
        "password was changed"
        in b.submit("/signin/recover", new_password=new, confirm_password=new).body
    )
    root_password[0] = new
    assert browser(server).get(older).status == 410


def test_a_forged_token_is_refused(server: RunningServer) -> None:
    b = browser(server)
    assert b.get("/signin/recover?token=" + "A" * 43).status == 410
    assert b.get("/signin/recover").status == 410
    assert b.get("/signin/recover-mfa?token=" + "A" * 43).status == 410


def reset_mfa_cli(server: RunningServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *gatehold_command(),
            "root",
            "reset-mfa",
            *store_args(server.data_dir, server.database_url),
            "--account",
            server.account_id,
            "--console-url",
            f"http://localhost:{server.port}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_lost_root_mfa_operator_link_plus_password(
    server: RunningServer, seen: set[str], root_password: list[str]
) -> None:
    _, otp = add_root_mfa(server)
    # With MFA on, root's password alone leads to the MFA step, not in.
    b = root_sign_in(server, root_password[0])
    assert b.page is not None and b.page.path == "/signin/mfa"
    with_mfa = root_sign_in(server, root_password[0])
    assert with_mfa.submit("/signin/mfa", mfa_code=fresh_code(otp)).path == "/console"

    out = reset_mfa_cli(server)
    assert out.returncode == 0, out.stderr
    assert ROOT_EMAIL in out.stdout
    msg = new_mail(outbox(server), seen)
    path = path_of(link_in(msg))
    assert path.startswith("/signin/recover-mfa?token=")
    # A password link does not open the MFA page, nor the other way round.
    assert browser(server).get(path.replace("recover-mfa", "recover")).status == 410

    page = (wrong := browser(server)).get(path)
    assert "Root user password" in page.fields().labels
    page = wrong.submit("/signin/recover-mfa", password="not-the-password")
    assert page.status == 400 and "used up" in page.body
    # The wrong password used the link up: the right one no longer works with it.
    wrong.get("/signin/forgot")  # any form: a valid CSRF token, to post the link's token
    token = parse_qs(urlsplit(path).query)["token"][0]
    page = wrong.submit("/signin/recover-mfa", token=token, password=root_password[0])
    assert page.status == 400 and "expired or has already been used" in page.body
    assert root_sign_in(server, root_password[0]).page.path == "/signin/mfa"  # type: ignore[union-attr]

    assert reset_mfa_cli(server).returncode == 0
    path = path_of(link_in(new_mail(outbox(server), seen)))
    ok = browser(server)
    ok.get(path)
    page = ok.submit("/signin/recover-mfa", password=root_password[0])
    assert page.status == 200 and "MFA devices were removed" in page.body
    assert with_mfa.get("/console").path == "/signin"  # root sessions ended
    # Password only now: root is asked to set up MFA again on the security page.
    assert root_sign_in(server, root_password[0]).page.path == "/console"  # type: ignore[union-attr]


def test_reset_mfa_for_an_unknown_account_fails(server: RunningServer) -> None:
    out = subprocess.run(
        [
            *gatehold_command(),
            "root",
            "reset-mfa",
            *store_args(server.data_dir, server.database_url),
            "--account-id",
            "999999999999",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1 and "no link sent" in out.stderr
