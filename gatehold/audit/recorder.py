"""Recording: when and in which transaction a record is stored.

Two paths (README, "Audit log"):

- `write(db, ...)` / `api_call_now(db, call)`: inside the caller's transaction.
  Every call that changes something records this way, in the same write
  transaction as the change, so there is never a change without its record nor a
  record of a change that rolled back. Sign-in steps do the same.
- `later(call)`: read-only calls (and their failures) are queued to a per-process
  batcher thread that builds the records (the JSON work is off the request path)
  and stores them every `interval` seconds or `batch` records, in one
  transaction. The queue is flushed on clean shutdown (`close()`, from the app's
  lifespan shutdown and atexit). A crash loses at most the queued records of
  the last interval; no change is ever lost, since changes never take this path.

The batcher also prunes records older than the retention, at most once an hour.

One Recorder per store per process: `attach(store, recorder)` at startup (app.py),
`recorder_for(store)` where only the store is at hand (the console's steps, the
operator CLI). A store with none attached gets a synchronous recorder: `later`
then writes at once in its own transaction.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from gatehold.audit import log, records
from gatehold.audit.records import ApiCall, Record
from gatehold.clock import Clock, SystemClock
from gatehold.store.db import Store

_log = logging.getLogger("gatehold.audit")

# What one queued item is: a call to build a record of, or a record ready-made
# (with its LookupEvents resources).
_Item = ApiCall | tuple[Record, Sequence[tuple[str, str]] | None]

_PRUNE_EVERY = 3600.0


class Recorder:
    def __init__(
        self,
        store: Store,
        *,
        enabled: bool = True,
        retention_days: int = 90,
        clock: Clock | None = None,
        interval: float = 1.0,
        batch: int = 500,
        background: bool = True,
    ) -> None:
        self.store = store
        self.enabled = enabled
        self.retention_days = retention_days
        self.clock = clock or SystemClock()
        self.interval = interval
        self.batch = batch
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        # The batcher sleeps on this between rounds; set early only by a full batch
        # or by close(). Never a wake-up per queued item: waking a thread on every
        # request (a blocking queue.get) cost more CPU than building the records.
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._last_prune = 0.0
        self._lock = threading.Lock()
        if enabled and background:
            self._thread = threading.Thread(target=self._run, name="gatehold-audit", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    # ---- in the caller's transaction --------------------------------------------

    def write(
        self,
        db: Connection,
        recs: Sequence[Record],
        resources: Sequence[Sequence[tuple[str, str]]] | None = None,
        times: Sequence[datetime | None] | None = None,
    ) -> None:
        """Store ready-made records in the caller's transaction."""
        if self.enabled:
            log.append(db, recs, resources, times)

    def api_call_now(self, db: Connection, call: ApiCall) -> None:
        """Record `call` in the caller's transaction (the one that made its change)."""
        if self.enabled:
            res = _resources(call)
            log.append(db, [records.api_call(call, resources=res)], [res], [call.ctx.now])

    # ---- batched -------------------------------------------------------------------

    def later(self, call: ApiCall) -> None:
        """Queue the record of a read-only (or failed) call: cheap, never blocks."""
        if not self.enabled:
            return
        if self._thread is None or self._closed:
            with self.store.transaction() as db:
                self.api_call_now(db, call)
            return
        self._queue.put(call)
        if self._queue.qsize() >= self.batch:
            self._wake.set()

    def later_record(self, record: Record, resources: Sequence[tuple[str, str]] | None = None) -> None:
        if not self.enabled:
            return
        if self._thread is None or self._closed:
            with self.store.transaction() as db:
                log.append(db, [record], [resources or ()])
            return
        self._queue.put((record, resources))
        if self._queue.qsize() >= self.batch:
            self._wake.set()

    def flush(self) -> None:
        """Store everything queued so far (tests, shutdown)."""
        self._drain()

    def close(self) -> None:
        """Flush and stop the batcher (idempotent): clean shutdown."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._wake.set()
            self._thread.join(timeout=30)
        self._drain()  # whatever came in meanwhile

    # ---- the batcher thread ------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            stopping = self._closed
            try:
                self._drain()
                self._maybe_prune()
            except Exception:  # noqa: BLE001 - the batcher must outlive a failed flush: log, go on
                _log.exception("audit batcher failed")
            if stopping:
                return

    def _drain(self) -> None:
        """Store everything queued, `batch` items per transaction."""
        while True:
            items: list[_Item] = []
            try:
                while len(items) < self.batch:
                    items.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            if items:
                self._store(items)
            if len(items) < self.batch:
                return

    def _store(self, items: list[_Item]) -> None:
        recs: list[Record] = []
        res: list[Sequence[tuple[str, str]]] = []
        times: list[datetime | None] = []
        for item in items:
            if isinstance(item, ApiCall):
                found = _resources(item)
                recs.append(records.api_call(item, resources=found))
                res.append(found)
                times.append(item.ctx.now)
            else:
                recs.append(item[0])
                res.append(item[1] or ())
                times.append(None)
        prepared, pairs = log.rows(recs, res, times)  # JSON work outside the transaction
        with self.store.transaction() as db:
            log.append_rows(db, prepared, pairs)

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = now
        self.prune(self.clock.now())

    def prune(self, now: datetime) -> int:
        """Delete records older than the retention; returns how many went."""
        cutoff = log.retention_cutoff(now, self.retention_days)
        total = 0
        while True:
            with self.store.transaction() as db:
                gone = log.prune(db, cutoff)
            total += gone
            if gone == 0:
                return total


def _resources(call: ApiCall) -> list[tuple[str, str]]:
    return records.resources_of(call.ctx.operation, call.params, call.facts)


# ---- one recorder per store per process ---------------------------------------------

_ATTACHED: weakref.WeakKeyDictionary[Store, Recorder] = weakref.WeakKeyDictionary()


def attach(store: Store, recorder: Recorder) -> None:
    _ATTACHED[store] = recorder


def recorder_for(store: Store) -> Recorder:
    found = _ATTACHED.get(store)
    if found is None:
        found = Recorder(store, background=False)
        _ATTACHED[store] = found
    return found
