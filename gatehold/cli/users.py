"""`gatehold users unlock`: an administrator lets a locked-out console user back in at once.

    gatehold users unlock --account-id 123456789012 --user-name alice
    gatehold users unlock --account-id 123456789012 --root

Operator-side (it opens the store directly, like `gatehold migrate`). An API
operation for the same (and a console button) is left for the admin pages: IAM has
no such operation, so it would be a gatehold extension.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gatehold.console.signin.unlock import unlock
from gatehold.store.db import Store


def cmd_unlock(args: argparse.Namespace, settings: Any) -> int:
    if not args.root and not args.user_name:
        print("gatehold: give --user-name NAME or --root", file=sys.stderr)
        return 2
    store = Store.open(settings.store_url)
    try:
        with store.transaction() as db:
            had = unlock(
                db,
                args.account_id,
                None if args.root else args.user_name,
                by="gatehold users unlock (operator)",
            )
    finally:
        store.dispose()
    who = "root" if args.root else args.user_name
    print(
        f"unlocked {who} in {args.account_id}"
        if had
        else f"{who} in {args.account_id} was not locked"
    )
    return 0


def add_parser(sub: Any, store_args: Any, settings_of: Any) -> None:
    users = sub.add_parser("users", help="operator actions on users (console lockout)")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    p = users_sub.add_parser("unlock", help="clear a user's failed console sign-ins now")
    store_args(p)
    p.add_argument("--account-id", required=True)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--user-name")
    who.add_argument("--root", action="store_true", help="the account's root user")
    p.set_defaults(func=lambda args: cmd_unlock(args, settings_of(args)))
