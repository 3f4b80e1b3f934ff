"""Security keys (FIDO2/WebAuthn) in the console, without a browser: a real `gatehold
serve`, plain HTTP with cookies and CSRF as the page's script sends them, and a
software authenticator (tests/support/soft_authenticator.py) answering the options.

The console is opened as http://localhost:PORT, so the relying party ID is
"localhost" and the origin http://localhost:PORT, as a browser there would report.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of
from tests.support.console import INCORRECT, PASSWORD, add_mfa, fresh_code, make_user
from tests.support.servers import ROOT_PASSWORD, RunningServer
from tests.support.soft_authenticator import SoftAuthenticator, b64url

KEYS = "/console/credentials/security-keys"
SIGNIN_KEY = "/signin/mfa/security-key"


@dataclass
class Answer:
    path: str
    status: int
    body: str

    @property
    def mfa_step(self) -> bool:
        """The MFA page (shown again after a refused answer, at the URL posted to)."""
        return self.path.startswith("/signin/mfa") and "Use security key" in self.body

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.body)
        assert found, self.body
        return found.group(1)

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """A cookie-keeping HTTP client that follows redirects, like a browser."""

    def __init__(self, server: RunningServer) -> None:
        self.base = f"http://localhost:{server.port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.last: Answer | None = None

    def _open(self, req: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(req, timeout=30) as r:
                answer = Answer(urllib.parse.urlsplit(r.geturl()).path, r.status, r.read().decode())
        except urllib.error.HTTPError as e:
            answer = Answer(urllib.parse.urlsplit(e.geturl()).path, e.code, e.read().decode())
        self.last = answer
        return answer

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, **form: str) -> Answer:
        """A form post carrying the current page's CSRF token."""
        assert self.last is not None
        data = {"csrf_token": self.last.csrf, **form}
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def post_json(self, path: str, value: dict[str, Any], csrf: str | None = None) -> Answer:
        """What security-keys.js sends for options: JSON, the token in a header."""
        assert self.last is not None
        headers = {"Content-Type": "application/json"}
        token = self.last.csrf if csrf is None else csrf
        if token:
            headers["X-CSRF-Token"] = token
        req = urllib.request.Request(
            self.base + path, data=json.dumps(value).encode(), headers=headers, method="POST"
        )
        try:
            with self.opener.open(req, timeout=30) as r:
                return Answer(path, r.status, r.read().decode())
        except urllib.error.HTTPError as e:
            return Answer(path, e.code, e.read().decode())

    def sign_in(self, account: str, name: str, password: str = PASSWORD) -> Answer:
        self.get("/signin")
        return self.post("/signin", account=account, user_name=name, password=password)


def allow_own_mfa(server: RunningServer, name: str, *, deny_enable: bool = False) -> None:
    """What AWS's docs grant for managing one's own MFA devices in the console."""
    user_arn = f"arn:aws:iam::{server.account_id}:user/{name}"
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": [
                "iam:EnableMFADevice",
                "iam:DeactivateMFADevice",
                "iam:ListMFADevices",
                "iam:GetUser",
            ],
            "Resource": user_arn,
        }
    ]
    if deny_enable:
        statements.append({"Effect": "Deny", "Action": "iam:EnableMFADevice", "Resource": "*"})
    server.client("iam").put_user_policy(
        UserName=name,
        PolicyName="own-mfa",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )


def origin(server: RunningServer) -> str:
    return f"http://localhost:{server.port}"


def register(c: Client, key: SoftAuthenticator, key_name: str) -> Answer:
    c.get(KEYS)
    options = c.post_json(KEYS + "/options", {"name": key_name})
    assert options.status == 200, options.body
    return c.post(KEYS, key_name=key_name, credential=json.dumps(key.register(options.json())))


def user_with_key(server: RunningServer) -> tuple[str, SoftAuthenticator]:
    name = make_user(server)
    allow_own_mfa(server, name)
    key = SoftAuthenticator(origin(server))
    c = Client(server)
    assert c.sign_in(server.account_id, name).path == "/console"
    done = register(c, key, "my-key")
    assert (done.status, done.path) == (200, KEYS), done.body
    return name, key


def key_options(c: Client) -> dict[str, Any]:
    options = c.post_json(SIGNIN_KEY + "/options", {})
    assert options.status == 200, options.body
    value: dict[str, Any] = options.json()
    return value


