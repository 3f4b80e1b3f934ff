"""gatehold in this process with a clock the test moves: `gatehold init` as users run it,
then create_app(settings, clock=FakeClock) served by uvicorn in a thread on 127.0.0.1,
with uvicorn's defaults as `gatehold serve` has them (proxy headers honoured from
127.0.0.1). The clock is the outside world: the only fake.

The API checks SigV4 dates against the same clock, so boto3 (which signs with the real
time) works only while the clock is near the real time: call `resync()` before using
the API after moving the clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn

from gatehold.app import GateholdApp, create_app
from gatehold.clock import FakeClock
from gatehold.config import Settings
from tests.support.servers import RunningServer, free_port, run_init


@dataclass
class ClockServer:
    running: RunningServer  # endpoint, port, account, admin keys, client()
    clock: FakeClock
    app: GateholdApp
    settings: Settings
    seen_mail: set[str] = field(default_factory=set)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.running.port}"

    def resync(self) -> None:
        """Back to the real time (for the API's signature check); never backwards
        past anything a test still relies on: each test starts with this."""
        self.clock.set(datetime.now(UTC))

    def advance(self, *, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        self.clock.advance(minutes * 60 + hours * 3600 + days * 86400)


def outbox(settings: Settings) -> Path:
    return settings.data_dir / "outbox"


def new_mail(folder: Path, seen: set[str], timeout: float = 5.0) -> EmailMessage:
    """The next message written to the outbox folder (the mail is sent after the page
    answered, so it may take a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = (
            sorted(p for p in folder.glob("*.eml") if p.name not in seen) if folder.exists() else []
        )
        if fresh:
            seen.add(fresh[0].name)
            msg = message_from_bytes(fresh[0].read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            return msg
        time.sleep(0.02)
    raise AssertionError(f"no new message in {folder} within {timeout}s")


def mail_count(folder: Path) -> int:
    return len(list(folder.glob("*.eml"))) if folder.exists() else 0


def link_in(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return next(w for w in text.split() if w.startswith("http"))


@contextmanager
def clock_server(
    data_dir: Path, database_url: str | None, **settings: Any
) -> Iterator[ClockServer]:
    init = run_init(data_dir, database_url)
    port = free_port()
    conf = Settings(data_dir=data_dir, database_url=database_url, port=port, **settings)
    clock = FakeClock(datetime.now(UTC))
    app = create_app(conf, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="gatehold-clock-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the in-process gatehold did not start")
        time.sleep(0.02)
    running = RunningServer(
        f"http://127.0.0.1:{port}", port, data_dir, database_url, init, data_dir / "none.log"
    )
    try:
        yield ClockServer(running, clock, app, conf)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        app.api.store.dispose()
