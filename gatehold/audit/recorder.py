"""Recording: when and in which transaction a record is stored.

Two paths (README, "Audit log"):

- `write(db, ...)` / `api_call_now(db, call)`: inside the caller's transaction.
  Every call that changes something records this way, in the same write
  transaction as the change, so there is never a change without its record nor a
  record of a change that rolled back. Sign-in steps do the same.
- `later(call)`: read-only calls (and their failures) are queued to a
  per-process batcher thread, which builds their records and stores them every
  `interval` seconds or `batch` records, in one transaction (log.insert: one
  segment per account). The queue is flushed on clean shutdown (`close()`, from
  the app's lifespan shutdown and atexit). A crash loses at most the queued
  records of the last interval; no change is ever lost, since changes never take
  this path.

What it costs, and why it is built this way (bench/audit_cost.py; the figures and
the experiments are in bench/README.md): the batcher shares the GIL and the
machine's two cores with the threads serving requests, so how it works matters as
much as how much.
- A call that repeats one seen before (call_rows.py: same caller, address, client
  and request) is queued as its template plus its time and request ID: a dict
  lookup on the request path. The batcher makes its record by joining the
  template's pieces, a fraction of the cost of building its dicts; other calls
  are queued as their facts and built in full.
- A batch is stored as one segment: two statements, whatever its size. Each
  statement lets go of the GIL, and each time a waiting thread takes it over.
- It stores only full batches while requests keep coming, so it never chases the
  queue with commits of a few rows (several times the recording's CPU); and a
  batch is up to BATCH records, so it runs about once a second.
- It never lets go of the GIL on purpose between records (no sleep(0) so that
  requests can run): each hand-off costs the request threads more CPU than the
  batcher's own work.
Records are built in the batcher: building them on the request's own path is no
cheaper in the server.

The batcher also prunes records older than the retention, at most once an hour.

One Recorder per store per process: `attach(store, recorder)` at startup (app.py),
`recorder_for(store)` where only the store is at hand (the console's steps, the
operator CLI). A store with none attached gets a synchronous recorder: `later`
then writes at once in its own transaction.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from gatehold.audit import call_rows, log
from gatehold.audit.call_rows import CallRows, Template
from gatehold.audit.records import ApiCall, Record
from gatehold.clock import Clock, SystemClock
from gatehold.store import audit_segments
from gatehold.store.audit_rows import Row
from gatehold.store.db import Store

_log = logging.getLogger("gatehold.audit")

# What one queued item is: a call whose record the batcher is to build; a repeat
# of a call with a template (the template, the call's time and request ID); or a
# row made already.
_Repeat = tuple[Template, datetime, str]
_Item = ApiCall | _Repeat | Row


_PRUNE_EVERY = 3600.0
# Records per stored batch at most. Large, so that the batcher runs about once per
# `interval` rather than whenever a few hundred records piled up: each of its runs
# costs the request threads beside it more than its size does (bench/README.md,
# audit_cost.py, compares batch sizes).
BATCH = 2000


class Recorder:
    def __init__(
        self,
        store: Store,
        *,
        enabled: bool = True,
        retention_days: int = 90,
        clock: Clock | None = None,
        interval: float = 1.0,
        batch: int = BATCH,
        background: bool = True,
    ) -> None:
        self.store = store
        self.enabled = enabled
        self.retention_days = retention_days
        self.clock = clock or SystemClock()
        self.interval = interval
        self.batch = batch
        # What the batcher is to store (_Item): a call's facts, a repeat of a
        # templated call, or a row made already. deque: append and popleft are atomic, so
        # request threads and the batcher need no lock.
        self._queue: deque[_Item] = deque()
        # The batcher sleeps on this between rounds; set early only by a full batch
        # or by close(). Never a wake-up per queued item: waking a thread on every
        # request (a blocking queue.get) cost more CPU than storing the records.
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._last_prune = 0.0
        self._lock = threading.Lock()
        self._rows = CallRows()
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
            row = call_rows.built(call)
            if row is not None:
                log.insert(db, [row])

    # ---- batched -------------------------------------------------------------------

    def later(self, call: ApiCall) -> None:
        """Queue the record of a read-only (or failed) call: cheap, never blocks. A
        call that repeats one seen before (call_rows.py) is queued as its template,
        time and request ID, for the batcher to fill in; any other as its facts,
        for the batcher to build (and make the template of)."""
        if self.enabled:
            template = self._rows.template(call)
            self._enqueue(
                call if template is None else (template, call.ctx.now, call.ctx.request_id)
            )

    def later_record(
        self, record: Record, resources: Sequence[tuple[str, str]] | None = None
    ) -> None:
        """Queue a record made already (with its LookupEvents resources)."""
        if self.enabled:
            row = log.row(record, resources or ())
            if row is not None:
                self._enqueue(row)

    def _enqueue(self, item: _Item) -> None:
        if self._thread is None or self._closed:
            with self.store.transaction() as db:
                log.insert(db, self._rows_of([item]))
            return
        self._queue.append(item)
        if len(self._queue) >= self.batch:
            self._wake.set()

    def flush(self) -> None:
        """Store everything queued so far (tests, shutdown)."""
        self._drain(everything=True)

    def close(self) -> None:
        """Flush and stop the batcher (idempotent): clean shutdown."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._wake.set()
            self._thread.join(timeout=30)
        self._drain(everything=True)  # whatever came in meanwhile

    # ---- the batcher thread ------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            stopping = self._closed
            try:
                self._drain(everything=stopping)
                self._maybe_prune()
            except Exception:  # the batcher must outlive a failed flush: log, go on
                _log.exception("audit batcher failed")
            if stopping:
                return

    def _drain(self, *, everything: bool = False) -> None:
        """Build and store what is queued, `batch` records per transaction. In the
        batcher's rounds, records that arrive meanwhile wait for the next round
        unless a full batch is waiting (see the module's note); `everything`:
        until the queue is empty."""
        while True:
            items: list[_Item] = []
            try:
                while len(items) < self.batch:
                    items.append(self._queue.popleft())
            except IndexError:
                pass
            rows = self._rows_of(items)
            if rows:
                with self.store.transaction() as db:
                    log.insert(db, rows)
            if not self._queue or (not everything and len(self._queue) < self.batch):
                return

    def _rows_of(self, items: Sequence[_Item]) -> list[Row]:
        out: list[Row] = []
        for item in items:
            if isinstance(item, ApiCall):
                row = self._rows.row(item)
                if row is not None:
                    out.append(row)
            elif isinstance(item[0], Template):  # a repeat: (template, time, request ID)
                out.append(item[0].fill(item[1], item[2]))
            else:
                out.append(item)
        return out

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
                gone = audit_segments.prune(db, cutoff)
            total += gone
            if gone == 0:
                return total


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
