"""Event history in Chromium: sign in, find your own ConsoleLogin, open its record,
filter by event name. Fields found by their labels, a screenshot per step
(test-artifacts/console/<test>/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.support.audit_events import lookup
from tests.support.browser import sign_in
from tests.support.console import PASSWORD, make_user
from tests.support.servers import RunningServer

LOOKUP_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}],
}


def test_a_user_finds_their_sign_in_and_filters_by_event_name(
    server: RunningServer, page: Any, shot: Callable[[str], None]
) -> None:
    name = make_user(server)
    iam = server.client("iam")
    iam.put_user_policy(UserName=name, PolicyName="lookup", PolicyDocument=json.dumps(LOOKUP_ONLY))
    iam.create_user(UserName=f"{name}-made")  # an event of another kind, by the admin
    sign_in(page, shot, server, name, PASSWORD)
    page.get_by_role("link", name="Event history").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Event history").is_visible()
    (login,) = [e for e in lookup(server, "Username", name) if e["EventName"] == "ConsoleLogin"]
    row = page.locator(f"#event-{login['EventId']}")
    assert row.get_by_role("cell", name="ConsoleLogin", exact=True).is_visible()
    assert row.get_by_role("cell", name=name, exact=True).is_visible()
    shot("event-history")

    row.get_by_text("Event record").click()  # <details>: no script needed
    record = json.loads(row.locator("pre").inner_text())
    assert record["eventID"] == login["EventId"]
    assert record["responseElements"] == {"ConsoleLogin": "Success"}
    shot("record-expanded")

    page.get_by_label("Lookup attribute").select_option(label="Event name")
    page.get_by_label("Attribute value").fill("CreateUser")
    shot("filter-form")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    names = page.locator("tbody.event tr:first-child td:nth-child(2)").all_inner_texts()
    assert names and set(names) == {"CreateUser"}
    assert page.locator(f"#event-{login['EventId']}").count() == 0
    assert page.get_by_label("Attribute value").input_value() == "CreateUser"
    shot("filtered")
