"""Validation answers AWS's own messages, exactly."""

from __future__ import annotations

from typing import Any

import pytest

from gatehold.errors import AwsError
from gatehold.protocol import parse_input, route
from gatehold.protocol.validate import fmt
from tests.unit.protocol.protocol_wire_helpers import botocore_request


def _error(service: str, op: str, params: dict[str, Any]) -> AwsError:
    req = botocore_request(service, op, params)
    with pytest.raises(AwsError) as caught:
        parse_input(route(req, None), req)
    return caught.value


def test_too_long_string_names_the_member_with_a_lower_case_first_letter() -> None:
    err = _error("iam", "CreateUser", {"UserName": "a" * 65})

    assert err.code == "ValidationError"
    assert err.status == 400
    assert err.message == (
        f"1 validation error detected: Value '{'a' * 65}' at 'userName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64"
    )


def test_pattern_is_shown_as_the_model_writes_it() -> None:
    err = _error("iam", "CreateUser", {"UserName": "bad name!"})

    assert err.message == (
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


def test_pattern_error_comes_before_the_length_error_of_the_same_member() -> None:
    # As STS answers AssumeRole with RoleArn='' (two errors, pattern first).
    err = _error("sts", "AssumeRole", {"RoleArn": "", "RoleSessionName": "s1"})

    assert err.message == (
        "2 validation errors detected: Value '' at 'roleArn' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: "
        "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085"
        "\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+; "
        "Value '' at 'roleArn' failed to satisfy constraint: "
        "Member must have length greater than or equal to 20"
    )


def test_enum_lists_the_allowed_values_in_model_order() -> None:
    err = _error(
        "iam", "UpdateAccessKey", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Enabled"}
    )

    assert err.message == (
        "1 validation error detected: Value 'Enabled' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Active, Inactive, Expired]"
    )


def test_missing_required_member_is_null() -> None:
    err = _error("iam", "GetRole", {})

    assert err.message == (
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_integer_range() -> None:
    err = _error("sts", "GetSessionToken", {"DurationSeconds": 600})

    assert err.message == (
        "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value greater than or equal to 900"
    )


def test_nested_list_member_path_is_one_based() -> None:
    tags = [{"Key": "ok", "Value": "fine"}, {"Key": "team", "Value": "a|b"}]

    err = _error("iam", "CreateUser", {"UserName": "bob", "Tags": tags})

    assert err.message == (
        "1 validation error detected: Value 'a|b' at 'tags.2.member.value' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
    )


def test_several_errors_are_counted_and_joined_in_member_order() -> None:
    err = _error(
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::123456789012:role/demo",
            "RoleSessionName": "x",
            "DurationSeconds": 50000,
            "TransitiveTagKeys": ["k"] * 51,
        },
    )

    keys = "[" + ", ".join(["k"] * 51) + "]"
    assert err.message == (
        "3 validation errors detected: "
        "Value 'x' at 'roleSessionName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 2; "
        "Value '50000' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 43200; "
        f"Value '{keys}' at 'transitiveTagKeys' failed to satisfy constraint: "
        "Member must have length less than or equal to 50"
    )


def test_json_services_answer_validation_exception() -> None:
    err = _error(
        "identitystore",
        "DescribeUser",
        {"IdentityStoreId": "nope", "UserId": "12345678-1234-1234-1234-123456789012"},
    )

    assert err.code == "ValidationException"
    assert err.message.startswith(
        "1 validation error detected: Value 'nope' at 'identityStoreId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: (arn:aws"
    )


def test_rest_json_services_answer_validation_exception() -> None:
    err = _error("accessanalyzer", "GetAnalyzer", {"analyzerName": "has space"})

    assert err.code == "ValidationException"
    assert "at 'analyzerName' failed to satisfy constraint" in err.message


def test_map_keys_list_every_constraint_of_the_key_shape() -> None:
    err = _error(
        "cloudtrail",
        "StartDashboardRefresh",
        {"DashboardId": "dash", "QueryParameterValues": {"no spaces": "v"}},
    )

    assert err.message == (
        "1 validation error detected: Value '{no spaces=v}' at 'queryParameterValues' failed to "
        "satisfy constraint: Map keys must satisfy constraint: [Member must have length less than "
        "or equal to 128, Member must have length greater than or equal to 3, Member must satisfy "
        "regular expression pattern: ^[a-zA-Z0-9._/\\-:$]+$]"
    )


def test_map_values_are_reported_at_the_map() -> None:
    err = _error(
        "cloudtrail",
        "StartDashboardRefresh",
        {"DashboardId": "dash", "QueryParameterValues": {"key": "bad value!"}},
    )

    assert err.message == (
        "1 validation error detected: Value '{key=bad value!}' at 'queryParameterValues' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have length less than "
        "or equal to 128, Member must have length greater than or equal to 1, Member must satisfy "
        "regular expression pattern: ^[a-zA-Z0-9._/\\-:]+$]"
    )


def test_unicode_categories_accept_letters_of_any_script() -> None:
    req = botocore_request(
        "iam", "TagUser", {"UserName": "bob", "Tags": [{"Key": "Équipe", "Value": "日本 ٣"}]}
    )

    params = parse_input(route(req, "iam"), req)

    assert params["Tags"] == [{"Key": "Équipe", "Value": "日本 ٣"}]


def test_values_print_as_java_prints_them() -> None:
    assert fmt(b"abc") == "java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]"
    assert fmt(True) == "true"
    assert fmt(["a", "b"]) == "[a, b]"
    assert fmt({"k": "v"}) == "{k=v}"


def test_query_value_of_the_wrong_type_is_invalid_parameter_value() -> None:
    req = botocore_request("iam", "ListUsers", {"MaxItems": 5})
    bad = type(req)(
        req.method,
        req.raw_path,
        req.raw_query,
        req.headers,
        req.body.replace(b"MaxItems=5", b"MaxItems=five"),
    )

    with pytest.raises(AwsError) as caught:
        parse_input(route(bad, "iam"), bad)

    assert caught.value.code == "InvalidParameterValue"
    assert "MaxItems" in caught.value.message


def test_json_value_of_the_wrong_type_is_serialization_exception() -> None:
    req = botocore_request("organizations", "DescribeAccount", {"AccountId": "123456789012"})
    bad = type(req)(
        req.method, req.raw_path, req.raw_query, req.headers, b'{"AccountId": 123456789012}'
    )

    with pytest.raises(AwsError) as caught:
        parse_input(route(bad, None), bad)

    assert caught.value.code == "SerializationException"
    assert caught.value.message == "NUMBER_VALUE can not be converted to a String"


def test_sensitive_values_are_never_echoed() -> None:
    from gatehold.errors import AwsError
    from gatehold.protocol import get_service
    from gatehold.protocol.validate import validate

    op = get_service("iam").model.operation_model("ChangePassword")
    secret = "s3cr3t-" + "x" * 130
    try:
        validate(
            {"OldPassword": secret, "NewPassword": "fine-Passw0rd!"},
            op.input_shape,
            "ValidationError",
        )
    except AwsError as err:
        assert secret not in err.message
        assert err.message == (
            "1 validation error detected: Value at 'oldPassword' failed to satisfy "
            "constraint: Member must have length less than or equal to 128"
        )
    else:
        raise AssertionError("an over-long password must be refused")
