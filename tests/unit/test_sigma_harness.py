"""tests/support/sigma.py, the harness the Sigma proof relies on: it must match as a
Sigma backend does (case-insensitively; a missing field is null), or a proof built on
it could pass or fail for the harness's reasons rather than gatehold's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.sigma import flatten, matching_event_ids

# The harness is tried on SigmaHQ's own rules, from the conformance data.
pytestmark = pytest.mark.conformance

WITHOUT_MFA = "aws_cloudtrail_console_login_success_without_mfa.yml"
UPDATE_LOGIN_PROFILE = "aws_update_login_profile.yml"


def _login(event_id: str, mfa_used: str, outcome: str = "Success") -> dict[str, Any]:
    return {
        "eventID": event_id,
        "eventName": "ConsoleLogin",
        "responseElements": {"ConsoleLogin": outcome},
        "additionalEventData": {"MFAUsed": mfa_used, "MobileVersion": "No"},
    }


def test_values_match_case_insensitively_as_sigma_does() -> None:
    # The SigmaHQ rule says 'NO'; AWS writes "No".
    found = matching_event_ids(
        WITHOUT_MFA, [_login("a", "No"), _login("b", "Yes"), _login("c", "No", "Failure")]
    )
    assert found == {"a"}


def test_a_field_no_record_has_is_null() -> None:
    # `not filter` on a field none of the records has: the filter is false, the rule
    # fires on its selection (and not on other events).
    records: list[dict[str, Any]] = [
        {"eventID": "u", "eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile",
         "userIdentity": {"arn": "arn:aws:iam::123456789012:user/admin"}},
        {"eventID": "x", "eventSource": "iam.amazonaws.com", "eventName": "CreateLoginProfile"},
    ]  # fmt: skip
    assert matching_event_ids(UPDATE_LOGIN_PROFILE, records) == {"u"}


def test_records_flatten_to_dotted_fields() -> None:
    assert flatten({"a": {"b": True, "c": None, "d": [1]}, "e": 5}) == {
        "a.b": "true",
        "a.d": "[1]",
        "e": "5",
    }
