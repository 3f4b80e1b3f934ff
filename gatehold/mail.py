"""Sending mail: through an SMTP server when one is configured, else to a local outbox.

The outbox (`<data_dir>/outbox/<timestamp>-<id>.eml`) keeps gatehold usable offline:
each message is one RFC 5322 file, as the `email` package writes it, that any mail
client opens (and tests read). A file appears whole or not at all (written under a
temporary name, then renamed).

SMTP: Settings.smtp_host/port/user/password/from. The connection is upgraded with
STARTTLS (certificate checked against the system's CAs) before any credential or
message is sent; a server that does not offer STARTTLS is refused rather than sent
a password in clear.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from gatehold.config import Settings

SMTP_TIMEOUT_S = 30


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def compose(sender: str, to: str, subject: str, body: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(body)
    return message


class OutboxSender:
    """Writes each message to a folder instead of sending it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Local time, as an aware datetime (the name carries no zone).
        stamp = datetime.now().astimezone().strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{secrets.token_hex(6)}.eml"
        partial = self.folder / f".{name}.partial"
        # 0600: the message carries a live recovery link.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(message.as_bytes())
        partial.rename(self.folder / name)


class SmtpSender:
    def __init__(self, host: str, port: int, user: str | None, password: str | None) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(f"{self.host} does not offer STARTTLS")
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def outbox_folder(settings: Settings) -> Path:
    return settings.data_dir / "outbox"


def sender_for(settings: Settings) -> Sender:
    if settings.smtp_host:
        return SmtpSender(
            settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_password
        )
    return OutboxSender(outbox_folder(settings))
