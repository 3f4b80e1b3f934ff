"""The records of console sign-in steps, stored in the step's own transaction.

console/signin/steps.py calls one function per step after it has carried out the step's
effects, with the facts it already has; this module decides which CloudTrail
events that step means (CloudTrail UG, "AWS Management Console sign-in events"):

- password step: a failure is ConsoleLogin Failure ("Failed authentication"; an
  unknown user name: userName HIDDEN_DUE_TO_SECURITY_REASONS and "No username found
  in supplied account"; an unknown account or root email: nothing, there is no
  account to log it in). A success without MFA is ConsoleLogin Success, MFAUsed
  "No"; with MFA the ConsoleLogin is written at the MFA step.
- MFA step: CheckMfa Success/Failure (additionalEventData.MfaType), and on success
  ConsoleLogin Success with MFAUsed "Yes" and MFAIdentifier (the device's serial).
- lockout (gatehold's own, AWS has none): the failure that locked the account is
  logged as above, plus a `ConsoleLoginLockout` event (eventSource
  signin.amazonaws.com, eventType AwsServiceEvent, serviceEventDetails
  {"ConsoleLoginLockout": "Locked", "LockedUntil": ...}).
- unlock: `ConsoleLoginUnlock` (AwsServiceEvent), additionalEventData.UnlockedBy.
- forced password change: the iam ChangePassword call's AwsApiCall record
  (console/signin/steps.py runs it through the runner, as a console-made call).
- sign-out: nothing. CloudTrail documents no sign-out event for the console.
- switch role: SwitchRole and ExitRole, as the role session (userIdentity
  AssumedRole), SwitchRole with additionalEventData.SwitchFrom (the user's ARN).
  Console role sessions are not renewed (they end with their credentials), so
  there is no RenewRole.
- root's password: PasswordUpdated (its own change), PasswordRecoveryRequested /
  PasswordRecoveryCompleted (the emailed link); the lost-MFA path, gatehold's own,
  MFARecoveryRequested / MFARecoveryCompleted (account_event).

Attempts while locked are logged as failures like any other: the log says what
was tried even when the answer did not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Connection

from gatehold.audit import log, records, signin_records
from gatehold.audit.recorder import Recorder
from gatehold.audit.signin_records import SignIn, SignInSubject
from gatehold.auth import lockout
from gatehold.context import Principal
from gatehold.store import mfa_devices, signin_failures, users
from gatehold.store.records import Account, User

LOCKOUT_EVENT = "ConsoleLoginLockout"
UNLOCK_EVENT = "ConsoleLoginUnlock"
# LoginTo when the console's own address is not known to the step.
CONSOLE_HOME = "/console/home"


class WhoLike(Protocol):
    """console.signin.who.Who, as far as the audit needs it."""

    @property
    def subject(self) -> str: ...
    @property
    def account(self) -> Account | None: ...
    @property
    def user(self) -> User | None: ...


def subject_of(account: Account, user: User | None) -> SignInSubject:
    if user is None:
        return SignInSubject(account.account_id, root=True)
    return SignInSubject(
        account.account_id, user_id=user.user_id, user_name=user.user_name, arn=user.arn
    )


def _unknown_user(
    db: Connection, account: Account | None, user_name: str
) -> tuple[SignInSubject, str] | None:
    """The subject and message of a failed sign-in for a name the store did not
    match to a console user; None when there is no account to log it in."""
    if account is None:
        return None
    user = users.get_by_name(db, account.account_id, user_name)
    if user is None:
        return SignInSubject(account.account_id), records.NO_SUCH_USER
    # A user without a console password: a plain failed authentication.
    return subject_of(account, user), records.FAILED_AUTHENTICATION


def after_password(
    db: Connection,
    recorder: Recorder,
    *,
    who: WhoLike,
    account: Account | None,
    user_name: str,
    root: bool,
    success: bool,
    signed_in: bool,
    has_mfa: bool,
    now: datetime,
    source_ip: str,
    user_agent: str,
    login_to: str = CONSOLE_HOME,
) -> None:
    """The password step's events. `account`: the account the form named (found
    by ID or alias), known even when the user name is not; `signed_in`: the step
    ended past sign-in (no MFA needed)."""
    if not recorder.enabled:
        return
    found: tuple[SignInSubject, str] | None
    if who.account is not None:
        found = subject_of(who.account, who.user), records.FAILED_AUTHENTICATION
    elif root:
        found = None  # an unknown root email: no account to log it in
    else:
        found = _unknown_user(db, account, user_name)
    if found is None:
        return
    subject, message = found
    if success and not signed_in:
        return  # MFA comes next: the ConsoleLogin is written there
    event = SignIn(
        "ConsoleLogin",
        subject,
        now,
        source_ip,
        user_agent,
        success=success,
        error_message=None if success else message,
        additional=signin_records.login_data(login_to, mfa_used=has_mfa),
    )
    recs = [signin_records.sign_in(event)]
    recs += _lockout(db, who, subject, now, source_ip, user_agent, success=success)
    recorder.write(db, recs, times=[now] * len(recs))


def after_mfa(
    db: Connection,
    recorder: Recorder,
    *,
    who: WhoLike,
    serial_number: str | None,
    success: bool,
    now: datetime,
    source_ip: str,
    user_agent: str,
    login_to: str = CONSOLE_HOME,
) -> None:
    """The MFA step's events: CheckMfa, and ConsoleLogin once it succeeded."""
    if not recorder.enabled or who.account is None:
        return
    subject = subject_of(who.account, who.user)
    device = mfa_devices.get(db, who.account.account_id, serial_number) if serial_number else None
    mfa_type = (
        "Virtual MFA" if device is not None and device.kind == mfa_devices.VIRTUAL else "U2F MFA"
    )
    check = SignIn(
        "CheckMfa",
        subject,
        now,
        source_ip,
        user_agent,
        success=success,
        additional={"MfaType": mfa_type},
    )
    recs = [signin_records.sign_in(check)]
    if success:
        login = SignIn(
            "ConsoleLogin",
            subject,
            now,
            source_ip,
            user_agent,
            additional=signin_records.login_data(
                login_to, mfa_used=True, mfa_identifier=serial_number
            ),
        )
        recs.append(signin_records.sign_in(login))
    recs += _lockout(db, who, subject, now, source_ip, user_agent, success=success)
    recorder.write(db, recs, times=[now] * len(recs))


