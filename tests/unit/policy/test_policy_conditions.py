"""Every condition operator, with the edge cases of shared/research/policy_eval.md §4.

Each check builds one Allow statement with the condition and asks whether the
request is allowed, so the operators are tested through the public API.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatehold.policy import PolicyRef, Request, evaluate, parse_policy

Ctx = dict[str, Any]


def holds(
    condition: dict[str, Any], context: Ctx | None = None, version: str = "2012-10-17"
) -> bool:
    stmt = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
    policy = parse_policy(json.dumps({"Version": version, "Statement": [stmt]}))
    ctx = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in (context or {}).items()}
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", ctx)
    return evaluate(request, identity=[PolicyRef(policy, "p", "user")]).outcome == "allowed"


# --- strings ----------------------------------------------------------------------


def test_string_equals_is_exact_and_case_sensitive() -> None:
    assert holds({"StringEquals": {"aws:username": "alice"}}, {"aws:username": "alice"})
    assert not holds({"StringEquals": {"aws:username": "alice"}}, {"aws:username": "Alice"})
    # "*" is an ordinary character for StringEquals.
    assert not holds({"StringEquals": {"aws:username": "ali*"}}, {"aws:username": "alice"})
    assert holds({"StringEquals": {"aws:username": "ali*"}}, {"aws:username": "ali*"})


def test_string_values_or_and_negated_values_nor() -> None:
    both = {"aws:username": ["bob", "alice"]}
    assert holds({"StringEquals": both}, {"aws:username": "alice"})
    assert not holds({"StringNotEquals": both}, {"aws:username": "alice"})
    assert holds({"StringNotEquals": both}, {"aws:username": "carol"})


def test_empty_string_matches_an_empty_value() -> None:
    # The S3 home-folder example lists "" as a permitted s3:prefix.
    assert holds({"StringEquals": {"s3:prefix": ["", "home/"]}}, {"s3:prefix": ""})


def test_ignore_case_variants() -> None:
    assert holds({"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}, {"aws:username": "alice"})
    assert not holds(
        {"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}, {"aws:username": "Alice"}
    )


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("user?", "user1", True),
        ("user?", "user12", False),
        ("user?", "user", False),
        ("a*e", "alice", True),
        ("a*e", "alicia", False),
        ("AL*", "alice", False),
        ("*", "", True),
        ("home/*", "home/a/b/c", True),
    ],
)
def test_string_like(pattern: str, value: str, expected: bool) -> None:
    assert holds({"StringLike": {"k:v": pattern}}, {"k:v": value}) is expected
    assert holds({"StringNotLike": {"k:v": pattern}}, {"k:v": value}) is (not expected)


def test_key_names_ignore_case_but_values_do_not() -> None:
    assert holds({"StringEquals": {"AWS:UserName": "alice"}}, {"aws:username": "alice"})
    assert holds({"StringEquals": {"aws:username": "alice"}}, {"AWS:USERNAME": "alice"})


# --- numbers, dates, booleans, binary -----------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy", "value", "expected"),
    [
        ("NumericEquals", "10", "010", True),
        ("NumericEquals", "10", "10.0", True),
        ("NumericNotEquals", "10", "11", True),
        ("NumericLessThan", "3600", "3600", False),
        ("NumericLessThanEquals", "3600", "3600", True),
        ("NumericGreaterThan", "9", "10", True),  # numbers, not text: "10" < "9" as text
        ("NumericGreaterThanEquals", "10", "9", False),
        ("NumericLessThan", "3600", "not-a-number", False),
    ],
)
def test_numeric(operator: str, policy: str, value: str, expected: bool) -> None:
    assert (
        holds({operator: {"aws:MultiFactorAuthAge": policy}}, {"aws:MultiFactorAuthAge": value})
        is expected
    )


def test_numeric_policy_value_may_be_a_json_number() -> None:
    assert holds({"NumericLessThan": {"s3:max-keys": 10}}, {"s3:max-keys": "9"})


@pytest.mark.parametrize(
    ("operator", "policy", "value", "expected"),
    [
        ("DateLessThan", "2030-01-01T00:00:00Z", "2025-06-01T12:00:00Z", True),
        ("DateLessThan", "1893456000", "2025-06-01T12:00:00Z", True),  # epoch policy value
        ("DateGreaterThan", "2025-01-01T00:00:00Z", "1748779200", True),  # epoch context value
        ("DateGreaterThan", "2025-06-01T13:00:00+02:00", "2025-06-01T12:00:00Z", True),
        ("DateEquals", "2025-06-01T14:00:00+02:00", "2025-06-01T12:00:00Z", True),
        ("DateNotEquals", "2025-06-01T12:00:00Z", "2025-06-01T12:00:00Z", False),
        ("DateLessThan", "2025-06-01T12:00:00Z", "2025-06-01T12:00:00Z", False),
        ("DateLessThanEquals", "2025-06-01T12:00:00Z", "2025-06-01T12:00:00Z", True),
        ("DateGreaterThanEquals", "2025-06-01", "2025-06-01T00:00:00Z", True),
        ("DateGreaterThan", "2025-06-01T12:00:00.5Z", "2025-06-01T12:00:00.250Z", False),
        ("DateLessThan", "2030-01-01T00:00:00Z", "yesterday", False),
    ],
)
def test_dates(operator: str, policy: str, value: str, expected: bool) -> None:
    assert holds({operator: {"aws:CurrentTime": policy}}, {"aws:CurrentTime": value}) is expected


def test_bool() -> None:
    assert holds({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"})
    assert holds({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "True"})
    assert not holds({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"})
    assert not holds({"Bool": {"aws:SecureTransport": "false"}}, {})  # absent: false


def test_binary_equals_compares_decoded_bytes() -> None:
    blob = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="
    assert holds({"BinaryEquals": {"k:b": blob}}, {"k:b": blob})
    assert holds({"BinaryEquals": {"k:b": blob}}, {"k:b": blob.rstrip("=") + "=="})
    assert not holds({"BinaryEquals": {"k:b": blob}}, {"k:b": "b3RoZXI="})
    assert not holds({"BinaryEquals": {"k:b": blob}}, {})


# --- IP addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "ip", "inside"),
    [
        ("203.0.113.0/24", "203.0.113.45", True),
        ("203.0.113.0/24", "203.0.113.0", True),  # network address
        ("203.0.113.0/24", "203.0.113.255", True),  # broadcast address
        ("203.0.113.0/24", "203.0.114.1", False),
        ("203.0.113.45/32", "203.0.113.45", True),
        ("203.0.113.45", "203.0.113.45", True),  # no prefix: one host
        ("0.0.0.0/0", "198.51.100.7", True),
        ("2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),  # hex ignores case
        ("2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", False),
        ("0.0.0.0/0", "2001:db8::1", False),  # IPv6 is never inside an IPv4 range
        ("203.0.113.0/24", "not-an-ip", False),
    ],
)
def test_ip_address(cidr: str, ip: str, inside: bool) -> None:
    assert holds({"IpAddress": {"aws:SourceIp": cidr}}, {"aws:SourceIp": ip}) is inside
    assert holds({"NotIpAddress": {"aws:SourceIp": cidr}}, {"aws:SourceIp": ip}) is (not inside)


# --- ARNs ---------------------------------------------------------------------------


def test_arn_operators_match_each_part_case_sensitively() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:my-topic"
    assert holds({"ArnEquals": {"aws:SourceArn": topic}}, {"aws:SourceArn": topic})
    assert holds({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:my-*"}},
                 {"aws:SourceArn": topic})  # fmt: skip
    assert holds({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:my-topi?"}},
                 {"aws:SourceArn": topic})  # fmt: skip
    assert not holds({"ArnLike": {"aws:SourceArn": topic.upper()}}, {"aws:SourceArn": topic})
    assert not holds({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:210987654321:*"}},
                     {"aws:SourceArn": topic})  # fmt: skip
    # A "*" in one part does not swallow the next part.
    assert not holds({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:my-topic:*"}},
                     {"aws:SourceArn": topic})  # fmt: skip
    assert holds({"ArnNotEquals": {"aws:SourceArn": topic}}, {"aws:SourceArn": topic + "2"})
    assert not holds({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*"}}, {"aws:SourceArn": topic})


# --- absent keys, IfExists and Null ------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("StringEquals", "x"),
        ("StringLike", "*"),
        ("StringEqualsIgnoreCase", "x"),
        ("NumericLessThan", "5"),
        ("DateGreaterThan", "2020-01-01T00:00:00Z"),
        ("Bool", "true"),
        ("BinaryEquals", "eA=="),
        ("IpAddress", "0.0.0.0/0"),
        ("ArnLike", "*"),
        ("ArnEquals", "arn:aws:sns:*:*:*"),
    ],
)
def test_absent_key_positive_false_ifexists_true(operator: str, value: str) -> None:
    assert not holds({operator: {"k:absent": value}})
    assert holds({operator + "IfExists": {"k:absent": value}})


@pytest.mark.parametrize(
    "operator",
    ["StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase", "NumericNotEquals",
     "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"],
)  # fmt: skip
def test_absent_key_makes_negated_operators_true(operator: str) -> None:
    value = {"NumericNotEquals": "0", "DateNotEquals": "2020-01-01T00:00:00Z",
             "NotIpAddress": "10.0.0.0/8"}.get(operator, "x")  # fmt: skip
    assert holds({operator: {"k:absent": value}})
    assert holds({operator + "IfExists": {"k:absent": value}})


def test_if_exists_with_present_key_is_the_plain_operator() -> None:
    cond = {"StringEqualsIfExists": {"ec2:InstanceType": ["t2.micro", "t2.small"]}}
    assert holds(cond, {"ec2:InstanceType": "t2.micro"})
    assert not holds(cond, {"ec2:InstanceType": "m5.large"})
    assert holds({"StringNotEqualsIfExists": {"ec2:InstanceType": "t2.micro"}},
                 {"ec2:InstanceType": "m5.large"})  # fmt: skip


def test_null() -> None:
    assert holds({"Null": {"aws:TokenIssueTime": "true"}})
    assert not holds({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "x"})
    assert holds({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "x"})
    assert not holds({"Null": {"aws:TokenIssueTime": "false"}})
    assert not holds({"Null": {"AWS:TOKENISSUETIME": "true"}}, {"aws:TokenIssueTime": "x"})
    assert holds({"Null": {"aws:TokenIssueTime": True}})  # JSON true reads as "true"


def test_an_empty_value_list_counts_as_absent() -> None:
    assert holds({"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []})
    assert not holds({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": []})
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": []})


# --- multivalued keys -------------------------------------------------------------------


def test_for_all_values() -> None:
    cond = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "owner"]}}
    assert holds(cond, {"aws:TagKeys": ["env"]})
    assert holds(cond, {"aws:TagKeys": ["env", "owner"]})
    assert not holds(cond, {"aws:TagKeys": ["env", "cost"]})
    assert holds(cond)  # absent: true (the documented pitfall)
    assert holds(cond, {"AWS:TAGKEYS": ["env"]})


def test_for_any_value() -> None:
    cond = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "owner"]}}
    assert holds(cond, {"aws:TagKeys": ["cost", "env"]})
    assert not holds(cond, {"aws:TagKeys": ["cost"]})
    assert not holds(cond)


def test_set_operators_with_negated_base_operators() -> None:
    forbidden = ["secret", "pii"]
    assert holds({"ForAllValues:StringNotEquals": {"aws:TagKeys": forbidden}},
                 {"aws:TagKeys": ["env", "owner"]})  # fmt: skip
    assert not holds({"ForAllValues:StringNotEquals": {"aws:TagKeys": forbidden}},
                     {"aws:TagKeys": ["env", "pii"]})  # fmt: skip
    # True when some value differs from every policy value.
    assert holds({"ForAnyValue:StringNotEquals": {"aws:TagKeys": forbidden}},
                 {"aws:TagKeys": ["secret", "env"]})  # fmt: skip
    assert not holds({"ForAnyValue:StringNotEquals": {"aws:TagKeys": forbidden}},
                     {"aws:TagKeys": ["secret"]})  # fmt: skip


def test_set_operators_with_if_exists_and_like() -> None:
    assert holds({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}})
    assert holds({"ForAnyValue:StringLike": {"aws:TagKeys": "o*"}}, {"aws:TagKeys": ["owner"]})


def test_blocks_and_keys_are_anded() -> None:
    cond = {"StringEquals": {"aws:username": "alice", "aws:PrincipalTag/team": "blue"},
            "Bool": {"aws:SecureTransport": "true"}}  # fmt: skip
    full = {"aws:username": "alice", "aws:PrincipalTag/team": "blue", "aws:SecureTransport": "true"}
    assert holds(cond, full)
    for key in full:
        assert not holds(cond, {k: v for k, v in full.items() if k != key})


# --- variables in condition values ------------------------------------------------------


def test_variable_in_a_condition_value() -> None:
    cond = {"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}}
    same = {"aws:ResourceTag/project": "phoenix", "aws:PrincipalTag/project": "phoenix"}
    assert holds(cond, same)
    assert not holds(cond, {**same, "aws:PrincipalTag/project": "unicorn"})
    assert not holds(cond, {"aws:ResourceTag/project": "phoenix"})  # unresolved: no match


def test_unresolved_variable_makes_even_negated_operators_false() -> None:
    # policy_eval.md §5: a value that uses a variable with no value cannot match, and
    # the statement does not apply.
    assert not holds({"StringNotEquals": {"k:x": "${aws:username}"}}, {"k:x": "bob"})


def test_variable_default_value() -> None:
    cond = {"StringEquals": {"k:x": "${aws:PrincipalTag/team, 'company-wide'}"}}
    assert holds(cond, {"k:x": "company-wide"})
    assert holds(cond, {"k:x": "blue", "aws:PrincipalTag/team": "blue"})
    assert not holds(cond, {"k:x": "company-wide", "aws:PrincipalTag/team": "blue"})


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("a${*}b", "a*b", True),
        ("a${*}b", "axxb", False),
        ("file${?}", "file?", True),
        ("file${?}", "file1", False),
        ("cost${$}*", "cost$100", True),
    ],
)
def test_escapes_are_literal_even_in_string_like(pattern: str, value: str, expected: bool) -> None:
    assert holds({"StringLike": {"s3:prefix": pattern}}, {"s3:prefix": value}) is expected


def test_escapes_work_in_string_equals() -> None:
    assert holds({"StringEquals": {"k:x": "cost${$}"}}, {"k:x": "cost$"})


def test_variable_values_are_literal_in_string_like() -> None:
    # A user named "a*" must not turn the pattern into a wildcard.
    cond = {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    assert holds(cond, {"s3:prefix": "home/a*/x", "aws:username": "a*"})
    assert not holds(cond, {"s3:prefix": "home/alice/x", "aws:username": "a*"})


def test_multivalued_keys_do_not_resolve_as_variables() -> None:
    cond = {"StringEquals": {"k:x": "${aws:TagKeys}"}}
    assert not holds(cond, {"k:x": "env", "aws:TagKeys": ["env", "owner"]})
    assert holds(cond, {"k:x": "env", "aws:TagKeys": ["env"]})


def test_variables_are_literal_text_under_2008() -> None:
    cond = {"StringEquals": {"k:x": "${aws:username}"}}
    assert holds(cond, {"k:x": "${aws:username}", "aws:username": "alice"}, version="2008-10-17")
    assert not holds(cond, {"k:x": "alice", "aws:username": "alice"}, version="2008-10-17")
