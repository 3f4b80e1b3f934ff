"""Security keys (FIDO2/WebAuthn) as MFA devices: registering one, and the proof a
key gives at the MFA step of sign-in. Blocking code: security_keys.py runs these in a
worker thread.

A security key is a row of iam_mfa_devices with kind "u2f", like a virtual device,
so everything that counts or lists a principal's MFA devices sees it unchanged:
ListMFADevices, the limit of 8 devices of any kind per user (IAM User Guide,
"Assign a passkey or security key"), DeleteUser's DeleteConflict while devices
remain, the account summary and the credential report. The credential ID, COSE
public key, signature counter and transports are nullable columns of that row
(not a table of their own) for that reason: one owner query serves both kinds.

Serial numbers follow AWS's form for FIDO keys, as ListMFADevices and CloudTrail
show them: arn:aws:iam::ACCOUNT:u2f/user/USERNAME/KEYNAME-ID for an IAM user and
arn:aws:iam::ACCOUNT:u2f/root/KEYNAME-ID for the root user, ID being 26 random
base32 characters (the AWS API Reference's ListMFADevices example shows
"u2f/user/Bob/fidosecuritykey1-7XNL7NFNLZ123456789EXAMPLE").

Authorization, as AWS's console does for a user's own keys (IAM User Guide,
"Assign a passkey or security key", permissions required): registering needs
iam:EnableMFADevice and removing iam:DeactivateMFADevice, both on the user's own
ARN (root: the account, always allowed). There is no IAM API to register a key, so
registration asks the policy engine itself, through Call.authorize as the signed-in
principal, run by the runner as EnableMFADevice (actions.act); removal is the real
DeactivateMFADevice (services/iam/mfa.py deletes a deactivated security key, which
has no unassigned state).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gatehold import errors
from gatehold.auth import webauthn
from gatehold.console import actions
from gatehold.console.core import Console
from gatehold.context import RequestContext
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.errors import quota_exceeded
from gatehold.services.iam.identity_errors import no_such_mfa_device
from gatehold.services.iam.mfa_assign import DEVICES_PER_USER
from gatehold.services.iam.targets import Target, authorize_user_or_caller
from gatehold.store import (
    accounts,
    console_sessions,
    mfa_devices,
    users,
    webauthn_challenges,
)
from gatehold.store.mfa_devices import MfaDevice

ENABLE = "iam:EnableMFADevice"
# AWS's console accepts device names of 1 to 128 of these characters; with the
# longest user name the serial number stays within the API's 256.
NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
BAD_NAME = "Enter a name of 1 to 128 characters: letters, digits and the characters + = , . @ - _"
EXPIRED = "The registration expired or was already used. Try again."
NOT_VERIFIED = "The security key's answer could not be verified. Try again."
ALREADY = "This security key is already registered."


def serial_number(account_id: str, user_name: str | None, key_name: str) -> str:
    suffix = base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")
    owner = f"user/{user_name}" if user_name else "root"
    return f"arn:aws:iam::{account_id}:u2f/{owner}/{key_name}-{suffix}"


def keys_of(db: Connection, account_id: str, user_id: str | None) -> list[MfaDevice]:
    """The principal's security keys (None: root's), oldest first."""
    devices = mfa_devices.for_owner(db, account_id, user_id, oldest_first=True)
    return [d for d in devices if d.kind == mfa_devices.U2F and d.credential_id]


def _refs(keys: list[MfaDevice]) -> list[webauthn.KeyRef]:
    return [webauthn.KeyRef(k.credential_id or "", k.transports) for k in keys]


# ---- registration (a signed-in principal) ------------------------------------------


@dataclass(frozen=True)
class Registered:
    serial_number: str | None = None
    error: str | None = None


def _params(ctx: RequestContext) -> dict[str, Any]:
    """EnableMFADevice's parameters as the audit records them (no codes: a key has none)."""
    name = ctx.principal.user_name
    return {"UserName": name} if name else {}


