"""The "My security credentials" page in a real browser (Playwright driving Debian's Chromium):
change the password, set up a virtual MFA device by reading the secret off the page
and typing two codes from an authenticator (pyotp), create an access key and see
its secret once. Fields are found by their visible labels; a shot per step."""

from __future__ import annotations

import json
import time
from typing import Any

import pyotp

from tests.support.browser import sign_in
from tests.support.console import PASSWORD, make_user
from tests.support.servers import RunningServer

NEW_PASSWORD = "Brand-New-Passw0rd!"


def _allow_self_service(server: RunningServer, name: str) -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:ChangePassword",
                    "iam:CreateAccessKey",
                    "iam:ListAccessKeys",
                    "iam:GetAccessKeyLastUsed",
                    "iam:ListMFADevices",
                    "iam:EnableMFADevice",
                ],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            },
            {
                "Effect": "Allow",
                "Action": "iam:CreateVirtualMFADevice",
                "Resource": "arn:aws:iam::*:mfa/*",
            },
        ],
    }
    server.client("iam").put_user_policy(
        UserName=name, PolicyName="self-service", PolicyDocument=json.dumps(doc)
    )


def test_self_service_password_mfa_and_access_key(
    page: Any, shot: Any, server: RunningServer
) -> None:
    name = make_user(server)
    _allow_self_service(server, name)
    sign_in(page, shot, server, name, PASSWORD)
    page.get_by_role("link", name="My security credentials").first.click()
    assert page.url.endswith("/console/credentials")
    shot("credentials")

    # Change password.
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password", exact=True).fill(NEW_PASSWORD)
    shot("password-form")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("status").inner_text() == "Your password has been changed."
    shot("password-changed")

    # Assign a virtual MFA device: the secret read off the page, as an app would scan it.
    page.get_by_role("link", name="Assign MFA device").click()
    assert page.get_by_label("Device name").input_value() == name
    shot("mfa-name")
    page.get_by_role("button", name="Next").click()
    qr = page.get_by_role("img", name="QR code for the authenticator app")
    assert qr.is_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")
    otp = pyotp.TOTP(page.locator("#mfa-secret").inner_text().strip())
    shot("mfa-qr-code")
    now = time.time()
    page.get_by_label("MFA code 1").fill(otp.at(now - 30))
    page.get_by_label("MFA code 2").fill(otp.at(now))
    shot("mfa-codes")
    page.get_by_role("button", name="Add MFA").click()
    assert page.url.endswith("/console/credentials?done=mfa-assigned")
    assert (
        f"arn:aws:iam::{server.account_id}:mfa/{name}" in page.locator("#mfa-devices").inner_text()
    )
    shot("mfa-assigned")

    # Create an access key: the secret is shown on this page only.
    page.get_by_role("button", name="Create access key").click()
    key_id = page.locator("#access-key-id").inner_text()
    secret = page.locator("#secret-access-key").inner_text()
    assert key_id.startswith("AKIA") and len(secret) == 40
    shot("access-key-secret")
    page.reload()
    assert page.url.endswith("/console/credentials")
    assert secret not in page.content()
    assert key_id in page.locator("#access-keys").inner_text()
    shot("access-key-listed")
