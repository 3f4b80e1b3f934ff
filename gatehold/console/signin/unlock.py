"""An administrator's unlock of a console lockout, before it would expire.

Two callers: the Unlock button on a user's administration page
(console/admin/user_access.py, authorized as iam:UpdateLoginProfile) and the
operator's `gatehold users unlock` (cli/users.py). Both run it in their own
transaction; it only forgets the failures and records who let the user back in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from gatehold.audit import signin_events
from gatehold.auth import lockout
from gatehold.store import accounts, signin_failures, users


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
