"""The records of console sign-in events, pure: who they are about and what
CloudTrail writes for each (CloudTrail UG, "AWS Management Console sign-in
events"). Which step means which event is signin_events.py's; the common pieces
(event time, eventID, tlsDetails, the constants) are records.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gatehold.audit.records import (
    CONSOLE_SIGN_IN,
    EVENT_VERSION,
    FAILED_AUTHENTICATION,
    GLOBAL_REGION,
    HIDDEN,
    SIGNIN_SOURCE,
    Record,
    event_time,
    new_event_id,
    tls_details,
    unix_ms,
)


@dataclass(frozen=True)
class SignInSubject:
    """Who a sign-in event is about, as far as the store knows."""

    account_id: str
    root: bool = False
    user_id: str | None = None
    user_name: str | None = None  # None for an unknown name: logged as HIDDEN
    arn: str | None = None


def sign_in_identity(who: SignInSubject, *, success: bool) -> Record:
    """userIdentity of a sign-in event. A failed IAM user sign-in carries no arn and
    an empty accessKeyId; an unknown name is HIDDEN_DUE_TO_SECURITY_REASONS; root
    keeps its type and arn (CloudTrail UG, console sign-in event examples)."""
    account = who.account_id
    if who.root:
        return {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
            "accessKeyId": "",
        }
    if who.user_name is None:
        return {"type": "IAMUser", "accountId": account, "accessKeyId": "", "userName": HIDDEN}
    identity: Record = {"type": "IAMUser", "principalId": who.user_id or ""}
    if success and who.arn:
        identity["arn"] = who.arn
    identity |= {"accountId": account, "accessKeyId": "", "userName": who.user_name}
    return identity


@dataclass(frozen=True)
class SignIn:
    """One console sign-in event (eventSource signin.amazonaws.com)."""

    event_name: str  # ConsoleLogin, CheckMfa, ConsoleLoginLockout, ConsoleLoginUnlock ...
    who: SignInSubject
    now: datetime
    source_ip: str
    user_agent: str
    success: bool | None = True  # None: an event with no outcome (a service event)
    error_message: str | None = None
    additional: Record = field(default_factory=dict)
    event_type: str = CONSOLE_SIGN_IN
    secure: bool = False
    host: str | None = None
    service_details: Record | None = None


def sign_in(event: SignIn, event_id: str | None = None) -> Record:
    """The record of a console sign-in event."""
    record: Record = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": sign_in_identity(event.who, success=bool(event.success)),
        "eventTime": event_time(event.now),
        "eventSource": SIGNIN_SOURCE,
        "eventName": event.event_name,
        "awsRegion": GLOBAL_REGION,
        "sourceIPAddress": event.source_ip,
        "userAgent": event.user_agent,
    }
    if event.success is False:
        record["errorMessage"] = event.error_message or FAILED_AUTHENTICATION
    record["requestParameters"] = None
    record["responseElements"] = (
        None
        if event.success is None
        else {event.event_name: "Success" if event.success else "Failure"}
    )
    if event.additional:
        record["additionalEventData"] = dict(event.additional)
    record["eventID"] = event_id or new_event_id(unix_ms(event.now))
    record["readOnly"] = False
    record["eventType"] = event.event_type
    record["managementEvent"] = True
    record["recipientAccountId"] = event.who.account_id
    record["eventCategory"] = "Management"
    if event.service_details is not None:
        record["serviceEventDetails"] = dict(event.service_details)
    tls = tls_details(secure=event.secure, host=event.host)
    if tls is not None:
        record["tlsDetails"] = tls
    return record


def login_data(login_to: str, *, mfa_used: bool, mfa_identifier: str | None = None) -> Record:
    """additionalEventData of ConsoleLogin."""
    data: Record = {
        "LoginTo": login_to,
        "MobileVersion": "No",
        "MFAUsed": "Yes" if mfa_used else "No",
    }
    if mfa_identifier:
        data["MFAIdentifier"] = mfa_identifier
    return data
