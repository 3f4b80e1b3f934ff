"""Alarms for suspicious sign-ins and key use, end to end: real console sign-ins
(over HTTP, "from" chosen addresses through X-Forwarded-For, which gatehold's
server honours from 127.0.0.1 as from a local reverse proxy), a real access key
signed with by boto3; each alarm must reach the webhook, the email outbox, the
audit log (LookupEvents) and the account security page — and stay quiet when
nothing suspicious happened."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gatehold.audit.alarms import rules
from tests.support.aws import error_of, unique
from tests.support.console import PASSWORD, add_mfa, fresh_code, make_user
from tests.support.console_http import Browser, sign_in
from tests.support.geo import address_in, write_city_database
from tests.support.servers import ROOT_PASSWORD, RunningServer, start_server
from tests.support.webhook import Received, webhook_receiver

EMAIL_TO = "security@example.com"


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[str, Received]]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    module_database_url: str | None,
    hook: tuple[str, Received],
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("gatehold-alarms")
    geo = write_city_database(data_dir / "city.mmdb")
    env = {
        "GATEHOLD_ALARM_WEBHOOK_URL": hook[0],
        "GATEHOLD_ALARM_EMAIL": EMAIL_TO,
        "GATEHOLD_GEOIP_DATABASE": str(geo),
    }
    with start_server(data_dir, module_database_url, extra_env=env) as running:
        yield running


def from_address(server: RunningServer, address: str) -> Browser:
    return Browser(server.endpoint, headers={"X-Forwarded-For": address})


def about(kind: str, *, user: str | None = None, address: str | None = None) -> Any:
    def match(notice: dict[str, Any]) -> bool:
        details = notice["serviceEventDetails"]
        return (
            details["alarm"] == kind
            and (user is None or details["subject"].get("userName") == user)
            and (address is None or notice["sourceIPAddress"] == address)
        )

    return match


def kinds_for_user(received: Received, user: str) -> list[str]:
    with received.lock:
        return sorted(
            b["serviceEventDetails"]["alarm"]
            for b in received.bodies
            if b["serviceEventDetails"]["subject"].get("userName") == user
        )


def test_brute_force_on_one_user(server: RunningServer, hook: tuple[str, Received]) -> None:
    name = make_user(server)
    address = address_in("berlin", 21)
    b = from_address(server, address)
    for _ in range(4):
        sign_in(b, server.account_id, name, "wrong-password")
    assert hook[1].wait_for(about(rules.BRUTE_FORCE_USER, user=name), timeout=2) == []
    sign_in(b, server.account_id, name, "wrong-password")
    (notice,) = hook[1].wait_for(about(rules.BRUTE_FORCE_USER, user=name))
    assert notice["eventType"] == "AwsServiceEvent"
    assert notice["recipientAccountId"] == server.account_id
    assert notice["serviceEventDetails"]["details"]["failures"] == 5
    assert notice["sourceIPAddress"] == address
    # The sixth failure is part of the same burst: no second finding.
    sign_in(b, server.account_id, name, "wrong-password")
    assert len(hook[1].wait_for(about(rules.BRUTE_FORCE_USER, user=name), 2, timeout=2)) == 1


def test_password_spraying_and_brute_force_from_one_address(
    server: RunningServer, hook: tuple[str, Received]
) -> None:
    address = address_in("potsdam", 33)
    b = from_address(server, address)
    for i in range(4):
        sign_in(b, server.account_id, unique(f"sprayed{i}"), "Summer2026!")
    assert hook[1].wait_for(about(rules.PASSWORD_SPRAYING, address=address), timeout=2) == []
    sign_in(b, server.account_id, unique("sprayed4"), "Summer2026!")
    (spray,) = hook[1].wait_for(about(rules.PASSWORD_SPRAYING, address=address))
    assert spray["serviceEventDetails"]["details"]["users"] == 5
    for i in range(15):
        sign_in(b, server.account_id, unique(f"more{i}"), "Summer2026!")
    (brute,) = hook[1].wait_for(about(rules.BRUTE_FORCE_ADDRESS, address=address))
    assert brute["serviceEventDetails"]["details"]["failures"] == 20


def test_root_sign_in_and_sign_in_without_mfa(
    server: RunningServer, hook: tuple[str, Received]
) -> None:
    b = from_address(server, address_in("berlin", 40))
    b.get("/signin?type=root")
    assert b.submit("/signin", root_email="root@example.com", password=ROOT_PASSWORD).path == (
        "/console"
    )
    assert hook[1].wait_for(about(rules.ROOT_SIGN_IN))
    name = make_user(server)
    assert (
        sign_in(
            from_address(server, address_in("berlin", 41)), server.account_id, name, PASSWORD
        ).path
        == "/console"
    )
    (notice,) = hook[1].wait_for(about(rules.NO_MFA, user=name))
    assert name in notice["serviceEventDetails"]["summary"]


def test_a_sign_in_with_mfa_and_a_typo_raise_nothing(
    server: RunningServer, hook: tuple[str, Received]
) -> None:
    name = make_user(server)
    _, otp = add_mfa(server, name)
    address = address_in("berlin", 50)
    # A failure or two is a person mistyping, not an attack.
    sign_in(from_address(server, address), server.account_id, name, "typo")
    b = from_address(server, address)
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/signin/mfa"
    assert b.submit("/signin/mfa", mfa_code=fresh_code(otp)).path == "/console"
    hook[1].wait_for(lambda _: False, timeout=2)
    assert kinds_for_user(hook[1], name) == []


def test_new_address_new_country_and_impossible_travel(
    server: RunningServer, hook: tuple[str, Received]
) -> None:
    name = make_user(server)
    berlin, sydney = address_in("berlin", 60), address_in("sydney", 60)
    assert sign_in(from_address(server, berlin), server.account_id, name, PASSWORD).path == (
        "/console"
    )
    assert sign_in(from_address(server, berlin), server.account_id, name, PASSWORD).path == (
        "/console"
    )
    assert sign_in(from_address(server, sydney), server.account_id, name, PASSWORD).path == (
        "/console"
    )
    hook[1].wait_for(about(rules.IMPOSSIBLE_TRAVEL, user=name))
    assert kinds_for_user(hook[1], name) == sorted(
        [rules.NO_MFA] * 3 + [rules.NEW_ADDRESS, rules.NEW_COUNTRY, rules.IMPOSSIBLE_TRAVEL]
    )
    (travel,) = hook[1].wait_for(about(rules.IMPOSSIBLE_TRAVEL, user=name))
    assert travel["serviceEventDetails"]["details"]["country"] == "AU"
    assert travel["serviceEventDetails"]["details"]["previousCountry"] == "DE"


def test_use_of_a_deactivated_or_deleted_key(
    server: RunningServer, hook: tuple[str, Received]
) -> None:
    iam = server.client("iam")
    name = unique("keyholder")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    keys = (key["AccessKeyId"], key["SecretAccessKey"])
    sts = server.client("sts", keys)
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{name}")
    assert kinds_for_user(hook[1], name) == []

    iam.update_access_key(UserName=name, AccessKeyId=keys[0], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc)[0] == "InvalidClientTokenId"
    (inactive,) = hook[1].wait_for(about(rules.REVOKED_KEY, user=name))
    assert inactive["serviceEventDetails"]["details"] == {
        "accessKeyId": keys[0],
        "keyState": "Inactive",
    }
    # A wrong secret with the deactivated key's ID is not the key: no alarm.
    with pytest.raises(ClientError):
        server.client("sts", (keys[0], "x" * 40)).get_caller_identity()

    iam.delete_access_key(UserName=name, AccessKeyId=keys[0])
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc)[0] == "InvalidClientTokenId"
    found = hook[1].wait_for(about(rules.REVOKED_KEY, user=name), 2)
    assert [f["serviceEventDetails"]["details"]["keyState"] for f in found] == [
        "Inactive",
        "Deleted",
    ]
    # A key ID that never existed raises nothing.
    before = len(hook[1].bodies)
    with pytest.raises(ClientError):
        server.client("sts", ("AKIA" + "Z" * 16, "x" * 40)).get_caller_identity()
    hook[1].wait_for(lambda _: False, timeout=1)
    assert len(hook[1].bodies) == before


def test_findings_reach_the_audit_log_email_and_security_page(
    server: RunningServer, hook: tuple[str, Received]
) -> None:
    name = make_user(server)
    sign_in(from_address(server, address_in("berlin", 70)), server.account_id, name, PASSWORD)
    (notice,) = hook[1].wait_for(about(rules.NO_MFA, user=name))
    # The audit log: LookupEvents by the alarms' event name.
    trail = server.client("cloudtrail")
    events = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "SuspiciousActivity"}]
    )["Events"]
    assert notice["eventID"] in {e["EventId"] for e in events}
    # The email outbox.
    outbox = Path(server.data_dir) / "outbox"
    mails = [message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
    mine = [m for m in mails if notice["eventID"] in m.get_payload()]
    assert len(mine) == 1 and mine[0]["To"] == EMAIL_TO
    assert "SignInWithoutMfa" in mine[0]["Subject"]
    # The account security page, as the administrator sees it.
    admin = Browser(server.endpoint)
    admin.get("/signin?type=root")
    admin.submit("/signin", root_email="root@example.com", password=ROOT_PASSWORD)
    page = admin.get("/console/security")
    assert page.status == 200
    assert "Recent alarms" in page.body and f"{name} signed in without MFA" in page.body
