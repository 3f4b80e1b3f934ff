"""Assigning and removing one's own virtual MFA device (IAM User Guide, "Assign a
virtual MFA device in the AWS Management Console").

Assign: CreateVirtualMFADevice (a name), then a page with the QR code of the
otpauth:// URI and the secret as text, then "MFA code 1" and "MFA code 2" (two
consecutive codes) for EnableMFADevice. The seed goes from the first POST to the
page after its 303 in a sealed, session-bound cookie (common.py), so no
other user or session can see it; it is never read back from the store. A device
created and then abandoned (not enabled) is replaced when its name is asked for
again: DeleteVirtualMFADevice refuses a device in use, so only an unassigned one
goes (and only when the caller may delete it). Removing is DeactivateMFADevice and
DeleteVirtualMFADevice in one transaction (actions.invoke_all): both, or nothing.

Root's device: created with CreateVirtualMFADevice like any other, but IAM's API
cannot assign it to root (EnableMFADevice needs a UserName; AWS assigns root's
device in its console), so enable_root_device is that account operation, with
EnableMFADevice's checks, run by the runner as EnableMFADevice (actions.act).
"""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.arn import iam_arn
from gatehold.auth import totp
from gatehold.console import actions
from gatehold.console.credentials.common import BASE, Pages
from gatehold.console.signin import sessions
from gatehold.console.web import peer
from gatehold.errors import AwsError
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import mfa
from gatehold.services.iam.errors import entity_already_exists, quota_exceeded
from gatehold.services.iam.identity_errors import invalid_authentication_code, no_such_mfa_device
from gatehold.services.iam.mfa_assign import DEVICES_PER_USER
from gatehold.store import console_sessions, mfa_devices

PENDING = "mfa_pending"
# AWS names root's virtual device so
# (its serial: arn:aws:iam::<account>:mfa/root-account-mfa-device).
ROOT_DEVICE_NAME = "root-account-mfa-device"


def is_virtual(serial: str) -> bool:
    """A virtual device's serial (arn:...:mfa/NAME), not a security key's (arn:...:u2f/...)."""
    return ":mfa/" in serial


def enable_root_device(call: Call, params: Params) -> Result:
    """Root's EnableMFADevice (the module's docstring), run by the runner as the
    console's own handler: the unassigned device `SerialNumber` becomes root's once
    its two codes are consecutive fresh ones; the API's errors otherwise."""
    db, account_id, serial = call.db, call.ctx.principal.account_id, params["SerialNumber"]
    device = mfa_devices.get(db, account_id, serial)
    if device is None or device.seed_sealed is None:
        raise no_such_mfa_device(serial)
    if device.assigned:
        raise entity_already_exists("MFA Device is already in use.")  # as EnableMFADevice
    if mfa_devices.count_for_owner(db, account_id, None) >= DEVICES_PER_USER:
        raise quota_exceeded("MFADevicesPerUser", DEVICES_PER_USER)
    assert call.box is not None
    seed = call.box.open(device.seed_sealed, mfa_devices.seed_aad(serial))
    code1, code2 = params["AuthenticationCode1"].strip(), params["AuthenticationCode2"].strip()
    now = call.ctx.now
    step = totp.verify_consecutive(seed, code1, code2, totp.step_at(now), None)
    if step is None:
        raise invalid_authentication_code()
    mfa_devices.assign(db, serial, mfa_devices.OWNER_ROOT, None, now, step)
    return {}


