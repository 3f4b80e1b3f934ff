"""The "My security credentials" page (/console/credentials) over plain HTTP against a real
`gatehold serve`: change password, virtual MFA, access keys, limited by policy as
AWS's console is. Forms are posted with their CSRF token, as a browser would; what
changed is checked through the IAM API (boto3) and by signing in again."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from gatehold.auth.password import verify_password
from gatehold.console.credentials import password_checks
from gatehold.store import accounts
from gatehold.store.db import Store, sqlite_url
from tests.support.audit_events import records
from tests.support.aws import error_of, unique
from tests.support.console import PASSWORD, allow_change_password, fresh_code, make_user
from tests.support.console_http import Browser, Page, sign_in
from tests.support.servers import ROOT_PASSWORD, RunningServer

BASE = "/console/credentials"
ROOT_EMAIL = "root@example.com"
NEW_PASSWORD = "Another-Str0ng-Passphrase!"
NOT_CONFORMING = "Password does not conform to the account password policy."
BAD_CODE = "Authentication code for device is not valid."

# AWS's sample policy "IAM: Allows IAM users to self-manage an MFA device"
# (IAM User Guide, reference_policies_examples_iam_mfa-selfmanage): without MFA,
# everything but setting up MFA is denied.
SELF_MANAGE_MFA: list[dict[str, Any]] = [
    {
        "Sid": "AllowListActions",
        "Effect": "Allow",
        "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"],
        "Resource": "*",
    },
    {
        "Sid": "AllowUserToCreateVirtualMFADevice",
        "Effect": "Allow",
        "Action": ["iam:CreateVirtualMFADevice"],
        "Resource": "arn:aws:iam::*:mfa/*",
    },
    {
        "Sid": "AllowUserToManageTheirOwnMFA",
        "Effect": "Allow",
        "Action": [
            "iam:EnableMFADevice",
            "iam:GetMFADevice",
            "iam:ListMFADevices",
            "iam:ResyncMFADevice",
        ],
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    },
    {
        "Sid": "AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA",
        "Effect": "Allow",
        "Action": ["iam:DeactivateMFADevice"],
        "Resource": ["arn:aws:iam::*:user/${aws:username}"],
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    },
    {
        "Sid": "BlockMostAccessUnlessSignedInWithMFA",
        "Effect": "Deny",
        "NotAction": [
            "iam:CreateVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:ListMFADevices",
            "iam:ListUsers",
            "iam:ListVirtualMFADevices",
            "iam:ResyncMFADevice",
        ],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    },
]

# What the console's credentials page needs to manage one's own keys and devices.
OWN_CREDENTIALS: list[dict[str, Any]] = [
    {
        "Effect": "Allow",
        "Action": [
            "iam:ChangePassword",
            "iam:CreateAccessKey",
            "iam:UpdateAccessKey",
            "iam:DeleteAccessKey",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
            "iam:ListMFADevices",
            "iam:EnableMFADevice",
            "iam:DeactivateMFADevice",
        ],
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    },
    {
        "Effect": "Allow",
        "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
        "Resource": "arn:aws:iam::*:mfa/*",
    },
]


def _allow(server: RunningServer, name: str, statements: list[dict[str, Any]]) -> None:
    doc = {"Version": "2012-10-17", "Statement": statements}
    server.client("iam").put_user_policy(
        UserName=name, PolicyName="self-service", PolicyDocument=json.dumps(doc)
    )


def _csrf(page: Page) -> str:
    return page.fields().inputs["csrf_token"]


def _post(b: Browser, path: str, **values: str) -> Page:
    """Post a form of the current page: its CSRF token and `values`."""
    assert b.page is not None
    return b.post(path, {"csrf_token": _csrf(b.page), **values})


def _text(page: Page) -> str:
    return html.unescape(page.body)


def _element(page: Page, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(?:<code>)?([^<]*)<', page.body)
    assert found, f"no #{element_id} on {page.path}"
    return html.unescape(found.group(1))


@pytest.fixture(scope="module")
def browser_for(server: RunningServer) -> Callable[[], Browser]:
    return lambda: Browser(f"http://127.0.0.1:{server.port}")


@pytest.fixture
def store(server: RunningServer) -> Iterator[Store]:
    s = Store.open(server.database_url or sqlite_url(server.data_dir))
    try:
        yield s
    finally:
        s.dispose()


def _signed_in(
    server: RunningServer, browser_for: Callable[[], Browser], name: str, otp: Any = None
) -> Browser:
    b = browser_for()
    page = sign_in(b, server.account_id, name, PASSWORD)
    if otp is not None:
        assert page.path == "/signin/mfa"
        page = b.submit("/signin/mfa", mfa_code=fresh_code(otp))
    assert page.path == "/console", page.body
    b.get(BASE)
    return b


def _assign_mfa(b: Browser, device_name: str) -> tuple[Page, pyotp.TOTP]:
    """Steps 1 and 2 up to the codes: the page with the QR code, and the app's TOTP."""
    b.get(f"{BASE}/mfa/assign")
    page = _post(b, f"{BASE}/mfa/assign", device_name=device_name)
    assert page.path == f"{BASE}/mfa/enable", _text(page)
    return page, pyotp.TOTP(_element(page, "mfa-secret"))


