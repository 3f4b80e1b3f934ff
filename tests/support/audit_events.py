"""Reading gatehold's audit log the way a user does: cloudtrail LookupEvents (boto3)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.support.servers import RunningServer

Record = dict[str, Any]


def lookup(
    server: RunningServer, key: str, value: str, keys: tuple[str, str] | None = None, **kw: Any
) -> list[dict[str, Any]]:
    """Every event (LookupEvents' Event shape) with attribute `key` = `value`, all pages."""
    ct = server.client("cloudtrail", keys)
    events: list[dict[str, Any]] = []
    for page in ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **kw
    ):
        events.extend(page["Events"])
    return events


def records(server: RunningServer, key: str, value: str, **kw: Any) -> list[Record]:
    """The CloudTrail records (parsed CloudTrailEvent) of `lookup`, newest first."""
    return [json.loads(e["CloudTrailEvent"]) for e in lookup(server, key, value, **kw)]


def wait_for(
    server: RunningServer,
    key: str,
    value: str,
    match: Callable[[Record], bool] = lambda r: True,
    count: int = 1,
    timeout: float = 10.0,
) -> list[Record]:
    """The records matching `match`, once there are `count` of them: read-only calls
    are stored by a batcher about a second after they were answered."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in records(server, key, value) if match(r)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
