"""The console's Event history (/console/events) over plain HTTP against a real
`gatehold serve`: a GET search form over cloudtrail LookupEvents, run as the
signed-in user, so cloudtrail:LookupEvents decides what they see."""

from __future__ import annotations

import html
import json
import re
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from tests.support.audit_events import lookup, wait_for
from tests.support.aws import error_of, unique
from tests.support.console import PASSWORD, make_user
from tests.support.console_http import Browser, Page, sign_in
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer

EVENT_ROW = re.compile(r'<tbody class="event" id="event-([0-9a-f-]+)">')
LOOKUP_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}],
}


def _reader(server: RunningServer) -> tuple[str, Browser]:
    """A user allowed cloudtrail:LookupEvents and nothing else, signed in."""
    name = make_user(server)
    server.client("iam").put_user_policy(
        UserName=name, PolicyName="lookup", PolicyDocument=json.dumps(LOOKUP_ONLY)
    )
    b = Browser(f"http://127.0.0.1:{server.port}")
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/console"
    return name, b


def _search(b: Browser, **query: str) -> Page:
    return b.get("/console/events?" + urllib.parse.urlencode(query))


def _event_ids(page: Page) -> list[str]:
    return EVENT_ROW.findall(page.body)


@pytest.fixture(scope="module")
def reader(server: RunningServer) -> tuple[str, Browser]:
    return _reader(server)


def test_the_page_lists_my_console_login_with_its_record(
    server: RunningServer, reader: tuple[str, Browser]
) -> None:
    name, b = reader
    page = b.get("/console/events")
    assert page.status == 200
    labels = set(page.fields().labels)
    assert {"Lookup attribute", "Attribute value", "Start time", "End time"} <= labels
    for option in ("Event name", "User name", "Event source", "Resource name", "Access key ID",
                   "Read only"):  # fmt: skip
        assert f">{option}</option>" in page.body
    (login,) = [e for e in lookup(server, "Username", name) if e["EventName"] == "ConsoleLogin"]
    assert login["EventId"] in _event_ids(page)
    # The row's expandable record is the CloudTrailEvent the API answers.
    row = page.body.split(f'id="event-{login["EventId"]}"', 1)[1].split("</tbody>", 1)[0]
    assert f"<td>{html.escape(name)}</td>" in row and "<td>127.0.0.1</td>" in row
    shown = html.unescape(row.split("<pre>", 1)[1].split("</pre>", 1)[0])
    assert json.loads(shown) == json.loads(login["CloudTrailEvent"])
    assert "<details><summary>Event record</summary>" in row


def test_filter_by_user_name_and_event_name(
    server: RunningServer, reader: tuple[str, Browser]
) -> None:
    name, b = reader
    other = make_user(server)
    assert sign_in(Browser(b.base), server.account_id, other, PASSWORD).path == "/console"
    mine = _search(b, attribute="Username", value=name)
    assert mine.status == 200
    shown = _event_ids(mine)
    # Read afterwards: the reader's own LookupEvents calls (this page's too) reach the
    # log through the batcher, so the API may know a few more by now.
    after = lookup(server, "Username", name)
    assert [e["EventId"] for e in after if e["EventId"] in shown] == shown  # newest first
    assert {e["EventId"] for e in after if e["EventName"] == "ConsoleLogin"} <= set(shown)
    assert not set(shown) & {e["EventId"] for e in lookup(server, "Username", other)}
    logins = _search(b, attribute="EventName", value="ConsoleLogin")
    ids = set(_event_ids(logins))
    assert {e["EventId"] for e in lookup(server, "Username", other)
            if e["EventName"] == "ConsoleLogin"} <= ids  # fmt: skip
    assert ids <= {e["EventId"] for e in lookup(server, "EventName", "ConsoleLogin")}
    # The form keeps what was searched for.
    assert 'value="ConsoleLogin"' in logins.body
    assert '<option value="EventName" selected>' in logins.body
    # Read only: a sign-in is not read-only (CloudTrail's readOnly false); the newest
    # 50 of each kind are told apart.
    # The reader's own lookups are reads, stored by the batcher about a second later.
    looked = wait_for(server, "Username", name, lambda r: r["eventName"] == "LookupEvents")
    writes = set(_event_ids(_search(b, attribute="ReadOnly", value="false")))
    reads = set(_event_ids(_search(b, attribute="ReadOnly", value="true")))
    (login,) = [e["EventId"] for e in after if e["EventName"] == "ConsoleLogin"]
    assert login in writes and login not in reads
    assert {r["eventID"] for r in looked} & reads and not reads & writes