def _owner_name(db: Connection, target: Target, account_id: str) -> tuple[str, str]:
    """(user name for the serial and the authenticator, display name)."""
    if target.user is not None:
        return target.user.user_name, target.user.user_name
    account = accounts.get(db, account_id)
    email = account.root_email if account else account_id
    return email, f"{email} (root user)"


def _check_room(call: Call, target: Target) -> None:
    """QuotaExceeded at 8 devices of any kind, counted under the user's row lock."""
    account_id = call.ctx.principal.account_id
    if target.user is not None:
        users.lock(call.db, target.user.user_id)
    if mfa_devices.count_for_owner(call.db, account_id, target.user_id) >= DEVICES_PER_USER:
        raise quota_exceeded("MFADevicesPerUser", DEVICES_PER_USER)


def registration_options(
    c: Console,
    session: console_sessions.Session,
    peer: actions.Peer,
    rp: webauthn.RelyingParty,
    key_name: str,
) -> dict[str, Any]:
    """Options for navigator.credentials.create(), with a new challenge bound to this
    session; AwsError (AccessDenied, LimitExceeded, ValidationError) when the
    principal may not register a key now, checked before the browser asks for a touch.
    Run as EnableMFADevice, whose refusals these are; its success is recorded once
    the key answers (register), not here."""
    if not NAME.fullmatch(key_name):
        raise errors.validation_error(BAD_NAME)

    def prepare(call: Call, params: Params) -> Result:
        params.update(_params(call.ctx))
        call.recorded = False
        db = call.db
        target = authorize_user_or_caller(call, ENABLE, None)
        _check_room(call, target)
        user_name, display = _owner_name(db, target, session.account_id)
        handle = (target.user_id or session.account_id).encode("ascii")
        challenge = webauthn_challenges.issue(
            db, session.token_hash, webauthn_challenges.REGISTER, call.ctx.now
        )
        existing = _refs(keys_of(db, session.account_id, target.user_id))
        options = webauthn.registration_options(rp, challenge, handle, user_name, display, existing)
        return {"options": options}

    prepared = actions.act(c, session, "EnableMFADevice", {}, peer, prepare)
    options: dict[str, Any] = prepared["options"]
    return options


def register(
    c: Console,
    session: console_sessions.Session,
    peer: actions.Peer,
    rp: webauthn.RelyingParty,
    key_name: str,
    credential_json: str,
) -> Registered:
    """Verify the attestation against the session's challenge and enable the key, as
    EnableMFADevice. The challenge is used up whatever the outcome (a refusal is
    returned, so the transaction commits, and is no EnableMFADevice record); AwsError
    only for a refusal before it is touched (AccessDenied)."""

    def enable(call: Call, params: Params) -> Result:
        params.update(_params(call.ctx))
        target = authorize_user_or_caller(call, ENABLE, None)
        done = _enable(call, target, session, rp, key_name, credential_json)
        if done.serial_number:
            params["SerialNumber"] = done.serial_number
        else:
            call.recorded = False
        return {"registered": done}

    registered: Registered = actions.act(c, session, "EnableMFADevice", {}, peer, enable)[
        "registered"
    ]
    return registered


def _enable(
    call: Call,
    target: Target,
    session: console_sessions.Session,
    rp: webauthn.RelyingParty,
    key_name: str,
    credential_json: str,
) -> Registered:
    """The authorized part of register(): refusals are returned, not raised, so the
    transaction commits the used-up challenge."""
    db, now = call.db, call.ctx.now
    challenge = webauthn_challenges.take(db, session.token_hash, webauthn_challenges.REGISTER, now)
    if challenge is None:
        return Registered(error=EXPIRED)
    if not NAME.fullmatch(key_name):
        return Registered(error=BAD_NAME)
    key = webauthn.verify_registration(rp, credential_json, challenge)
    if key is None:
        return Registered(error=NOT_VERIFIED)
    if mfa_devices.credential_registered(db, key.credential_id):
        return Registered(error=ALREADY)
    try:
        _check_room(call, target)
    except errors.AwsError as err:
        return Registered(error=err.message)
    serial = serial_number(session.account_id, target.user_name, key_name)
    mfa_devices.insert(
        db,
        MfaDevice(
            serial_number=serial,
            account_id=session.account_id,
            kind=mfa_devices.U2F,
            device_name=key_name,
            path="/",
            user_type=mfa_devices.OWNER_USER if target.user else mfa_devices.OWNER_ROOT,
            user_id=target.user_id,
            seed_sealed=None,
            created_at=now,
            enabled_at=now,
            last_used_step=None,
            credential_id=key.credential_id,
            public_key=key.public_key,
            sign_count=key.sign_count,
            transports=key.transports,
        ),
    )
    return Registered(serial_number=serial)


