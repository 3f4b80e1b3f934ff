"""Trails deliver the account's records as CloudTrail log files, and CloudTrail's
own consumers read them: boto3 manages the trail, trailscraper reads the files."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.clients import REPO_ROOT
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer, start_server


def _created(record: dict[str, Any]) -> str | None:
    """The user a CreateUser record made (None for any other record)."""
    if record["eventName"] != "CreateUser":
        return None
    return str((record.get("requestParameters") or {}).get("userName"))


FILE_NAME = re.compile(
    r"^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_([A-Za-z0-9]{16})\.json\.gz$"
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("gatehold-trails")
    env = {"GATEHOLD_TRAIL_DELIVERY_SECONDS": "0.5"}
    with start_server(data_dir, module_database_url, extra_env=env) as running:
        yield running


@pytest.fixture(scope="module")
def cloudtrail(server: RunningServer) -> Any:
    return server.client("cloudtrail")


def bucket(server: RunningServer) -> Path:
    """A new folder under the trail root: the trail's "bucket"."""
    folder = server.data_dir / "trails" / unique("logs").lower()
    folder.mkdir(parents=True)
    return folder


def _records(folder: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(folder.rglob("*.json.gz")):
        with gzip.open(path, "rt") as f:
            records += json.load(f)["Records"]
    return records


def delivered(
    folder: Path,
    until: Callable[[list[dict[str, Any]]], bool] = bool,
    timeout: float = 30,
) -> list[dict[str, Any]]:
    """Every record in the folder's log files, once they hold what `until` wants
    (by default: any record). A call's record may come a delivery round after the
    one before it, so a test waits for the records it needs, not for a file count."""
    deadline = time.monotonic() + timeout
    while True:
        records = _records(folder)
        if until(records) or time.monotonic() > deadline:
            return records
        time.sleep(0.3)


def test_a_trail_delivers_log_files_as_cloudtrail_does(
    server: RunningServer, cloudtrail: Any, iam: Any
) -> None:
    folder = bucket(server)
    name = unique("trail")
    made = cloudtrail.create_trail(Name=name, S3BucketName=folder.name, S3KeyPrefix="prod/audit")
    assert made["TrailARN"] == f"arn:aws:cloudtrail:us-east-1:{server.account_id}:trail/{name}"
    assert made["IncludeGlobalServiceEvents"] is True and made["IsMultiRegionTrail"] is False
    assert cloudtrail.get_trail_status(Name=name)["IsLogging"] is False

    cloudtrail.start_logging(Name=name)
    user = unique("audited")
    iam.create_user(UserName=user)
    records = delivered(folder, until=lambda rs: any(_created(r) == user for r in rs))

    files = list(folder.rglob("*.json.gz"))
    relative = files[0].relative_to(folder)
    parts = relative.parts
    assert parts[:5] == ("prod", "audit", "AWSLogs", server.account_id, "CloudTrail")
    assert parts[5] == "us-east-1" and re.fullmatch(r"\d{4}", parts[6])
    match = FILE_NAME.match(parts[-1])
    assert match and match.group(1) == server.account_id and match.group(2) == "us-east-1"
    assert (match.group(3)[:4], match.group(3)[4:6], match.group(3)[6:8]) == parts[6:9]

    names = {(r["eventName"], (r.get("requestParameters") or {}).get("userName")) for r in records}
    assert ("CreateUser", user) in names
    assert all(r["recipientAccountId"] == server.account_id for r in records)
    status = cloudtrail.get_trail_status(Name=name)
    assert status["IsLogging"] is True and "LatestDeliveryTime" in status
    assert "StartLoggingTime" in status


def test_stopped_trails_deliver_nothing_new(
    server: RunningServer, cloudtrail: Any, iam: Any
) -> None:
    folder = bucket(server)
    name = unique("trail")
    cloudtrail.create_trail(Name=name, S3BucketName=folder.name)
    cloudtrail.start_logging(Name=name)
    before = unique("before")
    iam.create_user(UserName=before)
    cloudtrail.stop_logging(Name=name)
    after = unique("after")
    iam.create_user(UserName=after)
    delivered(folder, until=lambda rs: any(_created(r) == before for r in rs))
    time.sleep(7)  # past the settling time, several delivery rounds
    users = {_created(r) for r in delivered(folder)}
    assert before in users and after not in users
    status = cloudtrail.get_trail_status(Name=name)
    assert status["IsLogging"] is False and "StopLoggingTime" in status


def test_describe_list_get_and_delete(server: RunningServer, cloudtrail: Any) -> None:
    folder = bucket(server)
    name = unique("trail")
    cloudtrail.create_trail(Name=name, S3BucketName=folder.name, IsMultiRegionTrail=True)
    described = cloudtrail.describe_trails(trailNameList=[name])["trailList"]
    assert [(t["Name"], t["HomeRegion"], t["IsMultiRegionTrail"]) for t in described] == [
        (name, "us-east-1", True)
    ]
    # A multi-region trail is seen from other regions too (a shadow trail).
    west = server.client("cloudtrail", region_name="us-west-2")
    assert name in [t["Name"] for t in west.describe_trails()["trailList"]]
    assert name in [t["Name"] for t in cloudtrail.list_trails()["Trails"]]
    assert cloudtrail.get_trail(Name=name)["Trail"]["S3BucketName"] == folder.name
    cloudtrail.delete_trail(Name=name)
    with pytest.raises(ClientError) as exc:
        cloudtrail.get_trail(Name=name)
    assert error_of(exc) == (
        "TrailNotFoundException",
        f"Unknown trail: {name} for the user: {server.account_id}",
        400,
    )


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        (
            {"Name": "ab"},
            "InvalidTrailNameException",
            (
                "Trail name too short. Minimum allowed length: 3 characters. "
                "Specified name length: 2 characters."
            ),
        ),
        (
            {"Name": "-trail"},
            "InvalidTrailNameException",
            "Trail name must starts with a letter or number.",
        ),
        (
            {"Name": "my..trail"},
            "InvalidTrailNameException",
            (
                "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, "
                "periods (.), hyphens (-), and underscores (_)."
            ),
        ),
        ({"S3BucketName": "Not_A_Bucket"}, "InvalidS3BucketNameException", None),
        ({"S3BucketName": "no-such-folder"}, "S3BucketDoesNotExistException", None),
        ({"S3KeyPrefix": "../../etc"}, "InvalidS3PrefixException", None),
        ({"KmsKeyId": "alias/x"}, "UnsupportedOperationException", None),
    ],
)
def test_bad_trails_are_refused_and_nothing_is_created(
    server: RunningServer, cloudtrail: Any, kwargs: dict[str, str], code: str, message: str | None
) -> None:
    params = {"Name": unique("trail"), "S3BucketName": bucket(server).name, **kwargs}
    with pytest.raises(ClientError) as exc:
        cloudtrail.create_trail(**params)
    got = error_of(exc)
    assert got[0] == code and got[2] == 400
    if message:
        assert got[1] == message
    listed = [t["Name"] for t in cloudtrail.list_trails()["Trails"]]
    assert params["Name"] not in listed


