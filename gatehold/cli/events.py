"""`gatehold events tail`: the audit log for operators, one CloudTrail record per line.

    gatehold events tail                       the last 20 records
    gatehold events tail -n 100 --follow       then every new one as it is stored
    gatehold events tail --filter eventName=ConsoleLogin --filter sourceIPAddress=203.0.113.7
    gatehold events tail --account-id 123456789012 --filter userIdentity.userName=alice

A filter is KEY=VALUE on a record's field, dotted for nested ones
(userIdentity.type, responseElements.ConsoleLogin, additionalEventData.MFAUsed);
values compare case-insensitively, as log tools usually do. All filters must match.
Operator-side: it opens the store directly, like `gatehold migrate`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import orjson

from gatehold.audit import follow as audit_follow
from gatehold.store.db import Store

Record = dict[str, Any]
POLL_SECONDS = 1.0


def parse_filter(text: str) -> tuple[list[str], str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"a filter is KEY=VALUE, not {text!r}")
    return key.split("."), value


def field_of(record: Record, path: list[str]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def matches(record: Record, filters: Iterable[tuple[list[str], str]]) -> bool:
    for path, wanted in filters:
        value = field_of(record, path)
        if isinstance(value, bool):
            value = "true" if value else "false"
        if value is None or str(value).casefold() != wanted.casefold():
            return False
    return True


def last_records(store: Store, count: int) -> tuple[list[Record], int]:
    """The newest `count` records, oldest first, and the cursor after them."""
    with store.reading() as db:
        return audit_follow.newest(db, count)


def tail(
    store: Store,
    out: TextIO,
    count: int,
    *,
    follow: bool,
    keep: Callable[[Record], bool],
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> None:
    """Print the last `count` matching records; with `follow`, then new ones until
    interrupted (or for `rounds` polls)."""
    records, cursor = last_records(store, count)
    _print([r for r in records if keep(r)], out)
    polls = 0
    while follow and (rounds is None or polls < rounds):
        sleep(POLL_SECONDS)
        polls += 1
        while True:
            with store.reading() as db:
                batch, cursor = audit_follow.since(db, cursor)
            _print([r for r in batch if keep(r)], out)
            if len(batch) < 1000:
                break


def _print(records: list[Record], out: TextIO) -> None:
    out.writelines(orjson.dumps(record).decode("utf-8") + "\n" for record in records)
    out.flush()


def cmd_tail(args: argparse.Namespace, settings: Any) -> int:
    filters = list(args.filter or [])
    if args.account_id:
        filters.append((["recipientAccountId"], args.account_id))
    store = Store.open(settings.store_url)
    try:
        tail(store, sys.stdout, args.lines, follow=args.follow, keep=lambda r: matches(r, filters))
    except KeyboardInterrupt:
        pass
    finally:
        store.dispose()
    return 0


def add_parser(sub: Any, store_args: Any, settings_of: Any) -> None:
    events = sub.add_parser("events", help="the audit log (CloudTrail records)")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    p = events_sub.add_parser("tail", help="print the newest records, and follow new ones")
    store_args(p)
    p.add_argument(
        "-n",
        "--lines",
        type=int,
        default=20,
        help="how many of the newest records to look through first",
    )
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new records")
    p.add_argument("--filter", action="append", type=parse_filter, metavar="KEY=VALUE")
    p.add_argument("--account-id", help="only this account's records")
    p.set_defaults(func=lambda args: cmd_tail(args, settings_of(args)))
