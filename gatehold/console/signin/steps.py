"""The sign-in steps against the store: gather facts, ask the state machine
(machine.py), carry out its effects.

Blocking code (database, argon2): the sign-in pages (pages.py) run every function
here in a worker thread (anyio.to_thread), so a sign-in never stalls the event loop
or API traffic. Password hashing happens outside any transaction so it holds no
database lock.

Concurrent sign-ins (a parallel guessing burst): whatever was read before the hash
is only a first look. The write transaction that records an outcome reads the
lockout counters again under a row lock (store/signin_failures.py: FOR UPDATE on
PostgreSQL; SQLite's write transaction is exclusive) and judges by them, so failures
are counted one after another, none lost, and a correct password whose outcome is
recorded after a lock was set is refused like any other attempt on a locked account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection

from gatehold import ids
from gatehold.audit import records as audit_records
from gatehold.audit import signin_events
from gatehold.audit.alarms import rules
from gatehold.audit.alarms.sinks import Notice
from gatehold.audit.recorder import recorder_for
from gatehold.auth import lockout, totp
from gatehold.auth.password import verify_password
from gatehold.console.core import Console
from gatehold.console.credentials import password_checks
from gatehold.console.signin import machine as signin
from gatehold.console.signin.machine import Effect, PrincipalFacts, Stage, Transition
from gatehold.console.signin.who import (
    Who,
    facts_of,
    find_account,
    find_root,
    find_user,
    is_locked,
    mfa_choices,
    who_of,
)
from gatehold.context import Principal, PrincipalKind, RequestContext
from gatehold.services.iam.identity_errors import old_password_incorrect
from gatehold.services.runner import Refusal
from gatehold.store import (
    console_sessions,
    login_profiles,
    mfa_devices,
    signin_failures,
    users,
)
from gatehold.store.records import Account

MISMATCH = "The passwords you entered do not match."
NOT_ALLOWED = "You do not have permission to change your password. Contact your administrator."


@dataclass(frozen=True)
class Outcome:
    transition: Transition
    token: str | None = None  # a new session token for the cookie


# ---- effects --------------------------------------------------------------------


def _count_failure(db: Connection, c: Console, who: Who, source_ip: str, now: datetime) -> None:
    # Read under a row lock (hold): concurrent failures each add one, none overwrites
    # another (a plain read then write loses counts on PostgreSQL's READ COMMITTED).
    account = signin_failures.hold(db, who.subject, now)
    signin_failures.put(db, who.subject, lockout.account_failure(account, now, c.lockout))
    address_key = lockout.address_subject(source_ip)
    address = signin_failures.hold(db, address_key, now)
    signin_failures.put(db, address_key, lockout.address_failure(address, now, c.lockout))


def _expiry(db: Connection, c: Console, who: Who, stage: Stage, now: datetime) -> datetime:
    if stage is not Stage.SIGNED_IN:
        return now + console_sessions.PENDING_LIMIT
    limit = c.limits.absolute
    profile = login_profiles.get(db, who.user.user_id) if who.user else None
    if profile and profile.max_signin_session_duration:
        limit = min(limit, timedelta(seconds=profile.max_signin_session_duration))
    return now + limit


def _apply(
    db: Connection,
    c: Console,
    t: Transition,
    who: Who,
    source_ip: str,
    now: datetime,
    session: console_sessions.Session | None = None,
    *,
    mfa: bool = False,
) -> str | None:
    """Carry out a transition's effects in `db`; a new session token if one was issued."""
    token = None
    for effect in t.effects:
        if effect is Effect.COUNT_FAILURE:
            _count_failure(db, c, who, source_ip, now)
        elif effect is Effect.CLEAR_FAILURES:
            signin_failures.clear(db, who.subject)
        elif effect in (Effect.START_SESSION, Effect.ADVANCE_SESSION):
            if session is not None:
                console_sessions.delete(db, session.token_hash)
            assert who.account is not None
            token = console_sessions.create(
                db,
                who.account.account_id,
                who.user.user_id if who.user else None,
                t.stage.value,
                mfa_authenticated=mfa or bool(session and session.mfa_authenticated),
                now=now,
                expires_at=_expiry(db, c, who, t.stage, now),
            )
        elif effect is Effect.END_SESSION and session is not None:
            console_sessions.delete(db, session.token_hash)
    if t.stage is Stage.SIGNED_IN and who.user is not None and token is not None:
        # PasswordLastUsed (GetUser, credential report): AWS records console sign-ins.
        users.note_password_used(db, who.user.user_id, now)
    return token


