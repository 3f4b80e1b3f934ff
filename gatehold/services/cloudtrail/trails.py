"""CloudTrail trails: CreateTrail, UpdateTrail, DeleteTrail, GetTrail, DescribeTrails,
ListTrails, GetTrailStatus, StartLogging, StopLogging.

A trail delivers the account's records as log files (gatehold/audit/delivery.py)
into a folder the operator names: S3BucketName is a folder under the trail root
(Settings.trail_root), which must exist, as an S3 bucket must (an S3 destination
is out of scope for now). SNS notifications, CloudWatch Logs, KMS encryption,
digest files (log file validation), tags and organization trails are not
supported: asking for them is answered UnsupportedOperationException rather than
silently ignored.

Error texts: those CloudTrail publishes in its documentation's examples (Unknown
trail, already exists, trail name rules); the others are marked unconfirmed.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from gatehold.audit import follow, log_files
from gatehold.errors import AwsError
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.store import trails as trails_store
from gatehold.store.trails import Trail

# CloudTrail quota: 5 trails per region per account.
MAX_TRAILS_PER_REGION = 5
_ARN = re.compile(r"^arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$")
_NAME_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")


def _error(code: str, message: str) -> AwsError:
    return AwsError(code, message, 400)


def _not_found(call: Call, name: str) -> AwsError:
    # CloudTrail User Guide example: "Unknown trail: myTrail2 for the user: 123456789012"
    return _error(
        "TrailNotFoundException",
        f"Unknown trail: {name} for the user: {call.ctx.principal.account_id}",
    )


def _check_name(name: str) -> None:
    """CloudTrail's trail name rules (API Reference, CreateTrail: Name)."""
    if len(name) < 3:
        raise _error(
            "InvalidTrailNameException",
            "Trail name too short. Minimum allowed length: 3 characters. "
            f"Specified name length: {len(name)} characters.",
        )
    if len(name) > 128:
        raise _error(
            "InvalidTrailNameException",
            "Trail name too long. Maximum allowed length: 128 characters. "
            f"Specified name length: {len(name)} characters.",
        )
    if not name[0].isalnum() or not name[0].isascii():
        raise _error("InvalidTrailNameException", "Trail name must starts with a letter or number.")
    if not name[-1].isalnum() or not name[-1].isascii():
        raise _error("InvalidTrailNameException", "Trail name must ends with a letter or number.")
    if not _NAME_CHARS.fullmatch(name) or re.search(r"[._-]{2}", name):
        raise _error(
            "InvalidTrailNameException",
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, "
            "periods (.), hyphens (-), and underscores (_).",
        )


def _name_of(call: Call, name_or_arn: str) -> str:
    """A trail's name from its name or ARN (an ARN of another account: not found)."""
    match = _ARN.fullmatch(name_or_arn)
    if match is None:
        _check_name(name_or_arn)
        return name_or_arn
    if match.group(2) != call.ctx.principal.account_id:
        raise _not_found(call, name_or_arn)
    return match.group(3)


def _arn(call: Call, name: str, region: str | None = None) -> str:
    account = call.ctx.principal.account_id
    return f"arn:aws:cloudtrail:{region or call.ctx.region}:{account}:trail/{name}"


def _visible(call: Call, trail: Trail | None) -> Trail | None:
    """Trails are regional: seen from their home region, and (as shadow trails)
    from every region when multi-region."""
    if trail is None or trail.home_region == call.ctx.region or trail.multi_region:
        return trail
    return None


def _existing(call: Call, name_or_arn: str, action: str, *, for_update: bool = False) -> Trail:
    name = _name_of(call, name_or_arn)
    trail = _visible(
        call, trails_store.get(call.db, call.ctx.principal.account_id, name, for_update=for_update)
    )
    call.authorize(action, trail.arn if trail else _arn(call, name))
    if trail is None:
        raise _not_found(call, name_or_arn)
    return trail


def _in_home_region(call: Call, trail: Trail) -> None:
    if trail.home_region != call.ctx.region:
        raise _error(
            "InvalidHomeRegionException",
            # Unconfirmed text.
            f"This operation must be called from the trail's home region, {trail.home_region}.",
        )


def _trails_root(call: Call) -> Path:
    assert call.settings is not None, "the API passes Settings to every call"
    return call.settings.trails_folder