def _two_codes(otp: pyotp.TOTP) -> dict[str, str]:
    now = time.time()
    return {"code1": otp.at(now - 30), "code2": otp.at(now)}


# ---- password ----


def test_the_page_has_labelled_password_fields_and_links(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    b = _signed_in(server, browser_for, name)
    page = b.page
    assert page is not None and page.status == 200
    assert {"Current password", "New password", "Confirm new password"} <= set(page.fields().labels)
    assert 'href="/console/credentials/security-keys"' in page.body
    assert page.headers["Cache-Control"] == "no-store"


def test_change_password_names_the_rule_refuses_a_wrong_old_one_then_signs_in_with_the_new(
    server: RunningServer, browser_for: Any
) -> None:
    iam = server.client("iam")
    name = make_user(server)
    allow_change_password(server, name)
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True)
    try:
        b = _signed_in(server, browser_for, name)
        weak = "no-digits-here-at-all"
        page = _post(
            b, f"{BASE}/password", old_password=PASSWORD, new_password=weak, retype_password=weak
        )
        assert page.status == 400
        assert NOT_CONFORMING in _text(page)
        assert "at least one number" in _text(page)
        assert "characters" not in _text(page).split(NOT_CONFORMING)[1].split(".")[0]

        page = _post(
            b,
            f"{BASE}/password",
            old_password="not-my-password",
            new_password=NEW_PASSWORD,
            retype_password=NEW_PASSWORD,
        )
        assert page.status == 403
        assert "The old password was incorrect." in _text(page)

        page = _post(
            b,
            f"{BASE}/password",
            old_password=PASSWORD,
            new_password=NEW_PASSWORD,
            retype_password=NEW_PASSWORD + "x",
        )
        assert "The passwords you entered do not match." in _text(page)
        # Nothing changed so far: the old password still signs in.
        assert sign_in(browser_for(), server.account_id, name, PASSWORD).path == "/console"

        page = _post(
            b,
            f"{BASE}/password",
            old_password=PASSWORD,
            new_password=NEW_PASSWORD,
            retype_password=NEW_PASSWORD,
        )
        assert page.path == BASE and page.status == 200
        assert "Your password has been changed." in page.body
    finally:
        iam.delete_account_password_policy()
    assert sign_in(browser_for(), server.account_id, name, PASSWORD).path == "/signin"
    assert sign_in(browser_for(), server.account_id, name, NEW_PASSWORD).path == "/console"