def test_register_then_sign_in_with_the_key(server: RunningServer) -> None:
    name = make_user(server)
    allow_own_mfa(server, name)
    key = SoftAuthenticator(origin(server))
    c = Client(server)
    c.sign_in(server.account_id, name)
    done = register(c, key, "desk-key")
    assert "The security key is registered." in done.body
    assert "desk-key" in done.body
    # ListMFADevices shows it with AWS's serial number form for FIDO keys.
    devices = server.client("iam").list_mfa_devices(UserName=name)["MFADevices"]
    assert len(devices) == 1
    assert re.fullmatch(
        rf"arn:aws:iam::{server.account_id}:u2f/user/{name}/desk-key-[A-Z2-7]{{26}}",
        devices[0]["SerialNumber"],
    )
    # It is not a virtual device.
    virtual = server.client("iam").list_virtual_mfa_devices()["VirtualMFADevices"]
    assert devices[0]["SerialNumber"] not in {v["SerialNumber"] for v in virtual}

    # The next sign-in asks for it: the options name this key, for this RP.
    c = Client(server)
    mfa = c.sign_in(server.account_id, name)
    assert mfa.path == "/signin/mfa"
    assert "Use security key" in mfa.body
    assert 'id="mfa_code"' not in mfa.body  # no authenticator app to ask a code of
    options = key_options(c)
    assert options["rpId"] == "localhost"
    assert [a["id"] for a in options["allowCredentials"]] == [b64url(key.credential_id)]
    page = c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(options)))
    assert page.path == "/console", page.body
    assert f"arn:aws:iam::{server.account_id}:user/{name}" in page.body


def test_a_captured_assertion_cannot_be_replayed(server: RunningServer) -> None:
    name, key = user_with_key(server)
    c = Client(server)
    c.sign_in(server.account_id, name)
    captured = json.dumps(key.assertion(key_options(c)))
    assert c.post(SIGNIN_KEY, credential=captured).path == "/console"

    # Another sign-in with the password: the captured answer, with or without new options.
    thief = Client(server)
    assert thief.sign_in(server.account_id, name).path == "/signin/mfa"
    refused = thief.post(SIGNIN_KEY, credential=captured)
    assert (refused.status, refused.mfa_step) == (200, True)
    assert INCORRECT in refused.body
    key_options(thief)  # a new challenge: the old answer does not match it
    refused = thief.post(SIGNIN_KEY, credential=captured)
    assert (refused.mfa_step, INCORRECT in refused.body) == (True, True)

    # A challenge answers once, right or wrong: after a wrong answer, the right one
    # to the same challenge is refused too.
    c = Client(server)
    c.sign_in(server.account_id, name)
    options = key_options(c)
    wrong = SoftAuthenticator(origin(server)).assertion(options)
    assert c.post(SIGNIN_KEY, credential=json.dumps(wrong)).mfa_step
    right = c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(options)))
    assert (right.mfa_step, INCORRECT in right.body) == (True, True)


def test_a_counter_that_goes_back_is_refused(server: RunningServer) -> None:
    name, key = user_with_key(server)
    c = Client(server)
    c.sign_in(server.account_id, name)
    assert (
        c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(c), sign_count=10))).path
        == "/console"
    )
    # A clone of the key, still at an older counter, with a fresh challenge.
    clone = Client(server)
    clone.sign_in(server.account_id, name)
    refused = clone.post(
        SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(clone), sign_count=7))
    )
    assert (refused.mfa_step, INCORRECT in refused.body) == (True, True)
    # The same counter again is refused too; the next one is accepted.
    refused = clone.post(
        SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(clone), sign_count=10))
    )
    assert refused.mfa_step
    ok = clone.post(
        SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(clone), sign_count=11))
    )
    assert ok.path == "/console"


def test_other_keys_and_bad_answers_are_refused_like_a_wrong_code(server: RunningServer) -> None:
    name, key = user_with_key(server)
    stranger = SoftAuthenticator(origin(server))
    wrong: list[Callable[[dict[str, Any]], str]] = [
        lambda o: json.dumps(stranger.assertion(o)),  # a key not registered
        lambda o: json.dumps(key.assertion(o, present=False)),  # no touch
        lambda o: json.dumps(SoftAuthenticator("http://evil.example").assertion(o)),
        lambda o: "not json",
        lambda o: json.dumps({"rawId": 5, "response": []}),
    ]
    # In two sign-ins, under the lockout threshold of 5 (each failure is counted).
    for answers in (wrong[:3], wrong[3:]):
        c = Client(server)
        c.sign_in(server.account_id, name)
        for answer in answers:
            refused = c.post(SIGNIN_KEY, credential=answer(key_options(c)))
            assert (refused.status, refused.mfa_step) == (200, True)
            assert INCORRECT in refused.body
        # The right key still signs in (and clears the failures).
        page = c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(c))))
        assert page.path == "/console"


