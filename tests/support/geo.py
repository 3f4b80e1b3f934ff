"""A MaxMind-format database the tests write themselves (mmdb-writer), laid out as
GeoLite2-City records: documentation address ranges placed in three cities."""

from __future__ import annotations

from pathlib import Path

from netaddr import IPSet

# (network, country, latitude, longitude): RFC 5737 documentation ranges.
PLACES = {
    "berlin": ("198.51.100.0/24", "DE", 52.52, 13.40),
    "potsdam": ("192.0.2.0/25", "DE", 52.39, 13.06),
    "sydney": ("203.0.113.0/24", "AU", -33.87, 151.21),
}


def address_in(city: str, host: int = 10) -> str:
    network = PLACES[city][0]
    base = network.split("/")[0].rsplit(".", 1)[0]
    return f"{base}.{host}"


def write_city_database(path: Path) -> Path:
    from mmdb_writer import MMDBWriter

    writer = MMDBWriter(ip_version=4, database_type="GeoLite2-City")
    for network, country, latitude, longitude in PLACES.values():
        writer.insert_network(
            IPSet([network]),
            {
                "country": {"iso_code": country},
                "location": {"latitude": latitude, "longitude": longitude},
            },
        )
    writer.to_db_file(str(path))
    return path