def test_next_page_follows_the_next_token(server: RunningServer) -> None:
    """52 refused calls by one caller: a page of 50, then one of 2, none repeated."""
    _, b = _reader(server)
    caller = unique("busy")
    keys = add_user_with_key(server, caller)
    iam = server.client("iam", keys)
    for i in range(52):
        with pytest.raises(ClientError):
            iam.create_user(UserName=f"{caller}-{i}")  # refused writes: recorded at once
    first = _search(b, attribute="Username", value=caller)
    assert len(_event_ids(first)) == 50
    link = re.search(r'<a href="([^"]+)">Next page</a>', first.body)
    assert link is not None
    second = b.get(html.unescape(link.group(1)))
    assert second.status == 200 and len(_event_ids(second)) == 2
    assert "Next page" not in second.body
    everything = _event_ids(first) + _event_ids(second)
    assert everything == [e["EventId"] for e in lookup(server, "Username", caller)]


def test_time_range(server: RunningServer, reader: tuple[str, Browser]) -> None:
    name, b = reader
    page = _search(b, attribute="Username", value=name, start="2099-01-01T00:00",
                   end="2099-02-01T00:00")  # fmt: skip
    assert page.status == 200 and _event_ids(page) == [] and "No events match." in page.body
    page = _search(b, attribute="Username", value=name, start="2020-01-01T00:00:00",
                   end="2099-01-01T00:00")  # fmt: skip
    assert len(_event_ids(page)) >= 1
    # A range the API refuses: its own error, its own status.
    page = _search(b, start="2030-01-02T00:00", end="2030-01-01T00:00")
    assert page.status == 400
    assert "InvalidTimeRangeException: " in html.unescape(page.body)
    assert _event_ids(page) == []


def test_bad_input_is_answered_with_a_message(
    reader: tuple[str, Browser],
) -> None:
    _, b = reader
    page = _search(b, start="yesterday")
    assert page.status == 400
    assert "Start time is not a date and time" in page.body
    page = _search(b, attribute="EventId", value="x")
    assert page.status == 400 and "Choose a lookup attribute from the list." in page.body
    # The form comes back with what was typed, and without a table.
    assert 'value="x"' in page.body and "<table>" not in page.body
    # A NextToken that LookupEvents did not issue: the API's own error.
    page = _search(b, next="not-a-token")
    assert page.status == 400 and "InvalidNextTokenException: " in page.body


def test_without_lookup_permission_the_api_s_access_denied_is_shown(server: RunningServer) -> None:
    name = make_user(server)
    iam = server.client("iam")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    with pytest.raises(ClientError) as exc:
        server.client("cloudtrail", (key["AccessKeyId"], key["SecretAccessKey"])).lookup_events()
    code, message, status = error_of(exc)
    assert code.startswith("AccessDenied") and "cloudtrail:LookupEvents" in message
    b = Browser(f"http://127.0.0.1:{server.port}")
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/console"
    page = b.get("/console/events")
    # Word for word what the API answered the same user, with the same status.
    assert page.status == status
    assert f"{code}: {message}" in html.unescape(page.body)
    assert _event_ids(page) == [] and "<table>" not in page.body


def test_signed_out_visitors_are_sent_to_sign_in_and_posts_are_not_accepted(
    server: RunningServer, reader: tuple[str, Browser]
) -> None:
    anonymous = Browser(f"http://127.0.0.1:{server.port}")
    assert anonymous.get("/console/events").path == "/signin"
    _, b = reader
    assert b.post("/console/events", {"attribute": "EventName", "value": "x"}).status == 405


def test_what_callers_sent_is_shown_as_text(
    server: RunningServer, reader: tuple[str, Browser]
) -> None:
    """A record holds what any caller chose to send (here its User-Agent): the page
    shows it escaped, never as markup."""
    import boto3
    from botocore.config import Config

    marker = unique("ua")
    probe = f"<img src=x onerror=alert(1)>{marker}"
    key, secret = server.admin_keys
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=key, aws_secret_access_key=secret,
                       config=Config(user_agent_extra=probe))  # fmt: skip
    iam.create_user(UserName=marker)
    _, b = reader
    page = _search(b, attribute="ResourceName", value=marker)
    assert page.status == 200 and len(_event_ids(page)) == 1
    assert probe not in page.body
    assert html.escape(probe) in page.body


def test_a_refused_lookup_is_cloudtrails_access_denied_exception(server: RunningServer) -> None:
    name = unique("denied")
    keys = add_user_with_key(server, name)
    with pytest.raises(ClientError) as exc:
        server.client("cloudtrail", keys).lookup_events()
    message = (
        f"User: arn:aws:iam::{server.account_id}:user/{name} is not authorized to perform: "
        "cloudtrail:LookupEvents because no identity-based policy allows the "
        "cloudtrail:LookupEvents action"
    )
    assert error_of(exc) == ("AccessDeniedException", message, 400)