def _lockout(
    db: Connection,
    who: WhoLike,
    subject: SignInSubject,
    now: datetime,
    source_ip: str,
    user_agent: str,
    *,
    success: bool,
) -> list[records.Record]:
    """A ConsoleLoginLockout event when this step's failure is the one that locked
    the account: it is locked now, and the lock began at this very failure."""
    if success:
        return []
    counter = signin_failures.get(db, who.subject)
    if not lockout.is_locked(counter, now) or counter.last_failure_at != now:
        return []
    until = counter.locked_until
    assert until is not None
    event = SignIn(
        LOCKOUT_EVENT,
        subject,
        now,
        source_ip,
        user_agent,
        success=None,
        event_type=records.SERVICE_EVENT,
        additional={"FailedAttempts": counter.failures},
        service_details={
            LOCKOUT_EVENT: "Locked",
            "LockedUntil": "administrator unlock"
            if until >= lockout.FOREVER
            else records.event_time(until),
        },
    )
    return [signin_records.sign_in(event)]


def account_event(
    db: Connection,
    recorder: Recorder,
    *,
    name: str,
    account: Account,
    user: User | None,
    now: datetime,
    source_ip: str,
    user_agent: str,
    success: bool = True,
    additional: records.Record | None = None,
) -> None:
    """Any other sign-in-service event about a known principal, in the caller's
    transaction: e.g. "PasswordUpdated" (a console password change, root's
    included), "PasswordRecoveryRequested" / "PasswordRecoveryCompleted" (root's
    forgot-password flow), as CloudTrail names them (user None: root)."""
    if not recorder.enabled:
        return
    event = SignIn(
        name,
        subject_of(account, user),
        now,
        source_ip,
        user_agent,
        success=success,
        additional=dict(additional or {}),
    )
    recorder.write(db, [signin_records.sign_in(event)], times=[now])


def unlocked(
    db: Connection,
    recorder: Recorder | None,
    *,
    account: Account,
    user: User | None,
    user_name: str | None,
    by: str,
    now: datetime | None = None,
    source_ip: str = "",
    user_agent: str = "",
) -> None:
    """ConsoleLoginUnlock: an administrator (or the operator's CLI) cleared a lock.
    recorder None: stored straight into `db` (callers that have only a connection)."""
    if recorder is not None and not recorder.enabled:
        return
    if user is None and user_name is not None:
        subject = SignInSubject(account.account_id, user_name=user_name)
    else:
        subject = subject_of(account, user)
    event = SignIn(
        UNLOCK_EVENT,
        subject,
        now or datetime.now(UTC),
        source_ip,
        user_agent,
        success=None,
        event_type=records.SERVICE_EVENT,
        additional={"UnlockedBy": by},
        service_details={UNLOCK_EVENT: "Unlocked"},
    )
    log.append(db, [signin_records.sign_in(event)])


SWITCH_ROLE = "SwitchRole"
EXIT_ROLE = "ExitRole"


def role_switch(
    db: Connection,
    recorder: Recorder,
    *,
    name: str,
    role: Principal,
    user_arn: str,
    now: datetime,
    source_ip: str,
    user_agent: str,
    redirect_to: str = CONSOLE_HOME,
) -> None:
    """SwitchRole (the console now acts as `role`) or ExitRole (it stops): the role
    session's identity, where the console goes next, and for SwitchRole the identity
    it switched from (CloudTrail UG, console sign-in events)."""
    if not recorder.enabled:
        return
    additional: records.Record = {"RedirectTo": redirect_to}
    if name == SWITCH_ROLE:
        additional = {"SwitchFrom": user_arn, **additional}
    event = SignIn(
        name,
        SignInSubject(role.account_id),
        now,
        source_ip,
        user_agent,
        success=True,
        additional=additional,
    )
    record = signin_records.sign_in(event)
    record["userIdentity"] = records.user_identity(role)
    recorder.write(db, [record], times=[now])