def test_a_post_without_the_csrf_token_changes_nothing(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    _allow(server, name, OWN_CREDENTIALS)
    b = _signed_in(server, browser_for, name)
    page = b.post(f"{BASE}/keys/create", {})
    assert page.status == 403
    assert server.client("iam").list_access_keys(UserName=name)["AccessKeyMetadata"] == []


def test_root_changes_its_own_password(server: RunningServer, browser_for: Any) -> None:
    def root_session(password: str) -> Browser:
        b: Browser = browser_for()
        b.get("/signin?type=root")
        page = b.submit("/signin", root_email=ROOT_EMAIL, password=password)
        assert page.path == "/console"
        b.get(BASE)
        return b

    b = root_session(ROOT_PASSWORD)
    assert "AWS recommends that the root user has no access keys" in _text(b.page)  # type: ignore[arg-type]
    weak = "lowercaseonly"
    page = _post(
        b, f"{BASE}/password", old_password=ROOT_PASSWORD, new_password=weak, retype_password=weak
    )
    assert "at least three of" in _text(page)
    page = _post(
        b,
        f"{BASE}/password",
        old_password=ROOT_PASSWORD,
        new_password=NEW_PASSWORD,
        retype_password=NEW_PASSWORD,
    )
    assert "Your password has been changed." in page.body
    try:
        b2 = browser_for()
        b2.get("/signin?type=root")
        assert b2.submit("/signin", root_email=ROOT_EMAIL, password=ROOT_PASSWORD).path == "/signin"
        b = root_session(NEW_PASSWORD)
    finally:  # the module's other tests sign in as root with the first password
        page = _post(
            b,
            f"{BASE}/password",
            old_password=NEW_PASSWORD,
            new_password=ROOT_PASSWORD,
            retype_password=ROOT_PASSWORD,
        )
        assert "Your password has been changed." in page.body
    # CloudTrail's PasswordUpdated for each change, with no password in it.
    updated = records(server, "EventName", "PasswordUpdated")
    assert len(updated) >= 2 and all(r["userIdentity"]["type"] == "Root" for r in updated)
    assert NEW_PASSWORD not in json.dumps(updated)


def test_change_root_password_checks_the_old_one_and_the_rules(
    server: RunningServer, store: Store
) -> None:
    account = server.account_id
    change = password_checks.change_root_password

    def current_hash() -> str:
        with store.reading() as db:
            found = accounts.get(db, account)
            assert found is not None
            return found.root_password_hash

    before = current_hash()
    assert change(store, account, "wrong", NEW_PASSWORD) == "The old password was incorrect."
    assert "at least 8 characters" in (change(store, account, ROOT_PASSWORD, "Sh0rt!") or "")
    assert current_hash() == before
    assert change(store, account, ROOT_PASSWORD, NEW_PASSWORD) is None
    assert verify_password(current_hash(), NEW_PASSWORD)
    assert change(store, account, NEW_PASSWORD, ROOT_PASSWORD) is None
    assert verify_password(current_hash(), ROOT_PASSWORD)


# ---- MFA ----


def test_enable_mfa_with_two_consecutive_codes_then_sign_in_with_it_and_remove_it(
    server: RunningServer, browser_for: Any
) -> None:
    iam = server.client("iam")
    name = make_user(server)
    _allow(server, name, OWN_CREDENTIALS)
    b = _signed_in(server, browser_for, name)
    page, otp = _assign_mfa(b, name)
    assert re.search(
        r'<img id="mfa-qr" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', page.body
    )
    assert "MFA code 1" in page.fields().labels and "MFA code 2" in page.fields().labels

    now = time.time()
    page = _post(b, f"{BASE}/mfa/enable", code1=otp.at(now - 60), code2=otp.at(now))
    assert page.status == 403 and BAD_CODE in _text(page)
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []

    page = _post(b, f"{BASE}/mfa/enable", **_two_codes(otp))
    assert page.path == BASE, _text(page)
    serial = f"arn:aws:iam::{server.account_id}:mfa/{name}"
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]] == [
        serial
    ]
    assert serial in page.body
    # The seed was handed over once: the set-up page no longer shows it.
    again = b.get(f"{BASE}/mfa/enable")
    assert again.path == f"{BASE}/mfa/assign" and otp.secret not in again.body

    b = _signed_in(server, browser_for, name, otp)
    page = _post(b, f"{BASE}/mfa/remove", serial_number=serial)
    assert page.path == BASE and "The MFA device was removed." in page.body
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []
    assert serial not in [
        d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    ]


def test_the_seed_of_a_device_being_set_up_is_only_for_its_session(
    server: RunningServer, browser_for: Any
) -> None:
    owner, other = make_user(server), make_user(server)
    for n in (owner, other):
        _allow(server, n, OWN_CREDENTIALS)
    a = _signed_in(server, browser_for, owner)
    _, otp = _assign_mfa(a, owner)
    pending = a.cookie("gatehold_mfa_pending")
    assert pending is not None

    b = _signed_in(server, browser_for, other)
    b.jar.set_cookie(pending)  # even with the owner's cookie, another session sees nothing
    page = b.get(f"{BASE}/mfa/enable")
    assert page.path == f"{BASE}/mfa/assign" and otp.secret not in page.body

    # The owner abandons the set-up; asking for the same name again replaces the device.
    a.get(BASE)
    _, replaced = _assign_mfa(a, owner)
    assert replaced.secret != otp.secret
    page = _post(a, f"{BASE}/mfa/enable", **_two_codes(replaced))
    assert page.path == BASE, _text(page)
    # An enabled device is never replaced.
    a.get(f"{BASE}/mfa/assign")
    page = _post(a, f"{BASE}/mfa/assign", device_name=owner)
    assert page.status == 409 and "already exists" in _text(page)
    devices = server.client("iam").list_mfa_devices(UserName=owner)["MFADevices"]
    assert len(devices) == 1