def test_failed_assertions_lock_the_account_as_wrong_codes_do(server: RunningServer) -> None:
    name, key = user_with_key(server)
    stranger = SoftAuthenticator(origin(server))
    c = Client(server)
    c.sign_in(server.account_id, name)
    for _ in range(5):
        c.post(SIGNIN_KEY, credential=json.dumps(stranger.assertion(key_options(c))))
    # Locked: even the right key now ends the sign-in with the one message.
    page = c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(c))))
    assert not page.mfa_step and INCORRECT in page.body and 'id="password"' in page.body
    assert c.get("/console").path == "/signin"


def test_options_need_the_csrf_header_and_a_pending_sign_in(server: RunningServer) -> None:
    name, _ = user_with_key(server)
    c = Client(server)
    c.get("/signin")
    assert c.post_json(SIGNIN_KEY + "/options", {}).status == 403  # no sign-in yet
    c.sign_in(server.account_id, name)
    assert c.post_json(SIGNIN_KEY + "/options", {}, csrf="").status == 403
    assert c.post_json(SIGNIN_KEY + "/options", {}, csrf="forged").status == 403
    assert c.post_json(KEYS + "/options", {"name": "x"}).status == 403  # not signed in yet


def test_a_user_denied_enable_mfa_device_cannot_register(server: RunningServer) -> None:
    name = make_user(server)
    allow_own_mfa(server, name, deny_enable=True)
    c = Client(server)
    c.sign_in(server.account_id, name)
    c.get(KEYS)
    refused = c.post_json(KEYS + "/options", {"name": "denied-key"})
    assert refused.status == 403
    assert "not authorized to perform: iam:EnableMFADevice" in refused.json()["error"]
    assert server.client("iam").list_mfa_devices(UserName=name)["MFADevices"] == []


def test_permission_withdrawn_between_options_and_answer(server: RunningServer) -> None:
    name = make_user(server)
    allow_own_mfa(server, name)
    key = SoftAuthenticator(origin(server))
    c = Client(server)
    c.sign_in(server.account_id, name)
    c.get(KEYS)
    options = c.post_json(KEYS + "/options", {"name": "late-key"}).json()
    allow_own_mfa(server, name, deny_enable=True)
    page = c.post(KEYS, key_name="late-key", credential=json.dumps(key.register(options)))
    assert page.status == 403
    assert "not authorized to perform: iam:EnableMFADevice" in page.body
    assert server.client("iam").list_mfa_devices(UserName=name)["MFADevices"] == []


def test_registration_refusals_change_nothing(server: RunningServer) -> None:
    name = make_user(server)
    allow_own_mfa(server, name)
    key = SoftAuthenticator(origin(server))
    c = Client(server)
    c.sign_in(server.account_id, name)
    c.get(KEYS)
    bad_name = c.post_json(KEYS + "/options", {"name": "no spaces/slashes"})
    assert bad_name.status == 400 and "1 to 128 characters" in bad_name.json()["error"]
    # No options asked: no challenge to answer.
    page = c.post(
        KEYS,
        key_name="k",
        credential=json.dumps(key.register({"rp": {"id": "localhost"}, "challenge": "AAAA"})),
    )
    assert page.status == 400 and "expired or was already used" in page.body
    # An answer from another origin, and the used-up challenge.
    c.get(KEYS)
    options = c.post_json(KEYS + "/options", {"name": "k"}).json()
    evil = SoftAuthenticator("http://evil.example").register(options)
    page = c.post(KEYS, key_name="k", credential=json.dumps(evil))
    assert page.status == 400 and "could not be verified" in page.body
    page = c.post(KEYS, key_name="k", credential=json.dumps(key.register(options)))
    assert page.status == 400 and "expired or was already used" in page.body
    assert server.client("iam").list_mfa_devices(UserName=name)["MFADevices"] == []


def test_eight_devices_at_most(server: RunningServer) -> None:
    name = make_user(server)
    allow_own_mfa(server, name)
    c = Client(server)
    c.sign_in(server.account_id, name)
    for i in range(8):
        assert "is registered" in register(c, SoftAuthenticator(origin(server)), f"k{i}").body
    c.get(KEYS)
    refused = c.post_json(KEYS + "/options", {"name": "ninth"})
    assert (refused.status, refused.json()["error"]) == (
        409,
        "Cannot exceed quota for MFADevicesPerUser: 8",
    )
    assert len(server.client("iam").list_mfa_devices(UserName=name)["MFADevices"]) == 8


