"""The `gatehold` command: init, serve, migrate.

The command-line contract is stable (users script against it): see README.md.
"""

from __future__ import annotations

import argparse
import sys

from gatehold.cli.common import settings_from_args, store_args
from gatehold.cli.init import cmd_init
from gatehold.cli.serve import cmd_migrate, cmd_serve
from gatehold.config import DEFAULT_HOST, DEFAULT_PORT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gatehold", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create the store, the account, root and the admin user")
    store_args(p)
    p.add_argument("--root-email", required=True)
    p.add_argument(
        "--host", default=DEFAULT_HOST, help="where `serve` will listen (for the profile)"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="where `serve` will listen")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--write-profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write (or not) the AWS CLI profile 'gatehold' without asking",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve the API, console and portal on one port")
    store_args(p)
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="bring the store's schema up to date")
    store_args(p)
    p.set_defaults(func=cmd_migrate)

    from gatehold.cli import policy  # offline policy tools: `gatehold policy validate|eval`

    policy.add_parser(sub)

    from gatehold.cli import users  # `gatehold users unlock`: end a console lockout

    users.add_parser(sub, store_args, settings_from_args)

    from gatehold.cli import root  # `gatehold root reset-mfa`: a lost root MFA device

    root.add_parser(sub, store_args, settings_from_args)

    from gatehold.cli import events  # `gatehold events tail`: the audit log for operators

    events.add_parser(sub, store_args, settings_from_args)

    from gatehold.cli import (
        run as run_cli,  # `gatehold run --role ARN -- COMMAND`: workload credentials
    )

    run_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