def test_removing_a_device_changes_nothing_when_deleting_it_is_refused(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    no_delete = {
        "Effect": "Allow",
        "Action": "iam:CreateVirtualMFADevice",
        "Resource": "arn:aws:iam::*:mfa/*",
    }
    _allow(server, name, [OWN_CREDENTIALS[0], no_delete])
    b = _signed_in(server, browser_for, name)
    _, otp = _assign_mfa(b, name)
    assert _post(b, f"{BASE}/mfa/enable", **_two_codes(otp)).path == BASE
    serial = f"arn:aws:iam::{server.account_id}:mfa/{name}"
    page = _post(b, f"{BASE}/mfa/remove", serial_number=serial)
    assert page.status == 403
    assert "is not authorized to perform: iam:DeleteVirtualMFADevice" in _text(page)
    # DeactivateMFADevice was allowed, but it went back with the refused deletion.
    devices = server.client("iam").list_mfa_devices(UserName=name)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [serial]


def test_root_assigns_its_own_mfa_device(server: RunningServer, browser_for: Any) -> None:
    b = browser_for()
    b.get("/signin?type=root")
    assert b.submit("/signin", root_email=ROOT_EMAIL, password=ROOT_PASSWORD).path == "/console"
    page = b.get(f"{BASE}/mfa/assign")
    assert page.fields().inputs["device_name"] == "root-account-mfa-device"
    page, otp = _assign_mfa(b, "root-account-mfa-device")
    page = _post(b, f"{BASE}/mfa/enable", **_two_codes(otp))
    assert page.path == BASE, _text(page)
    serial = f"arn:aws:iam::{server.account_id}:mfa/root-account-mfa-device"
    listed = server.client("iam").list_virtual_mfa_devices(AssignmentStatus="Assigned")
    root_devices = [d for d in listed["VirtualMFADevices"] if d["SerialNumber"] == serial]
    assert root_devices and root_devices[0]["User"]["Arn"].endswith(":root")
    # Recorded as AWS records it: iam EnableMFADevice by the root user, without the codes.
    (enabled,) = [
        r
        for r in records(server, "EventName", "EnableMFADevice")
        if (r.get("requestParameters") or {}).get("serialNumber") == serial
    ][:1]
    assert enabled["userIdentity"]["type"] == "Root" and "errorCode" not in enabled
    assert "authenticationCode1" not in (enabled.get("requestParameters") or {})
    try:
        signin = browser_for()
        signin.get("/signin?type=root")
        page = signin.submit("/signin", root_email=ROOT_EMAIL, password=ROOT_PASSWORD)
        assert page.path == "/signin/mfa"
        assert signin.submit("/signin/mfa", mfa_code=fresh_code(otp)).path == "/console"
    finally:
        page = _post(b, f"{BASE}/mfa/remove", serial_number=serial)
        assert "The MFA device was removed." in page.body


# ---- access keys ----


def test_access_keys_secret_once_quota_deactivate_and_delete(
    server: RunningServer, browser_for: Any
) -> None:
    iam = server.client("iam")
    name = make_user(server)
    _allow(server, name, OWN_CREDENTIALS)
    b = _signed_in(server, browser_for, name)

    page = _post(b, f"{BASE}/keys/create")
    assert page.path == f"{BASE}/keys/created"
    key_id, secret = _element(page, "access-key-id"), _element(page, "secret-access-key")
    assert "only time the secret access key can be viewed" in page.body
    assert page.headers["Cache-Control"] == "no-store"
    sts = server.client("sts", keys=(key_id, secret))
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{name}")

    again = b.get(f"{BASE}/keys/created")
    assert again.path == BASE and secret not in again.body
    assert key_id in again.body and "sts" in again.body  # last used: service shown

    _post(b, f"{BASE}/keys/create")
    b.get(BASE)
    page = _post(b, f"{BASE}/keys/create")
    assert page.status == 409
    assert "Cannot exceed quota for AccessKeysPerUser: 2" in _text(page)
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2

    page = _post(b, f"{BASE}/keys/status", access_key_id=key_id, status="Inactive")
    assert page.path == BASE
    with pytest.raises(ClientError) as refused:
        server.client("sts", keys=(key_id, secret)).get_caller_identity()
    assert error_of(refused)[0] == "InvalidClientTokenId"

    page = b.get(f"{BASE}/keys/rotate?id={key_id}")
    assert "Delete the old key" in page.body

    page = b.get(f"{BASE}/keys/delete?id={key_id}")
    assert "To confirm deletion, enter the access key ID" in page.fields().labels
    page = b.submit(f"{BASE}/keys/delete", confirm="not-the-id")
    assert page.status == 400
    assert key_id in [
        k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    ]
    page = b.submit(f"{BASE}/keys/delete", confirm=key_id)
    assert page.path == BASE and "The access key was deleted." in page.body
    left = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
    assert key_id not in left and len(left) == 1


def test_a_user_allowed_only_to_change_the_password_cannot_create_a_key(
    server: RunningServer, browser_for: Any
) -> None:
    name = make_user(server)
    allow_change_password(server, name)  # what the IAMUserChangePassword managed policy grants
    b = _signed_in(server, browser_for, name)
    page = _post(b, f"{BASE}/keys/create")
    assert page.status == 403
    assert (
        "is not authorized to perform: iam:CreateAccessKey on resource: "
        f"arn:aws:iam::{server.account_id}:user/{name}" in _text(page)
    )
    assert server.client("iam").list_access_keys(UserName=name)["AccessKeyMetadata"] == []


def test_self_manage_mfa_policy_lets_a_user_without_mfa_set_up_mfa_but_not_create_keys(
    server: RunningServer, browser_for: Any
) -> None:
    iam = server.client("iam")
    name = make_user(server)
    _allow(server, name, [*SELF_MANAGE_MFA, *OWN_CREDENTIALS])
    b = _signed_in(server, browser_for, name)
    # The keys section itself is refused: ListAccessKeys is denied without MFA.
    assert "explicit deny" in _text(b.page)  # type: ignore[arg-type]
    page = _post(b, f"{BASE}/keys/create")
    assert page.status == 403 and "iam:CreateAccessKey" in _text(page)
    assert "explicit deny" in _text(page)
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []

    device = unique("phone")
    _, otp = _assign_mfa(b, device)
    page = _post(b, f"{BASE}/mfa/enable", **_two_codes(otp))
    assert page.path == BASE, _text(page)
    # Removing it needs MFA too (the policy's Bool condition): refused, still there.
    serial = f"arn:aws:iam::{server.account_id}:mfa/{device}"
    page = _post(b, f"{BASE}/mfa/remove", serial_number=serial)
    assert page.status == 403 and "iam:DeactivateMFADevice" in _text(page)
    assert len(iam.list_mfa_devices(UserName=name)["MFADevices"]) == 1

    # Signed in again with MFA, the same policy lets the user create a key.
    b = _signed_in(server, browser_for, name, otp)
    page = _post(b, f"{BASE}/keys/create")
    assert page.path == f"{BASE}/keys/created", _text(page)
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 1


def test_root_access_keys_come_with_a_warning_and_work(
    server: RunningServer, browser_for: Any
) -> None:
    b = browser_for()
    b.get("/signin?type=root")
    assert b.submit("/signin", root_email=ROOT_EMAIL, password=ROOT_PASSWORD).path == "/console"
    b.get(BASE)
    page = _post(b, f"{BASE}/keys/create")
    key_id, secret = _element(page, "access-key-id"), _element(page, "secret-access-key")
    identity = server.client("sts", keys=(key_id, secret)).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{server.account_id}:root"
    page = b.get(BASE)
    assert key_id in page.body
    assert "AWS recommends that the root user has no access keys" in _text(page)
    b.get(f"{BASE}/keys/delete?id={key_id}")
    page = b.submit(f"{BASE}/keys/delete", confirm=key_id)
    assert page.path == BASE and key_id not in page.body
    with pytest.raises(ClientError) as refused:
        server.client("sts", keys=(key_id, secret)).get_caller_identity()
    assert error_of(refused)[0] == "InvalidClientTokenId"