@dataclass(frozen=True)
class KeyListing:
    serial_number: str
    name: str
    enabled_at: datetime | None


def my_keys(c: Console, session: console_sessions.Session, peer: actions.Peer) -> list[KeyListing]:
    """The signed-in principal's security keys, through ListMFADevices: a principal
    who may not list their MFA devices sees none, as in AWS's console (AwsError)."""
    result = actions.invoke(c, session, "iam", "ListMFADevices", {}, peer)
    with c.store.reading() as db:
        found = [
            mfa_devices.get(db, session.account_id, d["SerialNumber"]) for d in result["MFADevices"]
        ]
    return [
        KeyListing(d.serial_number, d.device_name, d.enabled_at)
        for d in found
        if d is not None and d.kind == mfa_devices.U2F
    ]


def remove(c: Console, session: console_sessions.Session, peer: actions.Peer, serial: str) -> None:
    """DeactivateMFADevice on one's own key, as the API would run it (AwsError). This
    page removes security keys only: an app's serial number is not one of its keys."""
    if ":u2f/" not in serial:
        raise no_such_mfa_device(serial)
    actions.invoke(c, session, "iam", "DeactivateMFADevice", {"SerialNumber": serial}, peer)


# ---- the MFA step of sign-in ---------------------------------------------------------


def authentication_options(
    c: Console, session: console_sessions.Session, rp: webauthn.RelyingParty
) -> dict[str, Any] | None:
    """Options for navigator.credentials.get() naming the principal's keys, with a new
    challenge bound to this half-finished sign-in; None when they have no key."""
    with c.store.transaction() as db:
        keys = keys_of(db, session.account_id, session.user_id)
        if not keys:
            return None
        challenge = webauthn_challenges.issue(
            db, session.token_hash, webauthn_challenges.AUTHENTICATE, c.clock.now()
        )
        return webauthn.authentication_options(rp, challenge, _refs(keys))


def claimed_serial(
    c: Console, session: console_sessions.Session, credential_json: str
) -> str | None:
    """The serial number of the principal's key an assertion names, for the audit
    record of the step (CloudTrail's MFAIdentifier); the proof alone decides."""
    claimed = webauthn.credential_id_of(credential_json)
    with c.store.reading() as db:
        keys = keys_of(db, session.account_id, session.user_id)
    return next((k.serial_number for k in keys if claimed and k.credential_id == claimed), None)


def assertion_proof(
    session: console_sessions.Session, rp: webauthn.RelyingParty, credential_json: str
) -> Callable[[Connection, datetime], bool]:
    """steps.second_factor_step's proof for a security key: the session's challenge is
    used up first, then the assertion must come from one of the principal's keys,
    be signed over that challenge for this RP ID and origin with the user present,
    and move the key's counter forward (a counter that goes back: a cloned key)."""

    def proof(db: Connection, now: datetime) -> bool:
        challenge = webauthn_challenges.take(
            db, session.token_hash, webauthn_challenges.AUTHENTICATE, now
        )
        if challenge is None:
            return False
        claimed = webauthn.credential_id_of(credential_json)
        key = next(
            (
                k
                for k in keys_of(db, session.account_id, session.user_id)
                if claimed is not None and k.credential_id == claimed
            ),
            None,
        )
        if key is None or key.public_key is None:
            return False
        count = webauthn.verify_assertion(
            rp, credential_json, challenge, key.public_key, key.sign_count or 0
        )
        if count is None:
            return False
        return mfa_devices.advance_sign_count(db, key.serial_number, key.sign_count, count)

    return proof
