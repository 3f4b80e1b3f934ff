"""Where findings go besides the audit log: a webhook and email, sent by one
background thread per process so a slow receiver never holds up a sign-in.

Sent after the sign-in's transaction commits (the caller hands findings over only
then), at most once; a receiver that is down loses the notice but not the finding,
which stays in the audit log and on the account security page.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gatehold import mail
from gatehold.config import Settings

log = logging.getLogger("gatehold.alarms")

WEBHOOK_TIMEOUT_S = 10

Notice = dict[str, Any]  # a finding's audit record


def post_webhook(url: str, notice: Notice) -> None:
    body = json.dumps(notice).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
        response.read()


def email_body(notice: Notice) -> tuple[str, str]:
    details = notice["serviceEventDetails"]
    subject = f"gatehold alarm: {details['alarm']} in account {notice['recipientAccountId']}"
    body = (
        f"{details['summary']}.\n\n"
        f"Alarm: {details['alarm']}\n"
        f"Account: {notice['recipientAccountId']}\n"
        f"Time: {notice['eventTime']}\n"
        f"Source address: {notice['sourceIPAddress']}\n"
        f"Event ID: {notice['eventID']}\n\n"
        "Review the account's event history and its account security page.\n"
    )
    return subject, body


class Dispatcher:
    """A queue of notices and the daemon thread that sends them."""

    def __init__(self, senders: list[Callable[[Notice], None]]) -> None:
        self._senders = senders
        self._queue: queue.Queue[Notice] = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, notices: list[Notice]) -> None:
        if not self._senders or not notices:
            return
        self._start()
        for notice in notices:
            try:
                self._queue.put_nowait(notice)
            except queue.Full:  # a flood: the audit log still has every finding
                log.warning("alarm queue full; notice %s not sent", notice["eventID"])

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="alarm-sinks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            notice = self._queue.get()
            for sender in self._senders:
                try:
                    sender(notice)
                except Exception:  # one receiver down must not stop the others
                    log.exception("sending alarm %s failed", notice["eventID"])
            self._queue.task_done()

    def drain(self, timeout: float = 5.0) -> None:
        """Wait for queued notices (clean shutdown, tests)."""
        if self._thread is None:
            return
        done = threading.Event()

        def wait_for_queue() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait_for_queue, daemon=True).start()
        done.wait(timeout)


def dispatcher_for(settings: Settings) -> Dispatcher:
    senders: list[Callable[[Notice], None]] = []
    if settings.alarm_webhook_url:
        url = settings.alarm_webhook_url
        senders.append(lambda notice: post_webhook(url, notice))
    if settings.alarm_email_to:
        to, sender = settings.alarm_email_to, mail.sender_for(settings)

        def send_mail(notice: Notice) -> None:
            subject, body = email_body(notice)
            sender.send(mail.compose(settings.smtp_from, to, subject, body, datetime.now(UTC)))

        senders.append(send_mail)
    return Dispatcher(senders)
