"""A user's MFA devices: enabling, deactivating, resynchronizing and listing them.

These act on the user: they authorize on the user's ARN (Service Authorization
Reference), not on the device's. Codes are RFC 6238 TOTP (auth/totp.py), and each
accepted code moves the device's last used step forward, so no code is accepted
twice.
"""

from __future__ import annotations

from typing import Any

from gatehold.arn import root_arn
from gatehold.auth import totp
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.iam.common import list_result, page_of
from gatehold.services.iam.errors import entity_already_exists, quota_exceeded
from gatehold.services.iam.identity_errors import invalid_authentication_code, no_such_mfa_device
from gatehold.services.iam.targets import Target, authorize_user, authorize_user_or_caller
from gatehold.services.iam.users import listed_user_shape
from gatehold.store import accounts, mfa_devices, users
from gatehold.store.mfa_devices import MfaDevice

# IAM User Guide: up to 8 MFA devices of any type per root user or IAM user.
DEVICES_PER_USER = 8
# Steps either side of now that ResyncMFADevice searches: a device whose clock
# drifted by a few minutes can still be brought back. Enabling uses totp.WINDOW.
RESYNC_WINDOW = 10


def _seed(call: Call, device: MfaDevice) -> bytes:
    assert call.box is not None and device.seed_sealed is not None
    return call.box.open(device.seed_sealed, mfa_devices.seed_aad(device.serial_number))


def _checked_step(call: Call, device: MfaDevice, params: Params, window: int) -> int:
    """The step of AuthenticationCode2 when both codes are right, fresh and
    consecutive; InvalidAuthenticationCode otherwise."""
    if device.kind != mfa_devices.VIRTUAL:
        raise invalid_authentication_code()
    step = totp.verify_consecutive(
        _seed(call, device),
        params["AuthenticationCode1"],
        params["AuthenticationCode2"],
        totp.step_at(call.ctx.now),
        device.last_used_step,
        window,
    )
    if step is None:
        raise invalid_authentication_code()
    return step


def _owned_device(call: Call, target: Target, serial: str) -> MfaDevice:
    """The device, if it is assigned to the target user (or root)."""
    device = mfa_devices.get(call.db, call.ctx.principal.account_id, serial)
    owner = mfa_devices.OWNER_USER if target.user else mfa_devices.OWNER_ROOT
    if device is None or device.user_type != owner or device.user_id != target.user_id:
        raise no_such_mfa_device(serial)
    return device


def _root_user_shape(call: Call) -> dict[str, Any]:
    account_id = call.ctx.principal.account_id
    account = accounts.get(call.db, account_id)
    assert account is not None
    return {"UserId": account_id, "Arn": root_arn(account_id), "CreateDate": account.created_at}


def virtual_device_shape(call: Call, device: MfaDevice) -> dict[str, Any]:
    """A device as ListVirtualMFADevices describes it: never its seed."""
    shape: dict[str, Any] = {"SerialNumber": device.serial_number}
    if device.user_type == mfa_devices.OWNER_ROOT:
        shape["User"] = _root_user_shape(call)
    elif device.user_id:
        user = users.get_by_id(call.db, device.user_id)
        if user is not None:
            shape["User"] = listed_user_shape(user)
    if device.enabled_at is not None:
        shape["EnableDate"] = device.enabled_at
    return shape


def enable_mfa_device(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:EnableMFADevice", params["UserName"])
    serial = params["SerialNumber"]
    device = mfa_devices.get(call.db, call.ctx.principal.account_id, serial)
    if device is None:
        raise no_such_mfa_device(serial)
    if device.assigned:
        # Not confirmed against AWS.
        raise entity_already_exists("MFA Device is already in use.")
    users.lock(call.db, user.user_id)
    if mfa_devices.count_for_owner(call.db, user.account_id, user.user_id) >= DEVICES_PER_USER:
        raise quota_exceeded("MFADevicesPerUser", DEVICES_PER_USER)
    step = _checked_step(call, device, params, totp.WINDOW)
    mfa_devices.assign(call.db, serial, mfa_devices.OWNER_USER, user.user_id, call.ctx.now, step)
    return {}


def deactivate_mfa_device(call: Call, params: Params) -> Result:
    target = authorize_user_or_caller(call, "iam:DeactivateMFADevice", params.get("UserName"))
    device = _owned_device(call, target, params["SerialNumber"])
    mfa_devices.unassign(call.db, device.serial_number)
    return {}


def resync_mfa_device(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:ResyncMFADevice", params["UserName"])
    device = _owned_device(call, Target(user, user.arn), params["SerialNumber"])
    step = _checked_step(call, device, params, RESYNC_WINDOW)
    mfa_devices.note_step(call.db, device.serial_number, step)
    return {}


def _user_device_shape(device: MfaDevice, user_name: str | None) -> dict[str, Any]:
    shape: dict[str, Any] = {"SerialNumber": device.serial_number, "EnableDate": device.enabled_at}
    if user_name is not None:
        shape["UserName"] = user_name
    return shape


def list_mfa_devices(call: Call, params: Params) -> Result:
    target = authorize_user_or_caller(call, "iam:ListMFADevices", params.get("UserName"))
    query, order = mfa_devices.owner_listing(call.ctx.principal.account_id, target.user_id)
    page = page_of(call, params, query, order)
    items = [_user_device_shape(mfa_devices.record(r), target.user_name) for r in page.rows]
    return list_result("MFADevices", items, page)


def get_mfa_device(call: Call, params: Params) -> Result:
    target = authorize_user_or_caller(call, "iam:GetMFADevice", params.get("UserName"))
    device = _owned_device(call, target, params["SerialNumber"])
    return _user_device_shape(device, target.user_name)


HANDLERS: dict[str, Handler] = {
    "EnableMFADevice": enable_mfa_device,
    "DeactivateMFADevice": deactivate_mfa_device,
    "ResyncMFADevice": resync_mfa_device,
    "ListMFADevices": list_mfa_devices,
    "GetMFADevice": get_mfa_device,
}
