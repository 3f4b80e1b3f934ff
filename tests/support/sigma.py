"""Public Sigma rules evaluated offline against gatehold's CloudTrail records.

pySigma has no in-memory matcher: a rule is converted to SQL by
pysigma-backend-sqlite and run over a SQLite table `logs` holding the records
flattened to dotted keys (`responseElements.ConsoleLogin`). Sigma matches
case-insensitively while SQLite's `=` does not, so every column is declared
TEXT COLLATE NOCASE (the SigmaHQ "without MFA" rule says 'NO' where AWS writes
"No"). A field no record has is a column of NULLs, as a missing field is to a
Sigma backend: a selection on it matches nothing, and `not` a filter on it
matches everything the rest of the rule selects.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from tests.support import conformance

RULES = conformance.path(conformance.SIGMA)


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif value is None:
            continue
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, list):
            flat[name] = json.dumps(value)
        else:
            flat[name] = str(value)
    return flat


def queries(rule_file: str) -> list[str]:
    from sigma.backends.sqlite.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection

    rules = SigmaCollection.from_yaml((RULES / rule_file).read_text())
    backend = sqliteBackend()  # type: ignore[no-untyped-call]  # pySigma's __init__ is untyped
    return [str(q) for q in backend.convert(rules)]


def matching_event_ids(rule_file: str, records: Iterable[dict[str, Any]]) -> set[str]:
    """The eventIDs of the records the rule fires on."""
    rows = [flatten(r) for r in records]
    columns = sorted({k for row in rows for k in row})
    db = sqlite3.connect(":memory:")
    quoted = ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in columns)
    db.execute(f"CREATE TABLE logs ({quoted})")
    marks = ", ".join("?" for _ in columns)
    db.executemany(
        f"INSERT INTO logs VALUES ({marks})", [[row.get(c) for c in columns] for row in rows]
    )
    found: set[str] = set()
    for query in queries(rule_file):
        cursor = _run(db, query)
        names = [d[0] for d in cursor.description]
        found |= {dict(zip(names, row, strict=True))["eventID"] for row in cursor}
    return found


_MISSING = re.compile(r"no such column: (.+)$")


def _run(db: sqlite3.Connection, query: str) -> sqlite3.Cursor:
    """Run `query`, first adding as NULL columns the fields it names that no record has."""
    for _ in range(50):  # a rule names a handful of fields
        try:
            return db.execute(query)
        except sqlite3.OperationalError as err:
            missing = _MISSING.search(str(err))
            if missing is None:
                raise
            column = missing.group(1).strip('`"')
            db.execute(f'ALTER TABLE logs ADD COLUMN "{column}" TEXT COLLATE NOCASE')
    raise AssertionError(f"query names too many absent fields: {query}")
