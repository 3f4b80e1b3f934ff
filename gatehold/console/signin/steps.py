"""The sign-in steps against the store: gather facts, ask signin.py, carry out its effects.

Blocking code (database, argon2): routes.py runs every function here in a worker
thread (anyio.to_thread), so a sign-in never stalls the event loop or API traffic.
Password hashing happens outside any transaction so it holds no database lock.

Concurrent sign-ins (a parallel guessing burst): whatever was read before the hash
is only a first look. The write transaction that records an outcome reads the
lockout counters again under a row lock (lockout_store: FOR UPDATE on PostgreSQL;
SQLite's write transaction is exclusive) and judges by them, so failures are counted
one after another, none lost, and a correct password whose outcome is recorded after
a lock was set is refused like any other attempt on a locked account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from gatehold import arn, ids
from gatehold.audit import records as audit_records
from gatehold.audit import signin_events
from gatehold.audit.alarms import rules
from gatehold.audit.alarms.service import Alarms
from gatehold.audit.alarms.sinks import Notice
from gatehold.audit.recorder import recorder_for
from gatehold.auth import lockout, totp
from gatehold.auth.lockout import LockoutPolicy
from gatehold.auth.password import verify_password
from gatehold.clock import Clock
from gatehold.console.credentials import password_checks
from gatehold.console.signin import machine as signin
from gatehold.console.signin.machine import Effect, PrincipalFacts, Stage, Transition
from gatehold.context import Principal, PrincipalKind, RequestContext
from gatehold.errors import AwsError
from gatehold.services.call import Call, Enforcer
from gatehold.services.iam import passwords
from gatehold.services.iam.identity_errors import old_password_incorrect
from gatehold.services.request_audit import RequestAudit
from gatehold.store import (
    accounts,
    console_sessions,
    login_profiles,
    mfa_devices,
    password_policy,
    schema,
    signin_failures,
    users,
)
from gatehold.store.db import Store
from gatehold.store.records import Account, User
from gatehold.store.secretbox import SecretBox

MISMATCH = "The passwords you entered do not match."
NOT_ALLOWED = "You do not have permission to change your password. Contact your administrator."


@dataclass(frozen=True)
class Limits:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass
class Console:
    """Everything the console's steps need; one per worker process."""

    store: Store
    box: SecretBox
    clock: Clock
    enforcer: Enforcer
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    limits: Limits = field(default_factory=Limits)
    region: str = "us-east-1"
    # Alarms for suspicious sign-ins (gatehold/alarms); None: none are raised.
    alarms: Alarms | None = None
    # Where a sign-in lands: ConsoleLogin's additionalEventData.LoginTo, an absolute
    # URL as AWS writes it (https://console.aws.amazon.com/console/home?...).
    home_url: str = signin_events.CONSOLE_HOME


@dataclass(frozen=True)
class Who:
    """Whoever a sign-in is for, as far as the store knows (None parts: unknown)."""

    subject: str  # the lockout subject, known user or not
    account: Account | None
    user: User | None = None  # None with an account: root
    password_hash: str | None = None


@dataclass(frozen=True)
class Outcome:
    transition: Transition
    token: str | None = None  # a new session token for the cookie


@dataclass(frozen=True)
class MfaChoice:
    serial_number: str
    device_name: str
    kind: str = mfa_devices.VIRTUAL  # or mfa_devices.U2F: a security key


# ---- finding the principal ------------------------------------------------------


def find_account(db: Connection, id_or_alias: str) -> Account | None:
    key = id_or_alias.strip()
    if key.isdigit() and len(key) == 12:
        return accounts.get(db, key)
    return accounts.by_alias(db, key.lower())


def _root_account(db: Connection, email: str) -> Account | None:
    t = schema.accounts
    row = db.execute(select(t.c.account_id).where(t.c.root_email_lower == email.lower())).first()
    return accounts.get(db, row[0]) if row else None


def _find_user(db: Connection, account_field: str, user_name: str) -> Who:
    account = find_account(db, account_field)
    subject = lockout.account_subject(account.account_id if account else account_field, user_name)
    user = users.get_by_name(db, account.account_id, user_name) if account else None
    profile = login_profiles.get(db, user.user_id) if user else None
    if account is None or user is None or profile is None:
        return Who(subject, None)
    return Who(subject, account, user, profile.password_hash)


