"""`gatehold root reset-mfa`: the operator starts the recovery of a lost root MFA device.

    gatehold root reset-mfa --account-id 123456789012 [--console-url https://iam.example]

Operator-side (it opens the store directly, like `gatehold users unlock`): whoever runs
it holds the server's master key and data folder, and is expected to have checked who
is asking, as AWS's support checks the phone number on file. It removes nothing itself:
it mails the root user a single-use link (through SMTP, or to the outbox folder) that
removes root's MFA devices only when opened with root's password. So a lost device is
recovered with the operator's approval, the mailbox and the password together; neither
the operator alone nor the mailbox alone is enough. See console/recovery/steps.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from gatehold.clock import SystemClock
from gatehold.console.recovery import steps
from gatehold.mail import sender_for
from gatehold.store.db import Store


def cmd_reset_mfa(args: argparse.Namespace, settings: Any) -> int:
    if args.console_url:
        settings = dataclasses.replace(settings, public_url=args.console_url)
    store = Store.open(settings.store_url)
    try:
        r = steps.from_settings(store, SystemClock(), sender_for(settings), settings)
        sent_to = steps.issue_mfa_link(r, args.account_id)
    finally:
        store.dispose()
    if sent_to is None:
        print(
            f"gatehold: no link sent: no account {args.account_id}, or "
            f"{steps.MAX_LINKS_PER_HOUR} links were sent in the last hour",
            file=sys.stderr,
        )
        return 1
    where = f"SMTP {settings.smtp_host}" if settings.smtp_host else "the outbox folder"
    print(f"sent a link that removes root's MFA devices to {sent_to} (via {where})")
    return 0


def add_parser(sub: Any, store_args: Any, settings_of: Any) -> None:
    root = sub.add_parser("root", help="operator actions on an account's root user")
    root_sub = root.add_subparsers(dest="root_command", required=True)
    p = root_sub.add_parser(
        "reset-mfa", help="mail root a single-use link that removes its MFA devices"
    )
    store_args(p)
    p.add_argument("--account-id", "--account", dest="account_id", required=True)
    p.add_argument(
        "--console-url",
        default=None,
        help="where the link points (default: $GATEHOLD_PUBLIC_URL, else http://localhost:7480)",
    )
    p.set_defaults(func=lambda args: cmd_reset_mfa(args, settings_of(args)))
