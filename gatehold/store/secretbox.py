"""Sealing secrets at rest with the operator's key.

AES-256-GCM with a fresh 96-bit nonce per value. The associated data names the
row a value belongs to (for example b"access_key:AKIA..."), so a sealed secret
copied into another row fails to open instead of silently authenticating as
someone else.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
KEY_FILE_NAME = "master.key"
KEY_ENV = "GATEHOLD_MASTER_KEY"


class SecretBoxError(Exception):
    """A value could not be opened: wrong key, or it was tampered with."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        if sealed[:1] != _VERSION or len(sealed) < 29:
            raise SecretBoxError("unknown sealed-value format")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], aad)
        except InvalidTag as exc:
            raise SecretBoxError("sealed value does not open with this key") from exc


def load_or_create_key(data_dir: Path, *, create: bool) -> bytes:
    """The operator's key: $GATEHOLD_MASTER_KEY (base64) or <data_dir>/master.key."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        key = base64.b64decode(from_env)
        if len(key) != 32:
            raise ValueError(f"{KEY_ENV} must be 32 bytes, base64-encoded")
        return key
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) != 32:
            raise ValueError(f"{path} does not hold a 32-byte base64 key")
        return key
    if not create:
        raise FileNotFoundError(f"no master key: {path} is missing and {KEY_ENV} is not set")
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # Create with 0600 from the start: the key must never be readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(key) + b"\n")
    return key
