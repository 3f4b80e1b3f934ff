"""Password checks against the account password policy (and AWS's default one)."""

from __future__ import annotations

import pytest

from gatehold.auth.password_rules import VIOLATION_MESSAGE, violation_message, violations
from gatehold.store.records import PasswordPolicy

STRICT = PasswordPolicy(
    minimum_password_length=12,
    require_symbols=True,
    require_numbers=True,
    require_uppercase=True,
    require_lowercase=True,
)


def test_a_conforming_password_has_no_violations() -> None:
    assert violations("Correct-Horse-42", STRICT) == []
    assert violation_message("Correct-Horse-42", STRICT) is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Short-1a", "at least 12 characters"),
        ("no-upper-case-42", "at least one uppercase"),
        ("NO-LOWER-CASE-42", "at least one lowercase"),
        ("No-Numbers-Here", "at least one number"),
        ("NoSymbolsHere42", "at least one symbol"),
    ],
)
def test_each_broken_rule_is_named(password: str, reason: str) -> None:
    assert violations(password, STRICT) == [reason]
    assert violation_message(password, STRICT) == VIOLATION_MESSAGE


def test_awss_one_text_for_every_violation() -> None:
    assert VIOLATION_MESSAGE == "Password does not conform to the account password policy."


def test_only_awss_symbols_count_as_symbols() -> None:
    policy = PasswordPolicy(require_symbols=True)
    assert violations("abcdef!", policy) == []
    assert violations("abcdef~", policy) == ["at least one symbol"]  # ~ is not in AWS's list


def test_a_lax_custom_policy_allows_six_characters() -> None:
    assert violations("abcdef", PasswordPolicy()) == []
    assert violations("abcde", PasswordPolicy()) == ["at least 6 characters"]


def test_default_policy_needs_eight_characters_and_three_classes() -> None:
    assert violations("Abcdef1!", None) == []
    assert violations("Abcdefg1", None) == []
    assert violations("Abc1!", None) == ["at least 8 characters"]
    assert violations("abcdefgh1", None) == [
        "at least three of: uppercase, lowercase, numbers, symbols"
    ]


def test_default_policy_forbids_the_account_email() -> None:
    email = "Root@Example.com"
    assert violations("root@example.COM", None, [email]) == [
        "not the account name or email address"
    ]