# ---- the steps --------------------------------------------------------------------


def judge_password(*, password_ok: bool, facts: PrincipalFacts, locked_now: bool) -> Transition:
    """need_password as recorded: `facts` were read before the password was hashed,
    `locked_now` is the lock state re-read under lock when the outcome is recorded. A
    lock seen at either point refuses the attempt, a correct password included (the
    same INCORRECT answer, nothing counted, no session): in a parallel burst the lock
    may be set by another guess while this one was being hashed."""
    return signin.after_password(
        password_ok=password_ok, facts=replace(facts, locked=facts.locked or locked_now)
    )


def password_step(
    c: Console,
    source_ip: str,
    password: str,
    *,
    account: str = "",
    user_name: str = "",
    root_email: str = "",
    user_agent: str = "",
) -> Outcome:
    """need_password: an IAM user (account + user name) or root (email) and a password."""
    now = c.clock.now()
    with c.store.reading() as db:
        who = find_root(db, root_email) if root_email else find_user(db, account, user_name)
        facts = facts_of(db, who, source_ip, now)
    # Always hashed, even for an unknown or locked principal: the same work, the same time.
    ok = verify_password(who.password_hash, password)
    with c.store.transaction() as db:
        locked_now = is_locked(db, who, source_ip, now, for_update=True)
        t = judge_password(password_ok=ok, facts=facts, locked_now=locked_now)
        token = _apply(db, c, t, who, source_ip, now)
        # Its CloudTrail events, in the same transaction (audit/signin_events.py).
        named = None if root_email else find_account(db, account)
        signin_events.after_password(
            db,
            recorder_for(c.store),
            who=who,
            account=named,
            user_name=user_name,
            root=bool(root_email),
            success=t.error is None,
            signed_in=t.stage is not Stage.NEED_MFA,
            has_mfa=facts.has_mfa,
            now=now,
            source_ip=source_ip,
            user_agent=user_agent,
            login_to=c.home_url,
        )
        notices = _judge_attempt(
            db, c, who, user_name, t, source_ip, now, mfa_used=False, named=named
        )
    _notify(c, notices)
    return Outcome(t, token)


def mfa_step(
    c: Console,
    session: console_sessions.Session,
    source_ip: str,
    serial_number: str,
    code: str,
    *,
    user_agent: str = "",
) -> Outcome:
    """need_mfa: a TOTP code from one of the principal's devices, each accepted once."""
    return second_factor_step(
        c,
        session,
        source_ip,
        lambda db, now: _claim_code(db, c, session, serial_number, code.strip(), now),
        serial_number=serial_number,
        user_agent=user_agent,
    )


# Whether the second factor was shown, judged in the step's transaction; it must use
# up what it accepted (a code's time step, a security key's challenge).
Proof = Callable[[Connection, datetime], bool]


def second_factor_step(
    c: Console,
    session: console_sessions.Session,
    source_ip: str,
    proof: Proof,
    *,
    serial_number: str | None = None,
    user_agent: str = "",
) -> Outcome:
    """need_mfa, for any kind of device: a code (mfa_step) or a security key's
    assertion (console/credentials/webauthn_keys.py); a failure counts as a wrong code."""
    now = c.clock.now()
    with c.store.transaction() as db:
        who = who_of(db, session)
        # The counters locked first: parallel guesses at the code are judged and
        # counted one after another, each seeing the failures before it.
        facts = facts_of(db, who, source_ip, now, for_update=True)
        ok = not facts.locked and proof(db, now)
        t = signin.after_mfa(code_ok=ok, facts=facts)
        token = _apply(db, c, t, who, source_ip, now, session, mfa=ok)
        signin_events.after_mfa(
            db,
            recorder_for(c.store),
            who=who,
            serial_number=serial_number,
            success=t.error is None,
            now=now,
            source_ip=source_ip,
            user_agent=user_agent,
            login_to=c.home_url,
        )
        name = who.user.user_name if who.user else ""
        notices = _judge_attempt(db, c, who, name, t, source_ip, now, mfa_used=ok)
    _notify(c, notices)
    return Outcome(t, token)


