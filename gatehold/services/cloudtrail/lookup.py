"""CloudTrail: LookupEvents over the audit records (gatehold/audit).

AWS's semantics (CloudTrail API Reference, LookupEvents): at most one lookup
attribute; StartTime/EndTime (default: the last 90 days); MaxResults 1..50 (default
50); newest first; a NextToken that is only good with the same parameters. The
records are the account's own (recipientAccountId). The lookup merges the log's
segments that carry the attribute, newest first (gatehold/audit/lookup.py), so a page
costs about the same over a thousand records or millions.

Error texts: AWS's API Reference describes each exception but publishes no
message strings; the messages here say the same thing in AWS's words where it has
them. MaxResults outside 1..50 and an EventCategory other than "insight" are
answered by the model's constraint validation (ValidationException), before the
operation runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehold.audit import lookup as audit_lookup
from gatehold.errors import AwsError
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.store.secretbox import SecretBoxError

DEFAULT_MAX_RESULTS = 50
LOOKBACK = timedelta(days=90)
_TOKEN_AAD = b"gatehold cloudtrail LookupEvents NextToken v1"


def invalid_lookup_attributes(message: str) -> AwsError:
    return AwsError("InvalidLookupAttributesException", message, 400)


def invalid_time_range() -> AwsError:
    return AwsError(
        "InvalidTimeRangeException",
        "Occurs if the timestamp values are not valid. Either the start time occurs after "
        "the end time, or the time range is outside the range of possible values.",
        400,
    )


def invalid_next_token() -> AwsError:
    return AwsError(
        "InvalidNextTokenException",
        "A token that is not valid, or a token that was previously used in a request "
        "with different parameters.",
        400,
    )


def lookup_events(call: Call, params: Params) -> Result:
    call.authorize("cloudtrail:LookupEvents", "*")
    attribute, value = _attribute(params.get("LookupAttributes"))
    now = call.ctx.now
    start = _utc(params.get("StartTime")) or now - LOOKBACK
    end = _utc(params.get("EndTime")) or now
    if start > end:
        raise invalid_time_range()
    limit = int(params.get("MaxResults") or DEFAULT_MAX_RESULTS)
    if params.get("EventCategory") == "insight":
        return {"Events": []}  # gatehold records no Insights events
    fingerprint = _fingerprint(params)
    after = None
    if params.get("NextToken"):
        after, start, end = _open_token(call, str(params["NextToken"]), fingerprint)
    found = audit_lookup.lookup(
        call.db,
        call.ctx.principal.account_id,
        attribute=attribute,
        value=value,
        start=start,
        end=end,
        after=after,
        limit=limit + 1,
    )
    result: Result = {"Events": [_event(s) for s in found[:limit]]}
    if len(found) > limit:
        last = found[limit - 1]
        result["NextToken"] = _seal_token(call, last.position, start, end, fingerprint)
    return result


def _attribute(attributes: Any) -> tuple[str | None, str | None]:
    if not attributes:
        return None, None
    if len(attributes) > 1:
        raise invalid_lookup_attributes("You cannot specify more than one lookup attribute.")
    only = attributes[0]
    return str(only["AttributeKey"]), str(only["AttributeValue"])


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _event(s: audit_lookup.Stored) -> dict[str, Any]:
    event: dict[str, Any] = {
        "EventId": s.event_id,
        "EventName": s.event_name,
        "ReadOnly": "true" if s.read_only else "false",
        "EventTime": s.event_time,
        "EventSource": s.event_source,
        "Resources": [{"ResourceType": t, "ResourceName": n} for t, n in s.resources],
        "CloudTrailEvent": s.record_json,
    }
    if s.access_key_id:
        event["AccessKeyId"] = s.access_key_id
    if s.username:
        event["Username"] = s.username
    return event


# ---- NextToken: opaque, sealed, tied to the request's parameters --------------------


def _fingerprint(params: Params) -> str:
    """The parameters a NextToken must be replayed with (all but the token and the
    page size), as a hash."""
    same = {
        "a": params.get("LookupAttributes") or [],
        "s": str(_utc(params.get("StartTime"))),
        "e": str(_utc(params.get("EndTime"))),
        "c": params.get("EventCategory"),
    }
    return hashlib.sha256(json.dumps(same, sort_keys=True).encode()).hexdigest()[:32]


def _seal_token(
    call: Call, after: tuple[str, int, int], start: datetime, end: datetime, fingerprint: str
) -> str:
    assert call.box is not None
    body = {
        "p": list(after),  # the page's last record: (exact time, segment, index)
        # The window as resolved on the first page: the default "last 90 days" must
        # not move under a client paging through it.
        "s": start.isoformat(),
        "e": end.isoformat(),
        "f": fingerprint,
        "a": call.ctx.principal.account_id,
    }
    sealed = call.box.seal(json.dumps(body).encode(), _TOKEN_AAD)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def _open_token(
    call: Call, token: str, fingerprint: str
) -> tuple[tuple[str, int, int], datetime, datetime]:
    """The page position and window a token carries; InvalidNextTokenException for
    a token that was altered, made for another account or other parameters."""
    assert call.box is not None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(call.box.open(raw, _TOKEN_AAD))
        at, seq, index = body["p"]
        after = (str(at), int(seq), int(index))
        start, end = datetime.fromisoformat(body["s"]), datetime.fromisoformat(body["e"])
        ok = body["f"] == fingerprint and body["a"] == call.ctx.principal.account_id
    except (SecretBoxError, ValueError, KeyError, TypeError):
        raise invalid_next_token() from None
    if not ok:
        raise invalid_next_token()
    return after, start, end


HANDLERS: dict[str, Handler] = {"LookupEvents": lookup_events}
