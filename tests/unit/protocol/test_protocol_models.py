"""The service registry and the translation of the models' Java regular expressions."""

from __future__ import annotations

import pytest

from gatehold.protocol import get_service
from gatehold.protocol.models import service_by_signing_name, service_by_target_prefix
from gatehold.protocol.patterns import compile_pattern
from tests.unit.protocol.protocol_wire_helpers import SERVICES


def _all_shapes(service: str):  # type: ignore[no-untyped-def]
    model = get_service(service).model
    return [model.shape_for(name) for name in model.shape_names]


def test_registry_finds_services_by_signing_name_and_target_prefix() -> None:
    assert service_by_signing_name("awsssoportal").name == "sso"  # type: ignore[union-attr]
    assert service_by_signing_name("sso-oauth").name == "sso-oidc"  # type: ignore[union-attr]
    assert service_by_signing_name("sso").name == "sso-admin"  # type: ignore[union-attr]
    assert service_by_signing_name("s3") is None
    assert service_by_target_prefix("SWBExternalService").name == "sso-admin"  # type: ignore[union-attr]
    assert service_by_target_prefix("AWSIdentityStore").json_version == "1.1"  # type: ignore[union-attr]


def test_query_services_carry_their_xml_namespace() -> None:
    assert get_service("iam").xml_namespace == "https://iam.amazonaws.com/doc/2010-05-08/"
    assert get_service("sts").xml_namespace == "https://sts.amazonaws.com/doc/2011-06-15/"


@pytest.mark.parametrize("service", SERVICES)
def test_every_pattern_of_every_model_compiles(service: str) -> None:
    patterns = {s.metadata["pattern"] for s in _all_shapes(service) if "pattern" in s.metadata}

    assert [p for p in patterns if compile_pattern(p) is None] == []


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_query_models_use_no_flattened_shapes(service: str) -> None:
    # The XML writer writes lists as <member> items and maps as <entry> elements.
    assert [s.name for s in _all_shapes(service) if s.serialization.get("flattened")] == []


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "Équipe 日本 ٣", True),
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "a|b", False),
        (r"\p{L}+(?:\.\p{L}+){0,2}", "données.client", True),
        (r"[\w+=,.@-]+", "bob@example.com", True),
        (r"[\w+=,.@-]+", "bøb", False),  # Java's \w is ASCII
        (r"[\d]*", "١٢", False),  # and so is \d
        (
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
            "ok\t",
            True,
        ),
        (
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
            "\x00",
            False,
        ),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "emoji \U0001f600", True),
        (r"^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$", "r-abcd", True),
        (r"^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$", "r-abcd-extra", False),
    ],
)
def test_patterns_match_whole_values_as_java_does(pattern: str, value: str, matches: bool) -> None:
    regex = compile_pattern(pattern)

    assert regex is not None
    assert (regex.fullmatch(value) is not None) is matches
