"""SAML metadata is untrusted XML: no DTD, no entities, and only IdP metadata with
a signing certificate is accepted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gatehold.auth.saml_metadata import MetadataError, parse
from tests.support.certs import saml_metadata

XXE = """<?xml version="1.0"?>
<!DOCTYPE md [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&secret;"/>"""


def test_external_entities_are_refused_before_parsing() -> None:
    with pytest.raises(MetadataError, match="DTDs and entity declarations are not allowed"):
        parse(XXE)


def test_undeclared_entities_are_refused() -> None:
    with pytest.raises(MetadataError):
        parse(saml_metadata().replace('entityID="https://', 'entityID="&x;https://'))


def test_valid_until_comes_from_the_metadata_when_declared() -> None:
    parsed = parse(saml_metadata("idp.example.org", valid_until="2030-01-02T03:04:05Z"))
    assert parsed.entity_id == "https://idp.example.org/saml"
    assert parsed.valid_until == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert len(parsed.signing_certificates) == 1


def test_encryption_only_keys_are_not_signing_certificates() -> None:
    document = saml_metadata().replace('use="signing"', 'use="encryption"')
    with pytest.raises(MetadataError, match="no signing certificate"):
        parse(document)
