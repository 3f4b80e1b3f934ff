"""SSH public keys of IAM users (the keys CodeCommit accepts over SSH).

AWS accepts an RSA key of at least 2048 bits in OpenSSH ("ssh-rsa AAAA...") or
PEM form (UploadSSHPublicKey's documentation), shows its MD5 fingerprint as
colon-separated hex (what `ssh-keygen -E md5 -l` prints), and returns it in the
encoding GetSSHPublicKey asks for. Quota (IAM quotas page): 5 keys per user.
IDs start with APKA.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gatehold import ids
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import credential_errors
from gatehold.services.iam.errors import quota_exceeded
from gatehold.services.iam.listing import listed, page_list
from gatehold.services.iam.targets import authorize_user, caller_or_named
from gatehold.store import certificates as store
from gatehold.store.certificates import SshPublicKey
from gatehold.store.records import User

PREFIX_SSH_PUBLIC_KEY = "APKA"
MAX_KEYS_PER_USER = 5
MIN_RSA_BITS = 2048
_PEM = re.compile(r"-----BEGIN (RSA )?PUBLIC KEY-----")


def _load(body: str) -> rsa.RSAPublicKey:
    text = body.strip()
    try:
        if _PEM.match(text):
            key = serialization.load_pem_public_key(text.encode())
        else:  # OpenSSH: "<type> <base64 blob> [comment]"
            key = serialization.load_ssh_public_key(" ".join(text.split()[:2]).encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise credential_errors.unrecognized_public_key() from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise credential_errors.invalid_public_key("only ssh-rsa keys are supported")
    if key.key_size < MIN_RSA_BITS:
        raise credential_errors.invalid_public_key(f"the key must be at least {MIN_RSA_BITS} bits")
    return key


def _openssh(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def _pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(key: rsa.RSAPublicKey) -> str:
    blob = base64.b64decode(_openssh(key).split()[1])
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob, usedforsecurity=False).digest())


def _body_in(key: SshPublicKey, encoding: str) -> str:
    uploaded_as_pem = bool(_PEM.match(key.body.strip()))
    if (encoding == "PEM") == uploaded_as_pem:
        return key.body
    loaded = _load(key.body)
    return _pem(loaded) if encoding == "PEM" else _openssh(loaded)


def _shape(user: User, key: SshPublicKey, body: str) -> dict[str, Any]:
    return {
        "UserName": user.user_name,
        "SSHPublicKeyId": key.key_id,
        "Fingerprint": key.fingerprint,
        "SSHPublicKeyBody": body,
        "Status": key.status,
        "UploadDate": key.uploaded_at,
    }


def _key_of(call: Call, user: User, key_id: str) -> SshPublicKey:
    key = store.get_ssh_key(call.db, user.user_id, key_id)
    if key is None:
        raise credential_errors.ssh_key_not_found(key_id)
    return key


def upload_ssh_public_key(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:UploadSSHPublicKey", params["UserName"])
    loaded = _load(params["SSHPublicKeyBody"])
    existing = store.ssh_keys_of(call.db, user.user_id)
    print_ = fingerprint(loaded)
    if any(k.fingerprint == print_ for k in existing):
        raise credential_errors.duplicate_ssh_key()
    if len(existing) >= MAX_KEYS_PER_USER:
        raise quota_exceeded("SSHPublicKeysPerUser", MAX_KEYS_PER_USER)
    key = SshPublicKey(
        key_id=ids.new_unique_id(PREFIX_SSH_PUBLIC_KEY),
        user_id=user.user_id,
        body=params["SSHPublicKeyBody"],
        fingerprint=print_,
        status="Active",
        uploaded_at=call.ctx.now,
    )
    store.insert_ssh_key(call.db, key)
    return {"SSHPublicKey": _shape(user, key, key.body)}


def get_ssh_public_key(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:GetSSHPublicKey", params["UserName"])
    key = _key_of(call, user, params["SSHPublicKeyId"])
    return {"SSHPublicKey": _shape(user, key, _body_in(key, params["Encoding"]))}


def update_ssh_public_key(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:UpdateSSHPublicKey", params["UserName"])
    key = _key_of(call, user, params["SSHPublicKeyId"])
    store.set_ssh_key_status(call.db, key.key_id, params["Status"])
    return {}


def delete_ssh_public_key(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:DeleteSSHPublicKey", params["UserName"])
    key = _key_of(call, user, params["SSHPublicKeyId"])
    store.delete_ssh_key(call.db, key.key_id)
    return {}


def list_ssh_public_keys(call: Call, params: Params) -> Result:
    user = caller_or_named(call, "iam:ListSSHPublicKeys", params.get("UserName"))
    if user is None:  # the root user has no SSH keys
        return {"SSHPublicKeys": [], "IsTruncated": False}
    keys, truncated, marker = page_list(
        params, store.ssh_keys_of(call.db, user.user_id), lambda k: k.key_id
    )
    items = [
        {
            "UserName": user.user_name,
            "SSHPublicKeyId": k.key_id,
            "Status": k.status,
            "UploadDate": k.uploaded_at,
        }
        for k in keys
    ]
    return listed("SSHPublicKeys", (items, truncated, marker))


HANDLERS = {
    "UploadSSHPublicKey": upload_ssh_public_key,
    "GetSSHPublicKey": get_ssh_public_key,
    "UpdateSSHPublicKey": update_ssh_public_key,
    "DeleteSSHPublicKey": delete_ssh_public_key,
    "ListSSHPublicKeys": list_ssh_public_keys,
}
