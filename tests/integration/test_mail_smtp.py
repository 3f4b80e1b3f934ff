"""Mail through SMTP with STARTTLS, and the outbox folder, as gatehold/mail.py sends it.

The SMTP server is the outside world, so it is a small fake here: it speaks enough
ESMTP (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA) over a real TLS socket with a
certificate for localhost that the test makes the client trust (SSL_CERT_FILE, read
by the default SSL context as in production)."""

from __future__ import annotations

import base64
import email
import http.client
import re
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gatehold.config import Settings
from gatehold.mail import OutboxSender, SmtpSender, compose, sender_for
from tests.support.clock_server import clock_server


def _localhost_cert(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class FakeSmtp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls: ssl.SSLContext, *, offer_starttls: bool, delay_s: float = 0) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.tls, self.offer_starttls, self.delay_s = tls, offer_starttls, delay_s
        self.received: list[dict[str, Any]] = []


class _Session(socketserver.StreamRequestHandler):
    server: FakeSmtp

    def handle(self) -> None:
        conn: socket.socket = self.request
        tls = False
        got: dict[str, Any] = {"rcpt": []}
        reader = conn.makefile("rb")

        def say(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        say("220 fake ESMTP")
        while True:
            raw = reader.readline()
            if not raw:
                return
            cmd = raw.decode().rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                offers = ["250-fake"]
                if self.server.offer_starttls and not tls:
                    offers.append("250-STARTTLS")
                offers.append("250 AUTH PLAIN")
                say("\r\n".join(offers))
            elif verb == "STARTTLS":
                say("220 go ahead")
                conn = self.server.tls.wrap_socket(conn, server_side=True)
                reader = conn.makefile("rb")
                tls = True
            elif verb == "AUTH":
                _, user, password = base64.b64decode(cmd.split()[2]).split(b"\0")
                got.update(user=user.decode(), password=password.decode(), auth_tls=tls)
                say("235 ok")
            elif verb == "MAIL":
                say("250 ok")
            elif verb == "RCPT":
                got["rcpt"].append(cmd)
                say("250 ok")
            elif verb == "DATA":
                say("354 end with .")
                lines = []
                while (line := reader.readline()) not in (b".\r\n", b""):
                    lines.append(line)
                got.update(data=b"".join(lines), data_tls=tls)
                time.sleep(self.server.delay_s)  # a slow mail server
                self.server.received.append(got)
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 no")


@pytest.fixture
def smtp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[FakeSmtp]:
    cert, key = _localhost_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this test server
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    param = getattr(request, "param", {})
    server = FakeSmtp(
        tls, offer_starttls=param.get("starttls", True), delay_s=param.get("delay_s", 0)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _message() -> Any:
    return compose(
        "gatehold@example.com", "root@example.com", "Reset", "the link", datetime.now(UTC)
    )


def test_smtp_sends_after_starttls_and_logs_in_only_over_tls(
    smtp: FakeSmtp, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        smtp_host="localhost",
        smtp_port=smtp.server_address[1],
        smtp_user="mailer",
        smtp_password="s3cret",
    )
    sender = sender_for(settings)
    assert isinstance(sender, SmtpSender)
    sender.send(_message())
    [got] = smtp.received
    assert (got["user"], got["password"], got["auth_tls"], got["data_tls"]) == (
        "mailer",
        "s3cret",
        True,
        True,
    )
    assert [r.upper() for r in got["rcpt"]] == ["RCPT TO:<ROOT@EXAMPLE.COM>"]
    msg = email.message_from_bytes(got["data"], policy=policy.default)
    assert msg["Subject"] == "Reset" and msg["To"] == "root@example.com"
    assert not (tmp_path / "outbox").exists()  # SMTP configured: nothing in the outbox


@pytest.mark.parametrize("smtp", [{"starttls": False}], indirect=True)
def test_a_server_without_starttls_gets_no_password(smtp: FakeSmtp) -> None:
    sender = SmtpSender("localhost", smtp.server_address[1], "mailer", "s3cret")
    with pytest.raises(Exception, match="STARTTLS"):
        sender.send(_message())
    assert smtp.received == []


def test_the_outbox_holds_one_rfc5322_file_per_message(tmp_path: Path) -> None:
    sender = sender_for(Settings(data_dir=tmp_path))
    assert isinstance(sender, OutboxSender)
    sender.send(_message())
    sender.send(_message())
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)  # the link is a secret
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["From"] == "gatehold@example.com" and msg["Message-ID"] and msg["Date"]
    assert msg.get_body(("plain",)).get_content().strip() == "the link"  # type: ignore[union-attr]


SLOW_SMTP_S = 3.0


@pytest.mark.parametrize("smtp", [{"delay_s": SLOW_SMTP_S}], indirect=True)
def test_forgot_password_answers_before_the_mail_is_sent(
    smtp: FakeSmtp, tmp_path: Path, module_database_url: str | None
) -> None:
    """The answer does not wait for the mail server, not even for the next request on
    the same keep-alive connection: a root address and an unknown one answer alike."""
    with clock_server(
        tmp_path / "gh",
        module_database_url,
        smtp_host="localhost",
        smtp_port=smtp.server_address[1],
    ) as gh:
        conn = http.client.HTTPConnection("127.0.0.1", gh.running.port, timeout=30)
        conn.request("GET", "/signin/forgot")
        first = conn.getresponse()
        page = first.read().decode()
        set_cookie = first.getheader("set-cookie")
        assert set_cookie is not None
        cookie = set_cookie.split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        took = {}
        for email_address in ("root@example.com", "nobody@example.com"):
            t0 = time.monotonic()
            conn.request(
                "POST",
                "/signin/forgot",
                body=urlencode({"csrf_token": token, "root_email": email_address}),
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            resp = conn.getresponse()
            assert resp.status == 200 and b"we sent a link" in resp.read()
            conn.request("GET", "/signin")  # the next request on the same connection
            conn.getresponse().read()
            took[email_address] = time.monotonic() - t0
        conn.close()
        assert max(took.values()) < SLOW_SMTP_S / 2, took
        deadline = time.monotonic() + 10
        while not smtp.received and time.monotonic() < deadline:
            time.sleep(0.05)
        [got] = smtp.received  # the root's mail went out, after the answers
        assert b"/signin/recover?token=" in got["data"]
