"""The account security page's "Recent alarms": findings of gatehold/audit/alarms, read back
from the audit log with LookupEvents as the signed-in principal (so
cloudtrail:LookupEvents decides who sees them, as for the event history)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from gatehold import errors
from gatehold.audit.alarms.findings import EVENT_NAME
from gatehold.console.actions import Peer, invoke
from gatehold.console.core import Console
from gatehold.store import console_sessions

SHOWN = 20


@dataclass(frozen=True)
class Alarm:
    at: datetime
    kind: str
    summary: str
    source_ip: str
    event_id: str


@dataclass(frozen=True)
class RecentAlarms:
    alarms: list[Alarm]
    refused: str | None = None  # AWS's message when the principal may not look


def recent(c: Console, session: console_sessions.Session, peer: Peer) -> RecentAlarms:
    try:
        found = invoke(
            c,
            session,
            "cloudtrail",
            "LookupEvents",
            {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": EVENT_NAME}],
                "MaxResults": SHOWN,
            },
            peer,
        )
    except errors.AwsError as err:
        return RecentAlarms([], f"{err.code}: {err.message}")
    alarms = []
    for event in found.get("Events", []):
        record = json.loads(event["CloudTrailEvent"])
        details = record.get("serviceEventDetails") or {}
        alarms.append(
            Alarm(
                event["EventTime"],
                str(details.get("alarm", "")),
                str(details.get("summary", "")),
                str(record.get("sourceIPAddress", "")),
                event["EventId"],
            )
        )
    return RecentAlarms(alarms)
