"""Browser steps shared by the browser tests (fixtures are in tests/browser/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.servers import RunningServer


def console_url(server: RunningServer) -> str:
    return f"http://localhost:{server.port}/console?account={server.account_id}"


def sign_in(
    pg: Any, shot: Callable[[str], None], server: RunningServer, name: str, password: str
) -> None:
    pg.goto(console_url(server))
    # The account comes pre-filled from the console URL `gatehold init` prints.
    assert pg.get_by_label("Account ID or alias").input_value() == server.account_id
    pg.get_by_label("IAM user name").fill(name)
    pg.get_by_label("Password").fill(password)
    shot("signin-form")
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_load_state()