def _check_destination(call: Call, bucket: str, prefix: str | None) -> None:
    if not log_files.valid_bucket(bucket):
        # Unconfirmed text.
        raise _error("InvalidS3BucketNameException", f"Bucket name is not valid: {bucket}")
    if prefix and not log_files.valid_prefix(prefix):
        # Unconfirmed text.
        raise _error("InvalidS3PrefixException", f"The S3 key prefix is not valid: {prefix}")
    if not (_trails_root(call) / bucket).is_dir():
        # Unconfirmed text (moto's); the folder stands for the bucket.
        raise _error("S3BucketDoesNotExistException", f"S3 bucket {bucket} does not exist!")


_UNSUPPORTED = {
    "SnsTopicName": "SNS notifications",
    "CloudWatchLogsLogGroupArn": "CloudWatch Logs delivery",
    "CloudWatchLogsRoleArn": "CloudWatch Logs delivery",
    "KmsKeyId": "KMS encryption of log files",
    "TagsList": "trail tags",
}


def _refuse_unsupported(params: Params) -> None:
    for member, what in _UNSUPPORTED.items():
        if params.get(member):
            raise _error("UnsupportedOperationException", f"gatehold does not support {what}.")
    if params.get("EnableLogFileValidation"):
        raise _error(
            "UnsupportedOperationException", "gatehold does not support log file validation."
        )
    if params.get("IsOrganizationTrail"):
        raise _error(
            "UnsupportedOperationException", "gatehold does not support organization trails."
        )


def _shape(trail: Trail) -> Result:
    return {
        "Name": trail.name,
        "S3BucketName": trail.bucket,
        **({"S3KeyPrefix": trail.key_prefix} if trail.key_prefix else {}),
        "IncludeGlobalServiceEvents": trail.include_global_events,
        "IsMultiRegionTrail": trail.multi_region,
        "TrailARN": trail.arn,
        "LogFileValidationEnabled": False,
        "IsOrganizationTrail": False,
    }


def _described(trail: Trail) -> Result:
    return {
        **_shape(trail),
        "HomeRegion": trail.home_region,
        "HasCustomEventSelectors": False,
        "HasInsightSelectors": False,
    }


def create_trail(call: Call, params: Params) -> Result:
    name = params["Name"]
    _check_name(name)
    call.authorize("cloudtrail:CreateTrail", _arn(call, name))
    _refuse_unsupported(params)
    account = call.ctx.principal.account_id
    if trails_store.get(call.db, account, name) is not None:
        raise _error(
            "TrailAlreadyExistsException", f"Trail {name} already exists for customer: {account}"
        )
    if trails_store.count(call.db, account, call.ctx.region) >= MAX_TRAILS_PER_REGION:
        raise _error(
            "MaximumNumberOfTrailsExceededException",
            # Unconfirmed text.
            f"User: {account} already has {MAX_TRAILS_PER_REGION} trails in {call.ctx.region}.",
        )
    _check_destination(call, params["S3BucketName"], params.get("S3KeyPrefix"))
    trail = Trail(
        account_id=account,
        name=name,
        home_region=call.ctx.region,
        bucket=params["S3BucketName"],
        key_prefix=params.get("S3KeyPrefix") or None,
        include_global_events=params.get("IncludeGlobalServiceEvents", True),
        multi_region=params.get("IsMultiRegionTrail", False),
        logging=False,  # as AWS's API: a new trail logs once StartLogging is called
        cursor=0,
        created_at=call.ctx.now,
        start_logging_at=None,
        stop_logging_at=None,
        delivery_attempt_at=None,
        delivered_at=None,
        delivery_error=None,
    )
    _check_global_events(trail)
    trails_store.insert(call.db, trail)
    return _shape(trail)


def _check_global_events(trail: Trail) -> None:
    if trail.multi_region and not trail.include_global_events:
        raise _error(
            "InvalidParameterCombinationException",
            # Unconfirmed text; the rule is AWS's (a multi-region trail includes
            # global service events).
            "Multi-Region trail must include global service events.",
        )


