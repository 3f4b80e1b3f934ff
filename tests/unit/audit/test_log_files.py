"""Which records a trail takes, and the names its files get."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from datetime import UTC, datetime

from gatehold.audit import log_files
from gatehold.cli.events import matches, parse_filter
from gatehold.store.trails import Trail

NOW = datetime(2026, 11, 27, 9, 5, 42, tzinfo=UTC)
TRAIL = Trail(
    "123456789012",
    "main",
    "eu-west-1",
    "logs",
    None,
    True,
    False,
    True,
    0,
    NOW,
    None,
    None,
    None,
    None,
    None,
)


def record(
    region: str, source: str = "sts.amazonaws.com", account: str = "123456789012"
) -> dict[str, str]:
    return {"awsRegion": region, "eventSource": source, "recipientAccountId": account}


def test_a_single_region_trail_takes_its_region_and_global_events() -> None:
    assert log_files.takes(TRAIL, record("eu-west-1"))
    assert not log_files.takes(TRAIL, record("us-west-2"))
    assert log_files.takes(TRAIL, record("us-east-1", "iam.amazonaws.com"))
    assert log_files.takes(TRAIL, record("us-east-1", "signin.amazonaws.com"))
    without_global = replace(TRAIL, include_global_events=False)
    assert not log_files.takes(without_global, record("us-east-1", "iam.amazonaws.com"))


def test_a_multi_region_trail_takes_every_region_but_only_its_account() -> None:
    everywhere = replace(TRAIL, multi_region=True)
    assert log_files.takes(everywhere, record("ap-south-1"))
    assert not log_files.takes(everywhere, record("eu-west-1", account="210987654321"))


def test_object_keys_follow_cloudtrails_layout() -> None:
    key = log_files.object_key(replace(TRAIL, key_prefix="/a/b/"), "eu-west-1", NOW, "x" * 16)
    assert key == (
        "a/b/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/27/"
        "123456789012_CloudTrail_eu-west-1_20261127T0905Z_xxxxxxxxxxxxxxxx.json.gz"
    )
    assert re.fullmatch(r"[A-Za-z0-9]{16}", log_files.unique_suffix())


def test_files_hold_gzip_json_records() -> None:
    body = log_files.content([{"eventName": "CreateUser"}])
    assert json.loads(gzip.decompress(body)) == {"Records": [{"eventName": "CreateUser"}]}


def test_folder_names_that_could_escape_are_refused() -> None:
    assert log_files.valid_bucket("my-logs.example")
    for bad in ("My_Logs", "..", "a..b", "ab", "-logs", "logs/../x"):
        assert not log_files.valid_bucket(bad), bad
    assert log_files.valid_prefix("prod/audit")
    for bad in ("../x", "a/../b", "a//b", "a/./b", "a\\b", "x\n"):
        assert not log_files.valid_prefix(bad), bad


def test_tail_filters_compare_fields_without_case() -> None:
    r = {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}, "readOnly": False}
    assert matches(r, [parse_filter("eventName=consolelogin")])
    assert matches(
        r, [parse_filter("additionalEventData.MFAUsed=NO"), parse_filter("readOnly=false")]
    )
    assert not matches(r, [parse_filter("userIdentity.type=Root")])
