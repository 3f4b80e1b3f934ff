"""Console test helpers: users, login profiles and MFA devices made through the IAM API
(boto3, as the admin user), and the operator's unlock command."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC

import pyotp

from tests.support.aws import unique
from tests.support.servers import RunningServer, gatehold_command, store_args

INCORRECT = "Your authentication information is incorrect. Please try again."
PASSWORD = "Corr3ct-Horse-Battery!"


def make_user(server: RunningServer, *, reset: bool = False, password: str = PASSWORD) -> str:
    iam = server.client("iam")
    name = unique("console")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=reset)
    return name


def add_mfa(server: RunningServer, name: str, device: str | None = None) -> tuple[str, pyotp.TOTP]:
    iam = server.client("iam")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=device or unique("mfa"))
    serial = created["VirtualMFADevice"]["SerialNumber"]
    seed = created["VirtualMFADevice"]["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    otp = pyotp.TOTP(seed)
    now = time.time()
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=serial,
        AuthenticationCode1=otp.at(now - 30),
        AuthenticationCode2=otp.at(now),
    )
    return serial, otp


def unlock(server: RunningServer, name: str) -> str:
    out = subprocess.run(
        [
            *gatehold_command(),
            "users",
            "unlock",
            *store_args(server.data_dir, server.database_url),
            "--account-id",
            server.account_id,
            "--user-name",
            name,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout


def allow_change_password(server: RunningServer, name: str) -> None:
    """What AWS's IAMUserChangePassword managed policy grants: iam:ChangePassword on oneself."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ChangePassword",
                "Resource": f"arn:aws:iam::{server.account_id}:user/{name}",
            }
        ],
    }
    server.client("iam").put_user_policy(
        UserName=name, PolicyName="change-password", PolicyDocument=json.dumps(doc)
    )


def fresh_code(otp: pyotp.TOTP) -> str:
    """A code not used yet: EnableMFADevice used up this step's, but the next step's
    is accepted too (one step of clock skew either way), so no need to wait 30 s."""
    return otp.at(time.time() + 30)


def add_root_mfa(server: RunningServer) -> tuple[str, pyotp.TOTP]:
    """A virtual MFA device enabled for the root user. IAM's API cannot do this
    (EnableMFADevice needs a UserName: root's MFA is set up in the console), so it
    goes straight into the store, sealed with the operator's key as the API seals it."""
    from datetime import datetime

    from gatehold.auth import totp
    from gatehold.store import mfa_devices
    from gatehold.store.db import Store, sqlite_url
    from gatehold.store.secretbox import SecretBox, load_or_create_key

    serial = f"arn:aws:iam::{server.account_id}:mfa/{unique('root-mfa')}"
    seed = totp.new_seed()
    box = SecretBox(load_or_create_key(server.data_dir, create=False))
    store = Store.open(server.database_url or sqlite_url(server.data_dir))
    now = datetime.now(UTC)
    device = mfa_devices.MfaDevice(
        serial_number=serial,
        account_id=server.account_id,
        kind=mfa_devices.VIRTUAL,
        device_name=serial.rsplit("/", 1)[1],
        path="/",
        user_type=mfa_devices.OWNER_ROOT,
        user_id=None,
        seed_sealed=box.seal(seed, mfa_devices.seed_aad(serial)),
        created_at=now,
        enabled_at=now,
        last_used_step=totp.step_at(now),
    )
    try:
        with store.transaction() as db:
            mfa_devices.insert(db, device)
    finally:
        store.dispose()
    return serial, pyotp.TOTP(totp.base32_seed(seed))


def remove_mfa(server: RunningServer, serial: str) -> None:
    from gatehold.store import mfa_devices
    from gatehold.store.db import Store, sqlite_url

    store = Store.open(server.database_url or sqlite_url(server.data_dir))
    try:
        with store.transaction() as db:
            mfa_devices.delete(db, serial)
    finally:
        store.dispose()