def _find_root(db: Connection, email: str) -> Who:
    account = _root_account(db, email)
    subject = lockout.root_subject(email)
    return Who(subject, account, None, account.root_password_hash if account else None)


def _who_of(db: Connection, session: console_sessions.Session) -> Who:
    account = accounts.get(db, session.account_id)
    assert account is not None
    if session.user_id is None:
        return Who(
            lockout.root_subject(account.root_email), account, None, account.root_password_hash
        )
    user = users.get_by_id(db, session.user_id)
    assert user is not None
    return Who(lockout.account_subject(account.account_id, user.user_name), account, user)


# ---- facts --------------------------------------------------------------------


def mfa_choices(db: Connection, account_id: str, user_id: str | None) -> list[MfaChoice]:
    """The MFA devices a principal can sign in with: virtual devices (a code) and
    security keys (console/credentials/webauthn_keys.py)."""
    query, order = mfa_devices.owner_listing(account_id, user_id)
    rows = db.execute(query.order_by(*order))
    devices = [mfa_devices.record(r) for r in rows]
    return [
        MfaChoice(d.serial_number, d.device_name, d.kind)
        for d in devices
        if (d.kind == mfa_devices.VIRTUAL and d.seed_sealed is not None)
        or (d.kind == mfa_devices.U2F and d.public_key is not None)
    ]


def _locked(
    db: Connection, who: Who, source_ip: str, now: datetime, *, for_update: bool = False
) -> bool:
    """Whether the account or the source address is locked. for_update (in a write
    transaction): both rows stay locked until it ends, always account then address,
    the order _count_failure takes them in too, so two sign-ins never deadlock. The
    rows are held (created if missing): FOR UPDATE locks no row that does not exist,
    so the first burst of failures for a new subject would otherwise all be judged
    unlocked at once on PostgreSQL and all be counted, past the threshold."""
    address_key = lockout.address_subject(source_ip)
    if for_update:
        account = signin_failures.hold(db, who.subject, now)
        address = signin_failures.hold(db, address_key, now)
    else:
        account = signin_failures.get(db, who.subject)
        address = signin_failures.get(db, address_key)
    return lockout.is_locked(account, now) or lockout.is_locked(address, now)


def _facts(
    db: Connection,
    c: Console,
    who: Who,
    source_ip: str,
    now: datetime,
    *,
    for_update: bool = False,
) -> PrincipalFacts:
    locked = _locked(db, who, source_ip, now, for_update=for_update)
    if who.account is None:
        return PrincipalFacts(False, locked, False, False, False, False)
    user_id = who.user.user_id if who.user else None
    has_mfa = bool(mfa_choices(db, who.account.account_id, user_id))
    if who.user is None:
        return PrincipalFacts(True, locked, has_mfa, False, False, False)
    profile = login_profiles.get(db, who.user.user_id)
    policy = password_policy.get(db, who.account.account_id)
    expired = bool(
        profile
        and policy
        and policy.max_password_age
        and now - profile.password_changed_at > timedelta(days=policy.max_password_age)
    )
    return PrincipalFacts(
        True,
        locked,
        has_mfa,
        bool(profile and profile.password_reset_required),
        expired,
        bool(policy and policy.hard_expiry),
    )


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
        db.execute(
            schema.users.update()
            .where(schema.users.c.user_id == who.user.user_id)
            .values(password_last_used=now)
        )
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
        who = _find_root(db, root_email) if root_email else _find_user(db, account, user_name)
        facts = _facts(db, c, who, source_ip, now)
    # Always hashed, even for an unknown or locked principal: the same work, the same time.
    ok = verify_password(who.password_hash, password)
    with c.store.transaction() as db:
        locked_now = _locked(db, who, source_ip, now, for_update=True)
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


def _may_still_sign_in(db: Connection, session: console_sessions.Session) -> bool:
    """A deleted user, or one whose console access (login profile) was removed,
    loses every session at once: an administrator's removal must take effect."""
    if session.user_id is None:
        return accounts.get(db, session.account_id) is not None
    return (
        users.get_by_id(db, session.user_id) is not None
        and login_profiles.get(db, session.user_id) is not None
    )


