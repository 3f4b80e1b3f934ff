"""Time-based one-time passwords (RFC 6238), as AWS virtual MFA devices use them.

Pure: every function takes the seed and the time (or the time step) as arguments.
AWS's virtual MFA is TOTP with HMAC-SHA1, 6 digits and a 30-second step, which is
what authenticator apps default to.

Single use (RFC 6238 section 5.2: "the verifier MUST NOT accept the second attempt
of the same OTP after the successful validation has been issued for the first
OTP"): a device remembers the last time step it accepted, and a code is accepted
only for a later step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote

PERIOD_SECONDS = 30
DIGITS = 6
# Steps either side of now a code may come from: one step absorbs clock skew and
# a code typed just as it rolled over.
WINDOW = 1
# Seed length in bytes: 40 bytes is 64 base32 characters, the length of the
# Base32StringSeed AWS hands out.
SEED_BYTES = 40


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def base32_seed(seed: bytes) -> str:
    return base64.b32encode(seed).decode("ascii")


def step_at(now: datetime | float, period: int = PERIOD_SECONDS) -> int:
    """The RFC 6238 time step T for a moment (an aware datetime or epoch seconds)."""
    seconds = now.timestamp() if isinstance(now, datetime) else now
    return int(seconds // period)


def code_at(seed: bytes, step: int, digits: int = DIGITS) -> str:
    """The HOTP value (RFC 4226) for counter `step`."""
    mac = hmac.new(seed, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def _matches(seed: bytes, step: int, code: str) -> bool:
    return hmac.compare_digest(code_at(seed, step), code)


def verify(
    seed: bytes, code: str, now_step: int, last_used_step: int | None, window: int = WINDOW
) -> int | None:
    """The step `code` belongs to, if it is within `window` steps of now and later
    than the last step the device accepted; else None (wrong, stale or reused)."""
    for step in range(now_step - window, now_step + window + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if _matches(seed, step, code):
            return step
    return None


def verify_consecutive(
    seed: bytes,
    code1: str,
    code2: str,
    now_step: int,
    last_used_step: int | None,
    window: int = WINDOW,
) -> int | None:
    """The step of `code2` when `code1` and `code2` are the codes of two consecutive
    steps, the second within `window` steps of now and both unused; else None.

    This is what EnableMFADevice and ResyncMFADevice ask for: the user types one
    code, waits for the next, and types that one too.
    """
    for second in range(now_step - window, now_step + window + 1):
        first = second - 1
        if last_used_step is not None and first <= last_used_step:
            continue
        # Check both, always, so the time taken does not say which code was wrong.
        ok1 = _matches(seed, first, code1)
        ok2 = _matches(seed, second, code2)
        if ok1 and ok2:
            return second
    return None


def otpauth_uri(seed: bytes, account_name: str, issuer: str) -> str:
    """The Key Uri Format authenticator apps read from a QR code:
    otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>."""
    label = quote(f"{issuer}:{account_name}", safe=":@")
    return f"otpauth://totp/{label}?secret={base32_seed(seed)}&issuer={quote(issuer, safe='')}"