def _judge_attempt(
    db: Connection,
    c: Console,
    who: Who,
    typed_name: str,
    t: Transition,
    source_ip: str,
    now: datetime,
    *,
    mfa_used: bool,
    named: Account | None = None,
) -> list[Notice]:
    """The alarms' view of a sign-in step, in its transaction: a failure, or a
    completed sign-in (a correct password that still needs MFA is neither yet).
    `named`: the account the sign-in form named, known even for an unknown user
    name (password spraying tries names that do not exist)."""
    if c.alarms is None or (t.error is None and t.stage is not Stage.SIGNED_IN):
        return []
    root = who.account is not None and who.user is None
    name = "root" if root else (who.user.user_name if who.user else typed_name)
    account = who.account or named
    attempt = rules.SignIn(
        at=now,
        account_id=account.account_id if account else None,
        principal=who.subject,
        display_name=name,
        source_ip=source_ip,
        success=t.error is None,
        mfa_used=mfa_used,
        root=root,
    )
    subject = {"type": "Root"} if root else {"type": "IAMUser", "userName": name}
    return c.alarms.sign_in(db, attempt, subject)


def _notify(c: Console, notices: list[Notice]) -> None:
    """After the step's transaction committed: the findings to the alarm sinks."""
    if c.alarms is not None and notices:
        c.alarms.notify(notices)


def _claim_code(
    db: Connection,
    c: Console,
    session: console_sessions.Session,
    serial_number: str,
    code: str,
    now: datetime,
) -> bool:
    """Whether `code` is a fresh code of the chosen device; if so, the device's
    last_used_step moves to it in this same transaction, so it is used up."""
    allowed = {d.serial_number for d in mfa_choices(db, session.account_id, session.user_id)}
    if serial_number not in allowed:
        return False
    device = mfa_devices.get(db, session.account_id, serial_number)
    if device is None or device.seed_sealed is None:
        return False
    seed = c.box.open(device.seed_sealed, mfa_devices.seed_aad(serial_number))
    step = totp.verify(seed, code, totp.step_at(now), device.last_used_step)
    if step is None:
        return False
    # A conditional update, checked: of two concurrent uses of one code only one
    # moves the step (False: another sign-in claimed this step or a later one first).
    return mfa_devices.note_step(db, serial_number, step)


def new_password_step(
    c: Console,
    session: console_sessions.Session,
    source_ip: str,
    old: str,
    new: str,
    retype: str,
    *,
    user_agent: str = "",
) -> Outcome:
    """need_new_password: ChangePassword, through the same service and enforcement as
    the API, after checks that say which rule of the policy the password breaks."""
    now = c.clock.now()
    error = MISMATCH if new != retype else None
    with c.store.reading() as db:
        who = who_of(db, session)
        assert who.user is not None and who.account is not None
        if error is None:
            error = _policy_error(db, who, new)
    if error is None:
        # The API's ChangePassword, through the runner: its own transaction and record.
        error = _change_password(c, who, source_ip, now, old, new)
    with c.store.transaction() as db:
        t = signin.after_new_password(changed=error is None, error=error)
        token = _apply(db, c, t, who, source_ip, now, session)
    return Outcome(t, token)


def _policy_error(db: Connection, who: Who, new: str) -> str | None:
    assert who.account is not None
    return password_checks.policy_error(db, who.account, new)


def _change_password(
    c: Console,
    who: Who,
    source_ip: str,
    now: datetime,
    old: str,
    new: str,
) -> str | None:
    """ChangePassword as the user (not yet signed in: no session facts), run and
    recorded by the runner as the API's; None, or the message the page shows."""
    assert who.user is not None and who.account is not None
    principal = Principal(
        PrincipalKind.USER,
        who.account.account_id,
        who.user.arn,
        who.user.user_id,
        who.user.user_name,
    )
    ctx = RequestContext(
        request_id=ids.new_request_id(),
        principal=principal,
        now=now,
        region=c.region,
        service="iam",
        operation="ChangePassword",
        source_ip=source_ip,
        # CloudTrail's userAgent of console-made calls (console/actions.py).
        user_agent=audit_records.CONSOLE_USER_AGENT,
        secure_transport=False,
    )
    audit = c.runner.audit(from_console=True)
    audit.begin(ctx)
    params = audit.params = {"OldPassword": old, "NewPassword": new}
    try:
        c.runner.run(ctx, params, audit)
    except Refusal as refused:
        err = refused.error
        if err.code == "AccessDenied" and err.message != old_password_incorrect().message:
            return NOT_ALLOWED
        return err.message
    return None
