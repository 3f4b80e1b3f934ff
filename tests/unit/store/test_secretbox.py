"""Secrets at rest: sealed values open only with the right key and the right row."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gatehold.store.secretbox import SecretBox, SecretBoxError, load_or_create_key


def test_sealed_value_opens_with_same_key_and_row() -> None:
    box = SecretBox(os.urandom(32))
    sealed = box.seal(b"wJalrXUtnFEMI", b"access_key:AKIA1")
    assert b"wJalrXUtnFEMI" not in sealed
    assert box.open(sealed, b"access_key:AKIA1") == b"wJalrXUtnFEMI"


def test_sealed_value_moved_to_another_row_does_not_open() -> None:
    box = SecretBox(os.urandom(32))
    sealed = box.seal(b"secret", b"access_key:AKIA1")
    with pytest.raises(SecretBoxError):
        box.open(sealed, b"access_key:AKIA2")


def test_other_key_or_tampering_does_not_open() -> None:
    sealed = SecretBox(os.urandom(32)).seal(b"secret", b"aad")
    with pytest.raises(SecretBoxError):
        SecretBox(os.urandom(32)).open(sealed, b"aad")
    box = SecretBox(os.urandom(32))
    good = bytearray(box.seal(b"secret", b"aad"))
    good[-1] ^= 1
    with pytest.raises(SecretBoxError):
        box.open(bytes(good), b"aad")


def test_same_plaintext_seals_differently_each_time() -> None:
    box = SecretBox(os.urandom(32))
    assert box.seal(b"x", b"a") != box.seal(b"x", b"a")


def test_key_file_is_created_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEHOLD_MASTER_KEY", raising=False)
    key = load_or_create_key(tmp_path, create=True)
    mode = stat.S_IMODE((tmp_path / "master.key").stat().st_mode)
    assert mode == 0o600
    assert load_or_create_key(tmp_path, create=False) == key
    with pytest.raises(FileNotFoundError):
        load_or_create_key(tmp_path / "elsewhere", create=False)
