"""A console session once it exists: loading the one behind a cookie (and ending it
when it has expired or its principal lost console access), the MFA devices a
half-finished sign-in may use, signing out, and the facts the home page shows.

Blocking code (database): the pages run these in a worker thread (Web.run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from gatehold import arn
from gatehold.console.core import Console
from gatehold.console.signin.who import MfaChoice, mfa_choices, who_of
from gatehold.store import accounts, console_sessions, login_profiles, users


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
        who = who_of(db, session)
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
