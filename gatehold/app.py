"""create_app(settings): the ASGI application serving every surface on one port.

The AWS API is a plain ASGI handler (it needs no routing framework: every call is
`POST /` or a REST path, dispatched by the protocol layer); the human surfaces
(console, portal, SCIM) are Starlette routes and get whatever does not belong to
the API.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from gatehold import ids, workload
from gatehold.api import AwsApi, Peer
from gatehold.audit.alarms.service import Alarms
from gatehold.audit.delivery import Deliverer
from gatehold.audit.recorder import Recorder
from gatehold.audit.recorder import attach as attach_recorder
from gatehold.auth.sigv4 import HttpRequest
from gatehold.authz.enforcer import PolicyEnforcer
from gatehold.clock import Clock, SystemClock
from gatehold.config import Settings
from gatehold.console.routes import console_routes
from gatehold.errors import AwsError
from gatehold.protocol import operation_hint, serialize_error
from gatehold.services.registry import is_cheap_read
from gatehold.services.runner import Runner
from gatehold.store import meta
from gatehold.store.db import Store
from gatehold.store.migrations import LATEST, current_version
from gatehold.store.secretbox import SecretBox, load_or_create_key

# Paths served to people, not to SDKs. Everything else is the AWS API.
HUMAN_PREFIXES = ("/console", "/signin", "/static", "/portal", "/scim", "/healthz", "/workload")

# The largest body the API reads: far above any IAM/STS request (a policy document
# is at most a few KiB), small enough that a flood of huge bodies cannot exhaust memory.
MAX_BODY_BYTES = 1 << 20

SETTINGS_ENV = "GATEHOLD_SETTINGS_JSON"


class StoreNotReady(Exception):
    """The store is missing, not initialized, or sealed with another key."""


def open_store(settings: Settings) -> tuple[Store, SecretBox]:
    store = Store.open(settings.store_url)
    try:
        key = load_or_create_key(settings.data_dir, create=False)
    except FileNotFoundError as exc:
        raise StoreNotReady(f"{exc}; run `gatehold init` first") from exc
    box = SecretBox(key)
    with store.reading() as db:
        version = current_version(db)
        if version == 0 or not meta.is_initialized(db):
            raise StoreNotReady("the store is not initialized; run `gatehold init` first")
        if version < LATEST:
            raise StoreNotReady("the store needs migrating; run `gatehold migrate`")
        if not meta.key_matches(db, box):
            raise StoreNotReady("the master key does not open this store (wrong key?)")
    return store, box


class GateholdApp:
    def __init__(self, api: AwsApi, human: Starlette, deliverer: Deliverer | None = None) -> None:
        self.api = api
        self.human = human
        self.inline_reads = api.store.is_sqlite
        # Trails' log files (audit/delivery.py): a background thread per worker.
        self.deliverer = deliverer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.human(scope, self._flushing_at_shutdown(receive), send)
            return
        if scope["type"] != "http" or scope["path"].startswith(HUMAN_PREFIXES):
            await self.human(scope, receive, send)
            return
        body = await _read_body(receive, MAX_BODY_BYTES)
        req = HttpRequest(
            method=scope["method"],
            # Path and query as UTF-8 that keeps any invalid byte (surrogateescape), so
            # the signature is checked over exactly the bytes the client signed.
            raw_path=scope.get("raw_path", scope["path"].encode()).decode(
                "utf-8", "surrogateescape"
            ),
            raw_query=scope.get("query_string", b"").decode("utf-8", "surrogateescape"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=body or b"",
        )
        client = scope.get("client")
        peer = Peer(source_ip=client[0] if client else "", secure=scope.get("scheme") == "https")
        if body is None:
            err = AwsError("RequestEntityTooLarge", "Request body is too large", 413)
            resp = serialize_error(req, err, ids.new_request_id())
        else:
            resp = None
            hint = operation_hint(req)
            if self.inline_reads and hint is not None and is_cheap_read(hint):
                # A point read on SQLite costs less than handing it to a thread
                # (bench/README.md): answer it on the event loop. The
                # hint only pre-selects; handle() checks the routed operation itself
                # and declines (None) anything that would write.
                resp = self.api.handle(req, peer, inline=True)
            if resp is None:
                # Everything else may wait on the database (a write lock, a network
                # round trip to PostgreSQL, password hashing): keep it off the loop.
                resp = await anyio.to_thread.run_sync(self.api.handle, req, peer)
        assert resp is not None  # handle() declines only when asked to run inline
        await send(
            {
                "type": "http.response.start",
                "status": resp.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers],
            }
        )
        await send({"type": "http.response.body", "body": resp.body})

    def _flushing_at_shutdown(self, receive: Receive) -> Receive:
        """`receive`, but the trails' delivery starts with the lifespan startup, and
        stops and the audit's batched records are stored before the lifespan shutdown
        message is passed on: a clean shutdown loses no record."""

        async def wrapped() -> Any:
            message = await receive()
            if message.get("type") == "lifespan.startup" and self.deliverer is not None:
                self.deliverer.start()  # started with the server, stopped with it
            if message.get("type") == "lifespan.shutdown":
                if self.deliverer is not None:
                    self.deliverer.stop()
                await anyio.to_thread.run_sync(self.api.runner.recorder.close)
            return message

        return wrapped


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when it is larger than `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def create_app(settings: Settings, *, clock: Clock | None = None) -> GateholdApp:
    store, box = open_store(settings)
    # One audit recorder per worker process: its batcher is flushed at shutdown.
    recorder = Recorder(
        store,
        enabled=settings.audit_enabled,
        retention_days=settings.audit_retention_days,
        clock=clock,
    )
    attach_recorder(store, recorder)
    # One per worker process too: its sinks' thread sends findings after commit.
    alarms = Alarms.from_settings(settings)
    # The one runner of operations (services/runner.py), for the API and the console.
    runner = Runner(store, box, PolicyEnforcer(), settings, recorder)
    api = AwsApi(runner, clock or SystemClock(), alarms=alarms)
    # The human surfaces: the console, and the workload credentials endpoint.
    human = Starlette(
        routes=console_routes(settings, runner, api.clock, alarms) + workload.routes(box, api.clock)
    )
    deliverer = Deliverer(store, api.clock, settings.trails_folder, settings.trail_delivery_seconds)
    return GateholdApp(api, human, deliverer)


def settings_to_env(settings: Settings) -> str:
    """Every setting, for the worker processes uvicorn starts (each builds its app)."""
    data: dict[str, Any] = dataclasses.asdict(settings)
    data["data_dir"] = str(settings.data_dir)
    return json.dumps(data)


def app_from_env() -> GateholdApp:
    """uvicorn's factory for `gatehold serve` (each worker process builds its own app)."""
    from pathlib import Path

    data = json.loads(os.environ[SETTINGS_ENV])
    data["data_dir"] = Path(data["data_dir"])
    return create_app(Settings(**data))
