"""A switched role in the console ends with its credentials (AssumeRole's hour), on a
gatehold whose clock the test moves; the console session itself goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.aws import unique
from tests.support.clock_server import ClockServer, clock_server
from tests.support.console import PASSWORD, make_user
from tests.support.console_http import Browser


@pytest.fixture(scope="module")
def gh(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[ClockServer]:
    with clock_server(tmp_path_factory.mktemp("gatehold-clock"), module_database_url) as s:
        yield s


def _post(b: Browser, page_path: str, action: str, **values: str) -> str:
    page = b.get(page_path)
    token = page.fields().inputs["csrf_token"]
    result = b.post(action, {"csrf_token": token, **values})
    return f"{result.status} {result.path}\n{result.body}"


def test_a_role_session_expires_after_an_hour_and_acts_as_nobody(gh: ClockServer) -> None:
    gh.resync()
    server = gh.running
    admin = make_user(server)
    iam = server.client("iam")
    iam.attach_user_policy(UserName=admin, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    role = unique("ops")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:user/{admin}"},
            }
        ],
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    b = Browser(gh.base)
    b.get("/signin")
    assert (
        b.submit("/signin", account=server.account_id, user_name=admin, password=PASSWORD).path
        == "/console"
    )
    _post(b, "/console/switch-role", "/console/switch-role", account=server.account_id, role=role)
    # 59 minutes on (the console session kept alive by a page view every 20 minutes):
    # still the role.
    for minutes in (20, 20, 19):
        gh.advance(minutes=minutes)
        assert f"Role: {role} @ {server.account_id}" in b.get("/console").body
    assert "role session expired" not in b.get("/console").body
    # Past the hour the role's credentials have expired: the header says so, and an
    # action is refused with the API's ExpiredToken rather than run as the user.
    gh.advance(minutes=2)
    home = b.get("/console")
    assert home.path == "/console" and "role session expired" in home.body
    name = unique("late")
    answer = _post(b, "/console/iam/create-user", "/console/iam/create-user", user_name=name)
    assert answer.startswith("403 ")
    assert "The security token included in the request is expired (ExpiredToken)" in answer
    # Back to the user: the user's own permissions, and the user is created.
    _post(b, "/console", "/console/switch-role/exit")
    assert "Role: " not in b.get("/console").body
    answer = _post(b, "/console/iam/create-user", "/console/iam/create-user", user_name=name)
    assert answer.startswith(f"200 /console/iam/users/{name}")
