"""Security keys in a real browser: Chromium's DevTools virtual authenticator plays the
key (CDP WebAuthn domain), the console's own security-keys.js talks to it.

The console is opened as http://localhost:PORT: WebAuthn allows plain http only on
localhost, and the relying party ID is the host the console is opened on.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.browser import sign_in
from tests.support.console import INCORRECT, PASSWORD, make_user
from tests.support.servers import RunningServer

KEYS_PAGE = "/console/credentials/security-keys"


def virtual_authenticator(pg: Any) -> tuple[Any, str]:
    """A USB CTAP2 key that is touched whenever asked (automatic presence)."""
    cdp = pg.context.new_cdp_session(pg)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def credentials_on(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    found = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    creds: list[dict[str, Any]] = found["credentials"]
    return creds


def allow_own_mfa(server: RunningServer, name: str) -> None:
    """AWS's documented permissions for managing one's own MFA devices."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:EnableMFADevice",
                    "iam:DeactivateMFADevice",
                    "iam:ListMFADevices",
                    "iam:GetUser",
                ],
                "Resource": f"arn:aws:iam::{server.account_id}:user/{name}",
            }
        ],
    }
    server.client("iam").put_user_policy(
        UserName=name, PolicyName="own-mfa", PolicyDocument=json.dumps(doc)
    )


def test_register_a_key_and_sign_in_with_it(
    page: Any, shot: Any, server: RunningServer, chromium: Any, request: pytest.FixtureRequest
) -> None:
    artifacts = ARTIFACTS / request.node.name  # where shot() puts the main page's steps
    name = make_user(server)
    allow_own_mfa(server, name)
    cdp, authenticator = virtual_authenticator(page)

    sign_in(page, shot, server, name, PASSWORD)
    assert page.url.endswith("/console")
    page.goto(f"http://localhost:{server.port}{KEYS_PAGE}")
    assert page.get_by_text("You have no security keys.").is_visible()
    shot("security-keys-empty")
    page.get_by_label("Security key name").fill("desk-key")
    shot("security-key-named")
    page.get_by_role("button", name="Register security key").click()
    page.wait_for_url(re.compile(r".*\?done=registered$"))
    assert "The security key is registered." in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("cell", name="desk-key", exact=True).is_visible()
    shot("security-key-registered")
    assert len(credentials_on(cdp, authenticator)) == 1

    # The API sees it: ListMFADevices with AWS's serial number form for a FIDO key.
    devices = server.client("iam").list_mfa_devices(UserName=name)["MFADevices"]
    assert len(devices) == 1
    serial = devices[0]["SerialNumber"]
    assert re.fullmatch(
        rf"arn:aws:iam::{server.account_id}:u2f/user/{name}/desk-key-[A-Z2-7]{{26}}", serial
    )
    assert page.get_by_role("cell", name=serial).is_visible()

    page.goto(f"http://localhost:{server.port}/console")
    page.get_by_role("button", name="Sign out", exact=True).click()
    assert "/signin" in page.url
    shot("signed-out")

    # Signing in again: the MFA step offers the key (and no code field: no app device).
    sign_in(page, shot, server, name, PASSWORD)
    assert page.url.endswith("/signin/mfa")
    assert page.get_by_label("MFA code").count() == 0
    shot("mfa-step-with-key")
    page.get_by_role("button", name="Use security key").click()
    page.wait_for_url(re.compile(r".*/console$"))
    assert (
        page.locator("#principal-arn").inner_text()
        == f"arn:aws:iam::{server.account_id}:user/{name}"
    )
    shot("signed-in-with-key")
    # The authenticator's counter moved on, and gatehold accepted it.
    assert credentials_on(cdp, authenticator)[0]["signCount"] >= 2

    # A refused key: another browser whose own virtual authenticator holds a
    # credential gatehold never registered. It carries the registered credential's
    # ID (so the browser offers it for the options' allowCredentials) but its own
    # private key: the assertion reaches the server and must be refused there.
    registered_id = credentials_on(cdp, authenticator)[0]["credentialId"]
    other = chromium.new_context()
    try:
        stranger = other.new_page()
        stranger.set_default_timeout(15_000)
        stranger_cdp, stranger_key = virtual_authenticator(stranger)
        stranger_cdp.send(
            "WebAuthn.addCredential",
            {
                "authenticatorId": stranger_key,
                "credential": {
                    "credentialId": registered_id,
                    "isResidentCredential": False,
                    "rpId": "localhost",
                    "privateKey": _new_private_key(),
                    "signCount": 100,  # ahead of the real key: only the signature is wrong
                },
            },
        )
        sign_in(stranger, lambda step: None, server, name, PASSWORD)
        assert stranger.url.endswith("/signin/mfa")
        stranger.get_by_role("button", name="Use security key").click()
        stranger.get_by_role("alert").wait_for()
        assert INCORRECT in stranger.get_by_role("alert").inner_text()
        # Still the MFA step: the key button is offered again.
        assert "/signin/mfa" in stranger.url
        assert stranger.get_by_role("button", name="Use security key").is_visible()
        assert credentials_on(stranger_cdp, stranger_key)[0]["signCount"] == 101  # it did sign
        stranger.screenshot(path=str(artifacts / "99-stranger-key-refused.png"), full_page=True)
        # The real key is untouched: the owner still signs in with it.
        assert (
            server.client("iam").list_mfa_devices(UserName=name)["MFADevices"][0]["SerialNumber"]
            == serial
        )
    finally:
        other.close()

    # Removing the key (DeactivateMFADevice): the next sign-in needs the password only.
    page.goto(f"http://localhost:{server.port}{KEYS_PAGE}")
    page.get_by_role("button", name="Remove desk-key").click()
    page.wait_for_url(re.compile(r".*\?done=removed$"))
    assert "The security key was removed." in page.get_by_role("status").first.inner_text()
    assert page.get_by_text("You have no security keys.").is_visible()
    shot("security-key-removed")
    assert server.client("iam").list_mfa_devices(UserName=name)["MFADevices"] == []


def _new_private_key() -> str:
    """A fresh P-256 private key, PKCS#8 DER in base64, as CDP's addCredential wants."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode("ascii")
