"""TOTP as RFC 6238 defines it, and the single-use window gatehold verifies with."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from gatehold.auth import totp

RFC_SEED = b"12345678901234567890"


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_sha1_vectors(unix_time: int, expected: str) -> None:
    assert totp.code_at(RFC_SEED, totp.step_at(unix_time), digits=8) == expected


def test_codes_match_what_authenticator_apps_compute() -> None:
    seed = totp.new_seed()
    app = pyotp.TOTP(totp.base32_seed(seed))
    for t in (0, 1_700_000_000, 1_700_000_029, 1_700_000_030):
        assert totp.code_at(seed, totp.step_at(t)) == app.at(t)


def test_seed_is_64_base32_characters_like_awss() -> None:
    assert len(totp.base32_seed(totp.new_seed())) == 64


def test_step_of_an_aware_datetime() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert totp.step_at(moment) == int(moment.timestamp()) // 30


def test_verify_accepts_one_step_either_side_and_says_which() -> None:
    seed, now = totp.new_seed(), 1000
    for step in (999, 1000, 1001):
        assert totp.verify(seed, totp.code_at(seed, step), now, None) == step
    assert totp.verify(seed, totp.code_at(seed, 998), now, None) is None
    assert totp.verify(seed, totp.code_at(seed, 1002), now, None) is None


def test_verify_refuses_a_step_already_used_or_older() -> None:
    seed, now = totp.new_seed(), 1000
    code = totp.code_at(seed, 1000)
    assert totp.verify(seed, code, now, last_used_step=1000) is None
    assert totp.verify(seed, totp.code_at(seed, 999), now, last_used_step=1000) is None
    assert totp.verify(seed, totp.code_at(seed, 1001), now, last_used_step=1000) == 1001


def test_consecutive_codes_give_the_second_step() -> None:
    seed, now = totp.new_seed(), 5000
    c1, c2 = totp.code_at(seed, 4999), totp.code_at(seed, 5000)
    assert totp.verify_consecutive(seed, c1, c2, now, None) == 5000


def test_consecutive_codes_out_of_order_or_not_adjacent_are_refused() -> None:
    seed, now = totp.new_seed(), 5000
    c1, c2, c3 = (totp.code_at(seed, s) for s in (4999, 5000, 5001))
    assert totp.verify_consecutive(seed, c2, c1, now, None) is None
    assert totp.verify_consecutive(seed, c1, c3, now, None) is None


def test_consecutive_codes_are_single_use() -> None:
    seed, now = totp.new_seed(), 5000
    c1, c2 = totp.code_at(seed, 4999), totp.code_at(seed, 5000)
    assert totp.verify_consecutive(seed, c1, c2, now, last_used_step=5000) is None
    assert totp.verify_consecutive(seed, c1, c2, now, last_used_step=4999) is None
    assert totp.verify_consecutive(seed, c1, c2, now, last_used_step=4998) == 5000


def test_wider_window_finds_a_drifted_device() -> None:
    seed, now = totp.new_seed(), 5000
    c1, c2 = totp.code_at(seed, 4993), totp.code_at(seed, 4994)
    assert totp.verify_consecutive(seed, c1, c2, now, None) is None
    assert totp.verify_consecutive(seed, c1, c2, now, None, window=10) == 4994


def test_otpauth_uri_carries_the_seed_and_issuer() -> None:
    seed = totp.new_seed()
    uri = totp.otpauth_uri(seed, "phone@123456789012", "Amazon Web Services")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    query = parse_qs(parsed.query)
    assert base64.b32decode(query["secret"][0]) == seed
    assert query["issuer"] == ["Amazon Web Services"]
    assert pyotp.parse_uri(uri).secret == totp.base32_seed(seed)
