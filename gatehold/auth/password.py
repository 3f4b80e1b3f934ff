"""Password hashing (argon2id) and generation.

Parameters follow OWASP's Password Storage Cheat Sheet minimum for argon2id:
m=19 MiB, t=2, p=1. The hash string records them, so raising them later still
verifies old hashes (and check_needs_rehash tells when to upgrade one).
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# A hash of a random password: verifying against it when a user does not exist
# costs the same as a real check, so timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(24))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a stored hash."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_SYMBOLS = "!@#$%^&*()_+-=[]{}|'"


def generate_password(length: int = 20) -> str:
    """A random password with every character class, as IAM's console generates."""
    alphabet = string.ascii_letters + string.digits + _SYMBOLS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(c in _SYMBOLS for c in candidate)
        ):
            return candidate
