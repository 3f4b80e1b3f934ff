"""Where an address is: a MaxMind-format database (GeoLite2/GeoIP2 Country or City,
or any .mmdb with the same record layout), when the operator configures one.

Without a database every address is "somewhere unknown": the country and travel
rules stay quiet and the address rules still work.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from gatehold.audit.alarms.rules import Place

UNKNOWN = Place()


class Geo:
    def __init__(self, database: Path | None) -> None:
        self._reader: Any = None
        if database is not None:
            import maxminddb  # only needed when a database is configured

            self._reader = maxminddb.open_database(str(database))

    def place(self, address: str) -> Place:
        if self._reader is None:
            return UNKNOWN
        try:
            ipaddress.ip_address(address)
            record = self._reader.get(address)
        except ValueError:  # not an address (a test client's name, say)
            return UNKNOWN
        if not isinstance(record, dict):
            return UNKNOWN
        country = (record.get("country") or {}).get("iso_code")
        location = record.get("location") or {}
        return Place(country, location.get("latitude"), location.get("longitude"))

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
