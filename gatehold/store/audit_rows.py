"""The audit log's storage format: rows, segments and their keys. Pure: no database
work, so the recorder's batcher makes its segments before it opens a transaction;
store/audit_segments.py stores and reads them, schema step 3 (store/migration_v3.py)
makes rows of the old table's.

A Row is one record as the log stores it (audit/log.py makes it from a CloudTrail
record). Rows are stored in segments (store/schema.py, audit_segments): the rows
stored together for one account (a batch of the recorder, the one record of a
change) become one segment row holding their columns as one JSON array and their
records as one byte string, plus one audit_segment_keys row per distinct attribute
value they carry (EventName, Username, ...). Why: one row and a handful of keys per
batch, rather than a row and its index entries per record, is what keeps recording
cheap (the figures: bench/README.md, audit_cost.py).

A segment spans at most MAX_SPAN, which bounds how far past a page's position
LookupEvents' merge must look (audit/lookup.py).

An eventID needs no key of its own when it carries its record's time (the
recorder's version-7 IDs do: records.new_event_id): LookupEvents opens the segments
around that millisecond. Any other eventID gets an "EventId" key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# The longest attribute value kept in a key (audit_segment_keys.value); longer ones
# are cut, and lookups cut the value they look for the same way.
MAX_VALUE = 512
# The longest time one segment spans: rows further apart go to separate segments.
MAX_SPAN = timedelta(seconds=60)
# Rows per segment at most (the recorder's batches are smaller).
MAX_SEGMENT = 1000


# One record as the log stores it (audit/log.py's `row` makes it,
# store/audit_segments.py's `insert` stores it): the columns
# LookupEvents filters on, the record's resource lookups, and the record's JSON.
Row = tuple[
    str,  # 0 event_id
    str,  # 1 account_id
    str,  # 2 event_time: exact, UTC, "YYYY-MM-DD HH:MM:SS.ffffff" (text_time)
    str,  # 3 event_name
    str,  # 4 event_source
    str | None,  # 5 username
    str | None,  # 6 access_key_id
    bool,  # 7 read_only
    list[tuple[str, str]] | None,  # 8 resources: [(ResourceType, ResourceName)], None: none
    list[tuple[str, str]],  # 9 lookups: (ResourceType|ResourceName, value), each once
    bytes,  # 10 the record as JSON (UTF-8)
]


def text_time(at: datetime) -> str:
    """An exact UTC time as the log keeps it (text order is time order; the text
    SQLAlchemy's DateTime keeps in SQLite)."""
    # == strftime("%Y-%m-%d %H:%M:%S.%f"), but cheaper, and it runs once per record
    # (bench/README.md, audit_cost.py)
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def time_from_text(text: str) -> datetime:
    """The time a text_time text stands for."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def resource_values(res: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(attribute, value) pairs of a record's resources, each once."""
    out: list[tuple[str, str]] = []
    for kind, name in res:
        for pair in (("ResourceType", kind[:MAX_VALUE]), ("ResourceName", name[:MAX_VALUE])):
            if pair not in out:
                out.append(pair)
    return out


# ---- segments: pure -----------------------------------------------------------------


@dataclass
class Segment:
    """Rows of one account as one segment row: what audit_segments.insert stores."""

    account_id: str
    first_time: str
    last_time: str
    # Per record: [event_id, time, event_name, event_source, username,
    # access_key_id, read_only, resources, offset, length] (Column below).
    columns: list[list[Any]] = field(default_factory=list)
    records: list[bytes] = field(default_factory=list)
    size: int = 0
    # The latest time of the records of each shape (their lookup columns: rows
    # alike in those carry the same keys), and of each eventID needing a key.
    _shapes: dict[tuple[Any, ...], str] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)

    def add(self, r: Row) -> None:
        at = r[2]
        self.first_time = min(self.first_time, at)
        self.last_time = max(self.last_time, at)
        self.columns.append([r[0], at, r[3], r[4], r[5], r[6], r[7], r[8], self.size, len(r[10])])
        self.records.append(r[10])
        self.size += len(r[10])
        shape = (r[3], r[4], r[5], r[6], r[7], tuple(r[9]))
        if self._shapes.get(shape, "") < at:
            self._shapes[shape] = at
        if not _id_carries_time(r[0], at):
            self._ids[r[0][:MAX_VALUE]] = at

    def keys(self) -> dict[tuple[str, str], str]:
        """(attribute, value) -> the latest time of the records that carry it."""
        keys: dict[tuple[str, str], str] = {}
        for shape, at in self._shapes.items():
            for pair in _keys_of(shape):
                if keys.get(pair, "") < at:
                    keys[pair] = at
        for event_id, at in self._ids.items():
            keys[("EventId", event_id)] = at
        return keys


class Column:
    """Positions in a segment's per-record columns."""

    EVENT_ID, TIME, NAME, SOURCE, USERNAME, ACCESS_KEY, READ_ONLY, RESOURCES, OFFSET, LENGTH = (
        range(10)
    )


def _keys_of(shape: tuple[Any, ...]) -> Iterator[tuple[str, str]]:
    """The keys of records of a shape: (event_name, event_source, username,
    access_key_id, read_only, resource lookups)."""
    name, source, username, access_key, read_only, lookups = shape
    yield ("EventName", name[:MAX_VALUE])
    yield ("EventSource", source[:MAX_VALUE])
    yield ("ReadOnly", "true" if read_only else "false")
    if username:
        yield ("Username", username[:MAX_VALUE])
    if access_key:
        yield ("AccessKeyId", access_key[:MAX_VALUE])
    yield from lookups


def segments_of(rows: Iterable[Row]) -> list[Segment]:
    """`rows` as segments, in the order of their first rows: one per account, split
    where a row falls outside MAX_SPAN around a segment's first row's time or a
    segment holds MAX_SEGMENT rows."""
    made: list[Segment] = []
    open_: dict[str, tuple[Segment, str, str]] = {}  # account: segment, its time window
    for r in rows:
        at = r[2]
        found = open_.get(r[1])
        if found is None or not found[1] <= at <= found[2] or len(found[0].records) >= MAX_SEGMENT:
            first = time_from_text(at)
            found = open_[r[1]] = (
                Segment(r[1], at, at),
                text_time(first - MAX_SPAN / 2),
                text_time(first + MAX_SPAN / 2),
            )
            made.append(found[0])
        found[0].add(r)
    return made


def _id_carries_time(event_id: str, at: str) -> bool:
    """Whether `event_id` is a version-7 UUID whose millisecond is the record's."""
    ms = id_ms(event_id)
    if ms is None:
        return False
    whole, fraction = divmod(ms, 1000)
    return at[20:23] == f"{fraction:03d}" and at[:19] == second_text(whole)


def id_ms(event_id: str) -> int | None:
    """The Unix millisecond a version-7 UUID carries (None: not such a UUID)."""
    if len(event_id) != 36 or event_id[14] != "7":
        return None
    try:
        return int(event_id[:8] + event_id[9:13], 16)
    except ValueError:
        return None


def second_text(unix_second: int) -> str:
    """ "YYYY-MM-DD HH:MM:SS" of a Unix second (the log's time text, to the second);
    the current second's is made once."""
    global _second
    if _second[0] != unix_second:
        text = (
            (EPOCH + timedelta(seconds=unix_second)).replace(tzinfo=None).isoformat(" ", "seconds")
        )
        _second = (unix_second, text)
    return _second[1]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_second: tuple[int, str] = (-1, "")  # replaced whole: threads never see a mix
