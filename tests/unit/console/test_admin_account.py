"""The account settings form's pure core: which UpdateAccountPasswordPolicy
parameters a posted form asks for, and the form pre-filled from a policy."""

from __future__ import annotations

import re

import pytest

from gatehold.console.admin.account import NotANumber, form_values, policy_params

NOTHING_REQUIRED = {
    "RequireUppercaseCharacters": False,
    "RequireLowercaseCharacters": False,
    "RequireNumbers": False,
    "RequireSymbols": False,
    "AllowUsersToChangePassword": False,
}


def test_an_empty_form_asks_for_the_api_defaults() -> None:
    # Every flag is sent (the call replaces the whole policy); numbers left out.
    assert policy_params({}) == NOTHING_REQUIRED


def test_numbers_are_sent_only_with_their_switch_on() -> None:
    form = {"max_password_age": "90", "reuse_prevention": "5", "hard_expiry": "on"}
    assert policy_params(form) == NOTHING_REQUIRED
    form |= {"expire": "on", "prevent_reuse": "on", "minimum_length": " 14 "}
    assert policy_params(form) == NOTHING_REQUIRED | {
        "MinimumPasswordLength": 14,
        "MaxPasswordAge": 90,
        "HardExpiry": True,
        "PasswordReusePrevention": 5,
    }


def test_out_of_range_values_are_left_to_iam() -> None:
    assert policy_params({"minimum_length": "5"})["MinimumPasswordLength"] == 5


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"minimum_length": "ten"}, "Password minimum length must be a whole number."),
        ({"expire": "on"}, "Expire passwords in (days) must be a whole number."),
        ({"prevent_reuse": "on", "reuse_prevention": "1.5"}, "Number of passwords to remember"),
    ],
)
def test_a_number_field_in_use_must_be_a_whole_number(form: dict[str, str], message: str) -> None:
    with pytest.raises(NotANumber, match=re.escape(message)):
        policy_params(form)


def test_the_form_round_trips_a_policy() -> None:
    policy = {
        "MinimumPasswordLength": 12,
        "RequireSymbols": True,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 30,
        "HardExpiry": False,
    }
    values = form_values(policy)
    form = {k: ("on" if v is True else v) for k, v in values.items() if v is not False}
    assert policy_params(form) == {k: v for k, v in policy.items() if k != "ExpirePasswords"}
    assert form_values(None)["minimum_length"] == ""