def update_trail(call: Call, params: Params) -> Result:
    trail = _existing(call, params["Name"], "cloudtrail:UpdateTrail", for_update=True)
    _in_home_region(call, trail)
    _refuse_unsupported(params)
    changes: dict[str, object] = {}
    if "S3BucketName" in params or "S3KeyPrefix" in params:
        bucket = params.get("S3BucketName", trail.bucket)
        prefix = params.get("S3KeyPrefix", trail.key_prefix) or None
        _check_destination(call, bucket, prefix)
        changes.update(bucket=bucket, key_prefix=prefix)
    if "IncludeGlobalServiceEvents" in params:
        changes["include_global_events"] = params["IncludeGlobalServiceEvents"]
    if "IsMultiRegionTrail" in params:
        changes["multi_region"] = params["IsMultiRegionTrail"]
    updated = Trail(**{**trail.__dict__, **changes})
    _check_global_events(updated)
    trails_store.update(call.db, trail.account_id, trail.name, **changes)
    return _shape(updated)


def delete_trail(call: Call, params: Params) -> Result:
    trail = _existing(call, params["Name"], "cloudtrail:DeleteTrail", for_update=True)
    _in_home_region(call, trail)
    trails_store.delete(call.db, trail.account_id, trail.name)
    return {}


def get_trail(call: Call, params: Params) -> Result:
    return {"Trail": _described(_existing(call, params["Name"], "cloudtrail:GetTrail"))}


def describe_trails(call: Call, params: Params) -> Result:
    call.authorize("cloudtrail:DescribeTrails", "*")
    account = call.ctx.principal.account_id
    names = params.get("trailNameList") or []
    shadows = params.get("includeShadowTrails", True)
    trails = [t for t in trails_store.of_account(call.db, account) if _visible(call, t)]
    if not shadows:
        trails = [t for t in trails if t.home_region == call.ctx.region]
    if names:
        wanted = {_name_of(call, n) for n in names}
        trails = [t for t in trails if t.name in wanted]
    return {"trailList": [_described(t) for t in trails]}


def list_trails(call: Call, params: Params) -> Result:
    call.authorize("cloudtrail:ListTrails", "*")
    trails = trails_store.of_account(call.db, call.ctx.principal.account_id)
    return {
        "Trails": [{"TrailARN": t.arn, "Name": t.name, "HomeRegion": t.home_region} for t in trails]
    }


def get_trail_status(call: Call, params: Params) -> Result:
    t = _existing(call, params["Name"], "cloudtrail:GetTrailStatus")
    status: Result = {"IsLogging": t.logging}
    optional = {
        "StartLoggingTime": t.start_logging_at,
        "StopLoggingTime": t.stop_logging_at,
        "LatestDeliveryTime": t.delivered_at,
        "LatestDeliveryError": t.delivery_error,
    }
    status.update({k: v for k, v in optional.items() if v is not None})
    # The string forms CloudTrail also answers (documented as for internal use).
    if t.start_logging_at:
        status["TimeLoggingStarted"] = _stamp(t.start_logging_at)
    if t.stop_logging_at:
        status["TimeLoggingStopped"] = _stamp(t.stop_logging_at)
    if t.delivery_attempt_at:
        status["LatestDeliveryAttemptTime"] = _stamp(t.delivery_attempt_at)
        status["LatestDeliveryAttemptSucceeded"] = (
            _stamp(t.delivered_at) if t.delivered_at and not t.delivery_error else ""
        )
    return status


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def start_logging(call: Call, params: Params) -> Result:
    trail = _existing(call, params["Name"], "cloudtrail:StartLogging", for_update=True)
    _in_home_region(call, trail)
    if not trail.logging:
        # Delivery starts with what happens from now on (this call's own record,
        # stored after this point in the same transaction, included).
        trails_store.update(
            call.db,
            trail.account_id,
            trail.name,
            logging=True,
            cursor=follow.last_seq(call.db),
            start_logging_at=call.ctx.now,
        )
    return {}


def stop_logging(call: Call, params: Params) -> Result:
    trail = _existing(call, params["Name"], "cloudtrail:StopLogging", for_update=True)
    _in_home_region(call, trail)
    if trail.logging:
        trails_store.update(
            call.db, trail.account_id, trail.name, logging=False, stop_logging_at=call.ctx.now
        )
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateTrail": create_trail,
    "UpdateTrail": update_trail,
    "DeleteTrail": delete_trail,
    "GetTrail": get_trail,
    "DescribeTrails": describe_trails,
    "ListTrails": list_trails,
    "GetTrailStatus": get_trail_status,
    "StartLogging": start_logging,
    "StopLogging": stop_logging,
}
