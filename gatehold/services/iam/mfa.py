"""Virtual MFA devices: creating, listing, deleting and tagging them.

A device is created unassigned, with a TOTP seed that is returned once (as the
Base32StringSeed and as a QR code of its otpauth:// URI) and stored sealed with
the operator's key. Assigning it to a user (EnableMFADevice) and the operations
on a user's devices live in mfa_assign.py; their operations are registered here.
"""

from __future__ import annotations

import io
from typing import Any

import segno

from gatehold.arn import iam_arn
from gatehold.auth import totp
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.iam import mfa_assign
from gatehold.services.iam.common import authorization_changed, list_result, page_of
from gatehold.services.iam.identity_errors import (
    mfa_device_exists,
    mfa_device_in_use,
    no_such_mfa_device,
)
from gatehold.services.iam.tagging import (
    apply,
    check_new_tags,
    request_tag_context,
    resource_tag_context,
    tag_pairs,
    untag_context,
)
from gatehold.services.iam.tagging import listed as listed_tags
from gatehold.store import mfa_devices, tag_listing
from gatehold.store import tags as tag_store
from gatehold.store.mfa_devices import MfaDevice

MFA_TAGS = "mfa"
# What authenticator apps show for the account; AWS's own issuer, so that
# tools that recognise AWS codes keep working.
ISSUER = "Amazon Web Services"


def qr_png(uri: str) -> bytes:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def authorize_device(
    call: Call, action: str, serial: str, extra: dict[str, Any] | None = None
) -> MfaDevice:
    """The device `serial` of this account, once the caller may do `action` on it."""
    device = mfa_devices.get(call.db, call.ctx.principal.account_id, serial)
    context = resource_tag_context(tag_store.get(call.db, MFA_TAGS, serial)) if device else {}
    context.update(extra or {})
    call.authorize(action, serial, context)
    if device is None:
        raise no_such_mfa_device(serial)
    return device


def create_virtual_mfa_device(call: Call, params: Params) -> Result:
    account_id = call.ctx.principal.account_id
    name, path = params["VirtualMFADeviceName"], params.get("Path") or "/"
    serial = iam_arn(account_id, "mfa", path, name)
    call.authorize("iam:CreateVirtualMFADevice", serial, request_tag_context(params.get("Tags")))
    if mfa_devices.name_taken(call.db, account_id, serial):
        raise mfa_device_exists()
    pairs = tag_pairs(params.get("Tags"))
    check_new_tags(pairs)  # before the first write
    assert call.box is not None, "the operator's key is needed to seal seeds"
    seed = totp.new_seed()
    device = MfaDevice(
        serial_number=serial,
        account_id=account_id,
        kind=mfa_devices.VIRTUAL,
        device_name=name,
        path=path,
        user_type=None,
        user_id=None,
        seed_sealed=call.box.seal(seed, mfa_devices.seed_aad(serial)),
        created_at=call.ctx.now,
        enabled_at=None,
        last_used_step=None,
    )
    mfa_devices.insert(call.db, device)
    if pairs:
        apply(call.db, MFA_TAGS, serial, pairs)
    shape: dict[str, Any] = {
        "SerialNumber": serial,
        # Both are blobs on the wire: the seed is its base32 text, the QR code a PNG.
        "Base32StringSeed": totp.base32_seed(seed).encode("ascii"),
        "QRCodePNG": qr_png(totp.otpauth_uri(seed, f"{name}@{account_id}", ISSUER)),
    }
    tags = listed_tags(call.db, MFA_TAGS, serial)
    if tags:
        shape["Tags"] = tags
    return {"VirtualMFADevice": shape}


def list_virtual_mfa_devices(call: Call, params: Params) -> Result:
    call.authorize("iam:ListVirtualMFADevices", "*")
    # API reference: without AssignmentStatus the operation lists both kinds ("Any").
    status = params.get("AssignmentStatus") or "Any"
    query, order = mfa_devices.virtual_listing(call.ctx.principal.account_id, status)
    page = page_of(call, params, query, order)
    items = [mfa_assign.virtual_device_shape(call, mfa_devices.record(r)) for r in page.rows]
    return list_result("VirtualMFADevices", items, page)


def delete_virtual_mfa_device(call: Call, params: Params) -> Result:
    device = authorize_device(call, "iam:DeleteVirtualMFADevice", params["SerialNumber"])
    if device.assigned:
        raise mfa_device_in_use(device.serial_number)
    tag_store.remove_all(call.db, MFA_TAGS, device.serial_number)
    mfa_devices.delete(call.db, device.serial_number)
    return {}


def tag_mfa_device(call: Call, params: Params) -> Result:
    context = request_tag_context(params["Tags"])
    device = authorize_device(call, "iam:TagMFADevice", params["SerialNumber"], context)
    apply(call.db, MFA_TAGS, device.serial_number, tag_pairs(params["Tags"]))
    authorization_changed(call)
    return {}


def untag_mfa_device(call: Call, params: Params) -> Result:
    keys = params["TagKeys"]
    device = authorize_device(
        call, "iam:UntagMFADevice", params["SerialNumber"], untag_context(keys)
    )
    tag_store.remove(call.db, MFA_TAGS, device.serial_number, keys)
    authorization_changed(call)
    return {}


def list_mfa_device_tags(call: Call, params: Params) -> Result:
    device = authorize_device(call, "iam:ListMFADeviceTags", params["SerialNumber"])
    query, order = tag_listing.listing(MFA_TAGS, device.serial_number)
    page = page_of(call, params, query, order)
    return list_result("Tags", [tag_listing.tag_shape(r) for r in page.rows], page)


def deactivate_mfa_device(call: Call, params: Params) -> Result:
    """DeactivateMFADevice; a security key (kind u2f) is removed as well: it exists only
    while assigned (AWS's console "Remove" on a FIDO key; it never appears in
    ListVirtualMFADevices and cannot be enabled again by EnableMFADevice)."""
    result = mfa_assign.deactivate_mfa_device(call, params)
    device = mfa_devices.get(call.db, call.ctx.principal.account_id, params["SerialNumber"])
    if device is not None and device.kind == mfa_devices.U2F:
        tag_store.remove_all(call.db, MFA_TAGS, device.serial_number)
        mfa_devices.delete(call.db, device.serial_number)
    return result


HANDLERS: dict[str, Handler] = {
    "CreateVirtualMFADevice": create_virtual_mfa_device,
    "ListVirtualMFADevices": list_virtual_mfa_devices,
    "DeleteVirtualMFADevice": delete_virtual_mfa_device,
    "TagMFADevice": tag_mfa_device,
    "UntagMFADevice": untag_mfa_device,
    "ListMFADeviceTags": list_mfa_device_tags,
    **mfa_assign.HANDLERS,
    "DeactivateMFADevice": deactivate_mfa_device,
}
