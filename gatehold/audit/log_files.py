"""CloudTrail log files: which records a trail takes, where each file goes, and
what it holds. Pure: delivery.py does the reading, writing and bookkeeping.

Layout and naming as CloudTrail's (User Guide, "Finding your CloudTrail log
files"), with the trail's bucket standing for an S3 bucket:

    <bucket>/[<prefix>/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 alphanumerics>.json.gz

holding gzip-compressed JSON `{"Records": [...]}`. A file holds one region's
records, filed under the region and day of delivery, as CloudTrail files them.
"""

from __future__ import annotations

import gzip
import re
import secrets
import string
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from gatehold.store.trails import Trail

Record = dict[str, Any]

# Global services' events (IAM, console sign-in, STS's global endpoint) are logged
# in us-east-1; a single-region trail elsewhere takes them only with
# IncludeGlobalServiceEvents (CloudTrail User Guide, "global service events").
GLOBAL_REGION = "us-east-1"
_GLOBAL_SOURCES = frozenset({"iam.amazonaws.com", "signin.amazonaws.com"})

_UNIQUE_ALPHABET = string.ascii_letters + string.digits


def takes(trail: Trail, record: Record) -> bool:
    """Whether `trail` delivers `record`."""
    if record.get("recipientAccountId") != trail.account_id:
        return False
    if trail.multi_region:
        return True
    region = record.get("awsRegion")
    if region == trail.home_region:
        return True
    return trail.include_global_events and is_global(record)


def is_global(record: Record) -> bool:
    return record.get("eventSource") in _GLOBAL_SOURCES


def by_region(records: Iterable[Record]) -> dict[str, list[Record]]:
    files: dict[str, list[Record]] = {}
    for record in records:
        files.setdefault(str(record.get("awsRegion") or GLOBAL_REGION), []).append(record)
    return files


def unique_suffix() -> str:
    return "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(16))


def object_key(trail: Trail, region: str, delivered_at: datetime, suffix: str) -> str:
    day = delivered_at.strftime("%Y/%m/%d")
    stamp = delivered_at.strftime("%Y%m%dT%H%MZ")
    name = f"{trail.account_id}_CloudTrail_{region}_{stamp}_{suffix}.json.gz"
    prefix = f"{trail.key_prefix.strip('/')}/" if trail.key_prefix else ""
    return f"{prefix}AWSLogs/{trail.account_id}/CloudTrail/{region}/{day}/{name}"


def content(records: list[Record]) -> bytes:
    import orjson

    return gzip.compress(orjson.dumps({"Records": records}), mtime=0)


# ---- names an operator's folder can safely hold --------------------------------

# S3 bucket naming rules (general purpose buckets): 3-63 characters of lower-case
# letters, digits, dots and hyphens, beginning and ending with a letter or digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# A key prefix becomes folders: no empty, "." or ".." parts, nothing that is not
# printable (it must never leave the bucket's folder).
_PREFIX_PART = re.compile(r"^[A-Za-z0-9!_.*'()=+@,;:&$ -]+$")


def valid_bucket(name: str) -> bool:
    return bool(_BUCKET.fullmatch(name)) and ".." not in name


def valid_prefix(prefix: str) -> bool:
    if len(prefix) > 200:
        return False
    parts = prefix.strip("/").split("/")
    return all(p not in ("", ".", "..") and _PREFIX_PART.fullmatch(p) for p in parts)