class MfaPages(Pages):
    # ---- step 1: a name ----

    async def assign_get(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return await self._name_page(request, session)

    async def _name_page(
        self,
        request: Request,
        session: console_sessions.Session,
        error: str | None = None,
        status: int = 200,
        name: str | None = None,
    ) -> Response:
        if name is None:
            me = await self.w.run(sessions.home, self.c, session)
            name = ROOT_DEVICE_NAME if session.is_root else me.name
        return self.w.page(
            request,
            "credentials_mfa_name.html",
            status,
            title="Assign MFA device",
            device_name=name,
            error=error,
        )

    async def assign_post(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        name = form.get("device_name", "").strip()
        try:
            created = await self._create(request, session, name)
        except AwsError as err:
            return await self._name_page(request, session, err.message, err.status, name)
        device = created["VirtualMFADevice"]
        value = {
            "serial": device["SerialNumber"],
            "seed": device["Base32StringSeed"].decode("ascii"),
            "label": f"{name}@{session.account_id}",
        }
        resp = self.w.redirect(f"{BASE}/mfa/enable")
        return self.hand_off(request, resp, session, PENDING, value)

    async def _create(
        self, request: Request, session: console_sessions.Session, name: str
    ) -> Result:
        params = {"VirtualMFADeviceName": name}
        try:
            return await self.call(request, session, "CreateVirtualMFADevice", params)
        except AwsError as err:
            if err.code != "EntityAlreadyExists":
                raise
            serial = iam_arn(session.account_id, "mfa", "/", name)
            steps = [
                ("DeleteVirtualMFADevice", {"SerialNumber": serial}),
                ("CreateVirtualMFADevice", params),
            ]
            try:  # an abandoned, never enabled device of that name: replace it
                return (await self.call_all(request, session, steps))[1]
            except AwsError:
                raise err from None  # in use, or not ours to delete: the original answer

    # ---- step 2: QR code, secret, two codes ----

    async def enable_get(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        pending = self.handed(request, session, PENDING)
        if pending is None:
            return self.w.redirect(f"{BASE}/mfa/assign")
        return self._codes_page(request, pending)

    def _codes_page(
        self, request: Request, pending: dict[str, str], error: str | None = None, status: int = 200
    ) -> Response:
        seed = base64.b32decode(pending["seed"])
        png = mfa.qr_png(totp.otpauth_uri(seed, pending["label"], mfa.ISSUER))
        return self.w.page(
            request,
            "credentials_mfa_codes.html",
            status,
            title="Set up your authenticator app",
            serial=pending["serial"],
            secret=pending["seed"],
            qr=base64.b64encode(png).decode("ascii"),
            error=error,
        )

    async def enable_post(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        pending = self.handed(request, session, PENDING)
        if pending is None:  # expired, or another session's: start again
            return self.w.redirect(f"{BASE}/mfa/assign")
        code1, code2 = form.get("code1", "").strip(), form.get("code2", "").strip()
        try:
            await self._enable(request, session, pending["serial"], code1, code2)
        except AwsError as err:
            return self._codes_page(request, pending, err.message, err.status)
        return self.forget(self.w.redirect(f"{BASE}?done=mfa-assigned"), PENDING)

    async def _enable(
        self,
        request: Request,
        session: console_sessions.Session,
        serial: str,
        code1: str,
        code2: str,
    ) -> None:
        if session.is_root:
            params = {
                "SerialNumber": serial,
                "AuthenticationCode1": code1,
                "AuthenticationCode2": code2,
            }
            await self.w.run(
                actions.act,
                self.c,
                session,
                "EnableMFADevice",
                params,
                peer(request),
                enable_root_device,
            )
            return
        me = await self.w.run(sessions.home, self.c, session)
        params = {
            "UserName": me.name,
            "SerialNumber": serial,
            "AuthenticationCode1": code1,
            "AuthenticationCode2": code2,
        }
        await self.call(request, session, "EnableMFADevice", params)

    # ---- removing ----

    async def remove(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        serial = form.get("serial_number", "")
        if not is_virtual(serial):  # security keys are removed on their own page
            return self.w.redirect(f"{BASE}/security-keys")
        steps = [
            ("DeactivateMFADevice", {"SerialNumber": serial}),
            ("DeleteVirtualMFADevice", {"SerialNumber": serial}),
        ]
        try:  # both or neither: a refused deletion leaves the device assigned
            await self.call_all(request, session, steps)
        except AwsError as err:
            return await self.overview(request, session, error=err.message, status=err.status)
        return self.w.redirect(f"{BASE}?done=mfa-removed")

    def routes(self) -> list[Route]:
        return [
            Route(f"{BASE}/mfa/assign", self.assign_get, methods=["GET"]),
            Route(f"{BASE}/mfa/assign", self.assign_post, methods=["POST"]),
            Route(f"{BASE}/mfa/enable", self.enable_get, methods=["GET"]),
            Route(f"{BASE}/mfa/enable", self.enable_post, methods=["POST"]),
            Route(f"{BASE}/mfa/remove", self.remove, methods=["POST"]),
        ]