def load_session(c: Console, token: str | None) -> console_sessions.Session | None:
    """The live session for a cookie (expired and idle ones are removed)."""
    now = c.clock.now()
    with c.store.reading() as db:
        found = console_sessions.find(db, token)
        gone = found is not None and not _may_still_sign_in(db, found)
    if found is None:
        return None
    if gone or not console_sessions.alive(found, now, c.limits.idle):
        with c.store.transaction() as db:
            console_sessions.delete(db, found.token_hash)
        return None
    if now - found.last_seen_at >= timedelta(minutes=1):
        with c.store.transaction() as db:
            console_sessions.touch(db, found, now)
    return found


def pending_choices(c: Console, session: console_sessions.Session) -> list[MfaChoice]:
    with c.store.reading() as db:
        return mfa_choices(db, session.account_id, session.user_id)


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
        who = _who_of(db, session)
        # The counters locked first: parallel guesses at the code are judged and
        # counted one after another, each seeing the failures before it.
        facts = _facts(db, c, who, source_ip, now, for_update=True)
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
    # moves the step (mfa_devices.note_step does not say whether it did).
    t = schema.mfa_devices
    moved = db.execute(
        t.update()
        .where(t.c.serial_number == serial_number)
        .where(t.c.last_used_step.is_(None) | (t.c.last_used_step < step))
        .values(last_used_step=step)
    ).rowcount
    return moved == 1


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
    with c.store.transaction() as db:
        who = _who_of(db, session)
        assert who.user is not None and who.account is not None
        if error is None:
            error = _policy_error(db, who, new)
        if error is None:
            error = _change_password(db, c, who, source_ip, now, old, new, user_agent)
        t = signin.after_new_password(changed=error is None, error=error)
        # On an error nothing was written: change_password validates before it writes.
        token = _apply(db, c, t, who, source_ip, now, session)
    return Outcome(t, token)


def _policy_error(db: Connection, who: Who, new: str) -> str | None:
    assert who.account is not None
    return password_checks.policy_error(db, who.account, new)


def _change_password(
    db: Connection,
    c: Console,
    who: Who,
    source_ip: str,
    now: datetime,
    old: str,
    new: str,
    user_agent: str = "",
) -> str | None:
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
    # Recorded in this transaction, success or failure: a refused change writes nothing.
    audit = RequestAudit(recorder_for(c.store), from_console=True)
    audit.begin(ctx)
    params = audit.params = {"OldPassword": old, "NewPassword": new}
    try:
        result = passwords.change_password(audit.watch(Call(ctx, db, c.enforcer, c.box)), params)
    except AwsError as err:
        audit.failed(err, db)
        if err.code == "AccessDenied" and err.message != old_password_incorrect().message:
            return NOT_ALLOWED
        return err.message
    audit.succeeded(db, result)
    return None


def sign_out(c: Console, session: console_sessions.Session, *, everywhere: bool = False) -> None:
    """End this session, or (everywhere) every session of the same principal."""
    with c.store.transaction() as db:
        if everywhere:
            console_sessions.delete_for_principal(db, session.account_id, session.user_id)
        else:
            console_sessions.delete(db, session.token_hash)


@dataclass(frozen=True)
class HomeFacts:
    arn: str
    account_id: str
    alias: str | None
    name: str
    mfa: bool


def home(c: Console, session: console_sessions.Session) -> HomeFacts:
    with c.store.reading() as db:
        who = _who_of(db, session)
    assert who.account is not None
    if who.user is None:
        return HomeFacts(
            arn.root_arn(who.account.account_id),
            who.account.account_id,
            who.account.alias,
            who.account.root_email,
            session.mfa_authenticated,
        )
    return HomeFacts(
        who.user.arn,
        who.account.account_id,
        who.account.alias,
        who.user.user_name,
        session.mfa_authenticated,
    )


def unlock(
    conn: Connection,
    account_id: str,
    user_name: str | None,
    *,
    by: str = "administrator",
    now: datetime | None = None,
) -> bool:
    """An administrator's unlock: forget the account's failures (None: root's).
    `by` (who unlocked: an ARN, or the operator's CLI) goes into the audit record."""
    account = accounts.get(conn, account_id)
    if user_name is None:
        if account is None:
            return False
        had = signin_failures.clear(conn, lockout.root_subject(account.root_email))
    else:
        had = signin_failures.clear(conn, lockout.account_subject(account_id, user_name))
    if had and account is not None:
        user = users.get_by_name(conn, account_id, user_name) if user_name else None
        signin_events.unlocked(
            conn,
            None,  # only the connection is at hand: stored in it, whatever the setting
            account=account,
            user=user,
            user_name=user_name,
            by=by,
            now=now,
        )
    return had
