"""A finding as an audit record: CloudTrail's AwsServiceEvent shape, so it is looked
up, tailed, delivered in log files and read by log consumers like any other event.

eventSource names gatehold's alarm service (not an AWS one); eventName is always
"SuspiciousActivity" and the alarm's kind is serviceEventDetails.alarm, so one
LookupEvents attribute (EventName=SuspiciousActivity) lists every finding.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from gatehold.audit.alarms.rules import Finding

EVENT_SOURCE = "alarms.gatehold.local"
EVENT_NAME = "SuspiciousActivity"


def record(
    finding: Finding,
    account_id: str,
    now: datetime,
    region: str,
    source_ip: str,
    subject: dict[str, Any],
    cause_event_id: str | None = None,
) -> dict[str, Any]:
    """`subject`: whom the finding is about, e.g. {"userName": "alice"}."""
    return {
        "eventVersion": "1.09",
        "userIdentity": {"accountId": account_id, "invokedBy": EVENT_SOURCE},
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": EVENT_SOURCE,
        "eventName": EVENT_NAME,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": EVENT_SOURCE,
        "requestParameters": None,
        "responseElements": None,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "serviceEventDetails": {
            "alarm": finding.kind,
            "summary": finding.summary,
            "subject": subject,
            "details": finding.details,
            **({"causeEventId": cause_event_id} if cause_event_id else {}),
        },
        "eventCategory": "Management",
    }
