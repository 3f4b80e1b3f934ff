"""Only cheap reads run on the event loop: AwsApi.handle(inline=True) declines
(None) anything that would write, whatever the request's Action hint says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gatehold.api import AwsApi, Peer
from gatehold.audit.recorder import recorder_for
from gatehold.auth.sigv4 import HttpRequest
from gatehold.authz.enforcer import PolicyEnforcer
from gatehold.clock import SystemClock
from gatehold.services.bootstrap import InitResult, initialize
from gatehold.services.runner import Runner
from gatehold.store.db import Store, sqlite_url
from gatehold.store.secretbox import SecretBox

PEER = Peer(source_ip="127.0.0.1", secure=False)


@pytest.fixture
def api(tmp_path: Path) -> tuple[AwsApi, InitResult]:
    store = Store.open(sqlite_url(tmp_path))
    box = SecretBox(b"k" * 32)
    init = initialize(store, box, datetime.now(UTC), "root@example.com", "Pw-123456789!")
    runner = Runner(store, box, PolicyEnforcer(), None, recorder_for(store))
    return AwsApi(runner, SystemClock()), init


def signed(init: InitResult, service: str, body: str) -> HttpRequest:
    req = AWSRequest(
        method="POST",
        url="http://127.0.0.1:1/",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Host": "127.0.0.1:1",
        },
    )
    creds = Credentials(init.admin_access_key_id, init.admin_secret_access_key)
    SigV4Auth(creds, service, "us-east-1").add_auth(req)
    return HttpRequest("POST", "/", "", tuple(req.headers.items()), body.encode())


def test_a_write_hidden_behind_a_read_hint_is_declined(api: tuple[AwsApi, InitResult]) -> None:
    aws, init = api
    # The parser decodes %41 to "A": the routed operation is CreateUser, a write.
    req = signed(init, "iam", "Action=GetUser&%41ction=CreateUser&UserName=x&Version=2010-05-08")
    assert aws.handle(req, PEER, inline=True) is None
    resp = aws.handle(req, PEER)
    assert resp is not None and resp.status == 200 and b"CreateUserResponse" in resp.body


def test_a_cheap_read_is_answered_inline_once_its_key_use_is_noted(
    api: tuple[AwsApi, InitResult],
) -> None:
    aws, init = api
    req = signed(init, "sts", "Action=GetCallerIdentity&Version=2011-06-15")
    # First use of the key: its last-used facts must be written, so not inline.
    assert aws.handle(req, PEER, inline=True) is None
    assert aws.handle(req, PEER) is not None
    resp = aws.handle(req, PEER, inline=True)
    assert resp is not None and resp.status == 200
    assert init.account_id.encode() in resp.body