def test_removing_a_key_and_deleting_the_user(server: RunningServer) -> None:
    name, key = user_with_key(server)
    iam = server.client("iam")
    serial = iam.list_mfa_devices(UserName=name)["MFADevices"][0]["SerialNumber"]
    # DeleteUser refuses while the key is there, as for any MFA device.
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error_of(exc)[0] == "DeleteConflict"
    # Removed from the console page (DeactivateMFADevice): gone, not left unassigned.
    c = Client(server)
    c.sign_in(server.account_id, name)
    c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(c))))
    page = c.get(KEYS)
    assert serial in page.body
    page = c.post(KEYS + "/remove", serial_number=serial)
    assert (page.path, "The security key was removed." in page.body) == (KEYS, True)
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []
    assert serial not in {
        v["SerialNumber"] for v in iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    }
    # Without MFA the password alone signs in again.
    assert Client(server).sign_in(server.account_id, name).path == "/console"
    # Through the API as well: an administrator deactivates a lost key, then deletes the user.
    other, _ = user_with_key(server)
    lost = iam.list_mfa_devices(UserName=other)["MFADevices"][0]["SerialNumber"]
    iam.deactivate_mfa_device(UserName=other, SerialNumber=lost)
    iam.delete_login_profile(UserName=other)
    iam.delete_user_policy(UserName=other, PolicyName="own-mfa")
    iam.delete_user(UserName=other)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=other)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_removing_someone_elses_key_is_refused(server: RunningServer) -> None:
    owner, _ = user_with_key(server)
    iam = server.client("iam")
    serial = iam.list_mfa_devices(UserName=owner)["MFADevices"][0]["SerialNumber"]
    name = make_user(server)
    allow_own_mfa(server, name)
    c = Client(server)
    c.sign_in(server.account_id, name)
    c.get(KEYS)
    page = c.post(KEYS + "/remove", serial_number=serial)
    assert page.status == 404
    assert len(iam.list_mfa_devices(UserName=owner)["MFADevices"]) == 1


def test_an_app_and_a_key_side_by_side(server: RunningServer) -> None:
    name, key = user_with_key(server)
    _, otp = add_mfa(server, name)
    c = Client(server)
    page = c.sign_in(server.account_id, name)
    # Both ways are offered: the code field and the key button.
    assert page.path == "/signin/mfa"
    assert 'id="mfa_code"' in page.body and "Use security key" in page.body
    # A code signs in as before; a key's serial number is no code device.
    assert (
        c.post(
            "/signin/mfa", serial_number=serial_of(server, name, ":u2f/"), mfa_code=fresh_code(otp)
        ).path
        != "/console"
    )
    page = c.post(
        "/signin/mfa", serial_number=serial_of(server, name, ":mfa/"), mfa_code=fresh_code(otp)
    )
    assert page.path == "/console"
    c = Client(server)
    c.sign_in(server.account_id, name)
    assert c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(c)))).path == (
        "/console"
    )
    # The security keys page removes keys only, not the app.
    c.get(KEYS)
    assert c.post(KEYS + "/remove", serial_number=serial_of(server, name, ":mfa/")).status == 404
    assert len(server.client("iam").list_mfa_devices(UserName=name)["MFADevices"]) == 2


def serial_of(server: RunningServer, name: str, kind: str) -> str:
    devices = server.client("iam").list_mfa_devices(UserName=name)["MFADevices"]
    serial: str = next(d["SerialNumber"] for d in devices if kind in d["SerialNumber"])
    return serial


def test_the_root_user_registers_a_key(server: RunningServer) -> None:
    key = SoftAuthenticator(origin(server))
    c = Client(server)
    c.get("/signin?type=root")
    page = c.post(
        "/signin", signin_type="root", root_email=server.init["root_email"], password=ROOT_PASSWORD
    )
    assert page.path == "/console"
    done = register(c, key, "root-key")
    assert "The security key is registered." in done.body
    assert re.search(
        rf"arn:aws:iam::{server.account_id}:u2f/root/root-key-[A-Z2-7]{{26}}", done.body
    )
    summary = server.client("iam").get_account_summary()["SummaryMap"]
    assert summary["AccountMFAEnabled"] == 1
    # Root's next sign-in asks for the key.
    c = Client(server)
    c.get("/signin?type=root")
    page = c.post(
        "/signin", signin_type="root", root_email=server.init["root_email"], password=ROOT_PASSWORD
    )
    assert page.path == "/signin/mfa"
    assert c.post(SIGNIN_KEY, credential=json.dumps(key.assertion(key_options(c)))).path == (
        "/console"
    )
