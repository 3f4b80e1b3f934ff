"""Addresses are placed by a MaxMind-format database, and unknown without one."""

from __future__ import annotations

from pathlib import Path

from gatehold.audit.alarms.geo import UNKNOWN, Geo
from gatehold.audit.alarms.rules import Place
from tests.support.geo import address_in, write_city_database


def test_addresses_are_placed_by_the_database(tmp_path: Path) -> None:
    geo = Geo(write_city_database(tmp_path / "city.mmdb"))
    try:
        assert geo.place(address_in("sydney")) == Place("AU", -33.87, 151.21)
        assert geo.place(address_in("berlin")).country == "DE"
        assert geo.place("10.1.2.3") == UNKNOWN  # not in the database
        assert geo.place("not-an-address") == UNKNOWN
    finally:
        geo.close()


def test_without_a_database_every_address_is_unknown() -> None:
    assert Geo(None).place(address_in("sydney")) == UNKNOWN
