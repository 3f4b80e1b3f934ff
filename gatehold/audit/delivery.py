"""Delivering trails' log files: a background thread per server process.

Every `trail_delivery_seconds` each logging trail is visited in its own short
write transaction that locks the trail's row (PostgreSQL: FOR UPDATE SKIP LOCKED,
so two workers never deliver the same trail at once; SQLite's write transaction
is exclusive anyway): the records stored after the trail's cursor are read in
`seq` order (segment by segment), the trail's share is written as files, and the
cursor moves on.

Segments with records younger than SETTLE are left for the next round: on
PostgreSQL a transaction that took a lower seq may still be committing, and a
follower that moved past it would never see its records (see audit/follow.py). Files are written
before the cursor's transaction commits, so a crash in between repeats records in
the next file rather than losing them: at-least-once, as CloudTrail documents for
its own files (consumers drop repeats by eventID).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gatehold.audit import follow, log_files
from gatehold.audit.log_files import Record
from gatehold.clock import Clock
from gatehold.store import trails as trails_store
from gatehold.store.audit_rows import text_time
from gatehold.store.db import Store
from gatehold.store.trails import Trail

log = logging.getLogger("gatehold.trails")

SETTLE = timedelta(seconds=5)
BATCH = 5000  # records read per trail per transaction (whole segments: a few more)


@dataclass(frozen=True)
class Delivered:
    trail: str
    files: list[Path]


def _write(root: Path, trail: Trail, region: str, records: list[Record], now: datetime) -> Path:
    key = log_files.object_key(trail, region, now, log_files.unique_suffix())
    path = root / trail.bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(log_files.content(records))
    os.replace(partial, path)  # a file appears whole or not at all
    return path


class Deliverer:
    def __init__(self, store: Store, clock: Clock, root: Path, every_seconds: float) -> None:
        self.store = store
        self.clock = clock
        self.root = root
        self.every = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def deliver_once(self) -> list[Delivered]:
        with self.store.reading() as db:
            keys = trails_store.to_deliver(db, SETTLE)
        return [d for account, name in keys if (d := self._deliver(account, name))]

    def _deliver(self, account_id: str, name: str) -> Delivered | None:
        now = self.clock.now()
        with self.store.transaction() as db:
            trail = trails_store.lock_for_delivery(db, account_id, name)
            if trail is None or not trails_store.needs_delivery(trail, SETTLE):
                return None
            # A stopped trail still delivers what happened before it stopped.
            until = now - SETTLE if trail.logging else trail.stop_logging_at
            assert until is not None
            cursor = trail.cursor
            taken: list[Record] = []
            until_text = text_time(until)
            for seg in follow.segments_after(db, trail.cursor, BATCH):
                if seg.last_time > now - SETTLE:
                    break  # still settling: the cursor never passes it
                cursor = seg.seq
                taken += [
                    record
                    for at, record in seg.records
                    if at <= until_text and log_files.takes(trail, record)
                ]
            if cursor == trail.cursor and trail.logging:
                return None  # nothing settled since the last round
            files: list[Path] = []
            error = None
            try:
                files = self._write_files(trail, taken, now)
            except OSError as exc:
                # As CloudTrail reports a bucket it cannot write to: the cursor
                # stays, the error shows in GetTrailStatus, the next round retries.
                log.warning("delivery of trail %s failed: %s", trail.arn, exc)
                error = str(exc)
            values: dict[str, object] = {"delivery_attempt_at": now, "delivery_error": error}
            if error is None:
                values.update(cursor=cursor, delivered_at=now if files else trail.delivered_at)
            trails_store.update(db, account_id, name, **values)
        return Delivered(name, files) if files else None

    def _write_files(self, trail: Trail, records: list[Record], now: datetime) -> list[Path]:
        bucket = self.root / trail.bucket
        if not bucket.is_dir():
            raise FileNotFoundError(f"the folder {bucket} does not exist")
        return [
            _write(self.root, trail, region, share, now)
            for region, share in log_files.by_region(records).items()
        ]

    # ---- the background thread ----

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="trail-delivery", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.deliver_once()
            except Exception:  # a bad round must not end delivery for good
                log.exception("trail delivery round failed")

    def stop(self) -> None:
        self._stop.set()
