"""Virtual MFA devices through boto3, with codes computed as an authenticator app
does (pyotp): create, enable with two consecutive codes, resync, list, deactivate,
delete, tag; every code single-use."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.support.aws import error_of, unique
from tests.support.seed import add_user_with_key
from tests.support.servers import RunningServer
from tests.support.snapshot import snapshot

INVALID_CODE = ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)


def new_device(iam: Any, **kw: Any) -> tuple[str, pyotp.TOTP]:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("phone"), **kw)[
        "VirtualMFADevice"
    ]
    return device["SerialNumber"], pyotp.TOTP(device["Base32StringSeed"].decode())


def codes(app: pyotp.TOTP, offset_steps: int = 0) -> dict[str, str]:
    """Two consecutive codes: the previous step's and the current step's (shifted)."""
    now = time.time() + offset_steps * 30
    return {"AuthenticationCode1": app.at(now - 30), "AuthenticationCode2": app.at(now)}


def test_create_returns_the_seed_and_a_qr_code_once(server: RunningServer, iam: Any) -> None:
    name = unique("phone")
    device = iam.create_virtual_mfa_device(
        VirtualMFADeviceName=name, Path="/staff/", Tags=[{"Key": "kind", "Value": "app"}]
    )["VirtualMFADevice"]
    assert device["SerialNumber"] == f"arn:aws:iam::{server.account_id}:mfa/staff/{name}"
    seed = device["Base32StringSeed"].decode()
    assert len(seed) == 64 and base64.b32decode(seed)
    assert device["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    assert device["Tags"] == [{"Key": "kind", "Value": "app"}]
    listed = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    mine = [d for d in listed if d["SerialNumber"] == device["SerialNumber"]]
    assert mine == [{"SerialNumber": device["SerialNumber"]}]


def test_a_name_is_taken_once(iam: Any) -> None:
    name = unique("twin")
    iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name.upper())
    assert error_of(exc) == (
        "EntityAlreadyExists",
        "MFADevice entity at the same path and name already exists.",
        409,
    )


def test_enable_with_consecutive_codes_assigns_the_device(server: RunningServer, iam: Any) -> None:
    user = unique("mfa-user")
    iam.create_user(UserName=user)
    serial, app = new_device(iam)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, **codes(app))
    devices = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [(user, serial)]
    assert devices[0]["EnableDate"].tzinfo is not None
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    entry = next(d for d in assigned if d["SerialNumber"] == serial)
    assert entry["User"]["UserName"] == user and "EnableDate" in entry
    got = iam.get_mfa_device(UserName=user, SerialNumber=serial)
    assert got["SerialNumber"] == serial and got["UserName"] == user


def test_wrong_or_swapped_codes_are_refused_and_change_nothing(
    server: RunningServer, iam: Any
) -> None:
    user = unique("typo")
    iam.create_user(UserName=user)
    serial, app = new_device(iam)
    right = codes(app)
    before = snapshot(server)
    for bad in (
        {
            "AuthenticationCode1": right["AuthenticationCode2"],
            "AuthenticationCode2": right["AuthenticationCode1"],
        },
        {
            "AuthenticationCode1": right["AuthenticationCode1"],
            "AuthenticationCode2": right["AuthenticationCode1"],
        },
        codes(app, offset_steps=-10),
    ):
        with pytest.raises(ClientError) as exc:
            iam.enable_mfa_device(UserName=user, SerialNumber=serial, **bad)
        assert error_of(exc) == INVALID_CODE
    assert snapshot(server) == before
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []


def test_codes_are_single_use_and_resync_takes_fresh_ones(iam: Any) -> None:
    user = unique("resync")
    iam.create_user(UserName=user)
    serial, app = new_device(iam)
    used = codes(app)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, **used)
    with pytest.raises(ClientError) as exc:
        iam.resync_mfa_device(UserName=user, SerialNumber=serial, **used)
    assert error_of(exc) == INVALID_CODE
    ahead = codes(app, offset_steps=2)
    iam.resync_mfa_device(UserName=user, SerialNumber=serial, **ahead)
    with pytest.raises(ClientError) as exc:
        iam.resync_mfa_device(UserName=user, SerialNumber=serial, **ahead)
    assert error_of(exc) == INVALID_CODE


def test_an_enabled_device_is_deactivated_before_it_is_deleted(
    server: RunningServer, iam: Any
) -> None:
    user = unique("leaver")
    iam.create_user(UserName=user)
    serial, app = new_device(iam)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, **codes(app))
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must delete MFA device first.",
        409,
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(exc)[0::2] == ("DeleteConflict", 409)
    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(exc) == (
        "NoSuchEntity",
        f"VirtualMFADevice with serial number {serial} doesn't exist.",
        404,
    )
    iam.delete_user(UserName=user)


def test_a_device_serves_one_user(iam: Any) -> None:
    first, second = unique("first"), unique("second")
    iam.create_user(UserName=first)
    iam.create_user(UserName=second)
    serial, app = new_device(iam)
    iam.enable_mfa_device(UserName=first, SerialNumber=serial, **codes(app))
    with pytest.raises(ClientError) as exc:
        iam.enable_mfa_device(UserName=second, SerialNumber=serial, **codes(app, offset_steps=1))
    assert error_of(exc)[0::2] == ("EntityAlreadyExists", 409)
    with pytest.raises(ClientError) as exc:
        iam.deactivate_mfa_device(UserName=second, SerialNumber=serial)
    assert error_of(exc)[0::2] == ("NoSuchEntity", 404)


def test_at_most_eight_devices_per_user(iam: Any) -> None:
    user = unique("collector")
    iam.create_user(UserName=user)
    for _ in range(8):
        serial, app = new_device(iam)
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, **codes(app))
    serial, app = new_device(iam)
    with pytest.raises(ClientError) as exc:
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, **codes(app))
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for MFADevicesPerUser: 8", 409)
    page = iam.list_mfa_devices(UserName=user, MaxItems=5)
    rest = iam.list_mfa_devices(UserName=user, Marker=page["Marker"])
    assert page["IsTruncated"] is True and len(page["MFADevices"] + rest["MFADevices"]) == 8


def test_tag_untag_and_list_device_tags(iam: Any) -> None:
    serial, _ = new_device(iam)
    iam.tag_mfa_device(
        SerialNumber=serial, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "2"},
    ]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["A"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        iam.list_mfa_device_tags(SerialNumber=serial + "-missing")
    assert error_of(exc)[0::2] == ("NoSuchEntity", 404)


def test_a_user_without_permission_is_denied(server: RunningServer, iam: Any) -> None:
    user = unique("owner")
    iam.create_user(UserName=user)
    serial, app = new_device(iam)
    outsider = server.client("iam", keys=add_user_with_key(server, unique("outsider")))
    before = snapshot(server)
    call: Callable[[], object]
    for call in (
        lambda: outsider.create_virtual_mfa_device(VirtualMFADeviceName=unique("mine")),
        lambda: outsider.enable_mfa_device(UserName=user, SerialNumber=serial, **codes(app)),
        lambda: outsider.list_virtual_mfa_devices(),
        lambda: outsider.list_mfa_devices(UserName=user),
        lambda: outsider.delete_virtual_mfa_device(SerialNumber=serial),
        lambda: outsider.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "k", "Value": "v"}]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0::2] == ("AccessDenied", 403)
    assert snapshot(server) == before