def test_a_trail_name_is_taken_once(server: RunningServer, cloudtrail: Any) -> None:
    folder = bucket(server)
    name = unique("trail")
    cloudtrail.create_trail(Name=name, S3BucketName=folder.name)
    with pytest.raises(ClientError) as exc:
        cloudtrail.create_trail(Name=name, S3BucketName=folder.name)
    assert error_of(exc) == (
        "TrailAlreadyExistsException",
        f"Trail {name} already exists for customer: {server.account_id}",
        400,
    )


def test_a_user_without_permission_cannot_make_trails(
    server: RunningServer, cloudtrail: Any
) -> None:
    name = unique("nocloudtrail")
    keys = add_user_with_key(server, name, ("arn:aws:iam::aws:policy/IAMReadOnlyAccess",))
    other = server.client("cloudtrail", keys)
    trail = unique("trail")
    with pytest.raises(ClientError) as exc:
        other.create_trail(Name=trail, S3BucketName=bucket(server).name)
    code, message, status = error_of(exc)
    # A JSON-protocol service's refusal (CloudTrail API Reference, Common Errors).
    assert (code, status) == ("AccessDeniedException", 400)
    assert (
        "not authorized to perform: cloudtrail:CreateTrail on resource: "
        f"arn:aws:cloudtrail:us-east-1:{server.account_id}:trail/{trail}" in message
    )
    assert trail not in [t["Name"] for t in cloudtrail.list_trails()["Trails"]]


def test_trailscraper_generates_a_policy_from_the_log_files(
    server: RunningServer, cloudtrail: Any, iam: Any
) -> None:
    trailscraper = REPO_ROOT / ".venv-trailscraper" / "bin" / "trailscraper"
    assert trailscraper.exists(), "scripts/test.sh installs trailscraper in .venv-trailscraper"
    folder = bucket(server)
    name = unique("trail")
    cloudtrail.create_trail(Name=name, S3BucketName=folder.name)
    cloudtrail.start_logging(Name=name)
    user = unique("scraped")
    iam.create_user(UserName=user)
    iam.tag_user(UserName=user, Tags=[{"Key": "team", "Value": "audit"}])
    delivered(folder, until=lambda rs: {"CreateUser", "TagUser"} <= {r["eventName"] for r in rs})
    selected = subprocess.run(
        [str(trailscraper), "select", "--log-dir", str(folder), "--from", "-1days", "--to", "now"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    generated = subprocess.run(
        [str(trailscraper), "generate"],
        input=selected.stdout,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    policy = json.loads(generated.stdout)
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"iam:CreateUser", "iam:TagUser"} <= actions
