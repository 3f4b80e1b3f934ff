"""What a signed SAML assertion says, checked against AWS's rules.

Pure: the assertion element (already known to be the IdP's: saml_assertions.py),
the provider's entity ID and `now` in; its facts (SamlAssertion) or an
AssertionRejected out.

AWS's rules (IAM, id_roles_providers_create_saml_assertions):
  * the Issuer is the provider's entity ID;
  * exactly one SubjectConfirmation whose SubjectConfirmationData has a
    Recipient, AWS's sign-in endpoint https://signin.aws.amazon.com/saml (or a
    regional https://REGION.signin.aws.amazon.com/saml), and a NotOnOrAfter
    still in the future;
  * Conditions NotBefore/NotOnOrAfter around now, and an AudienceRestriction
    naming AWS (the sign-in endpoint or urn:amazon:webservices);
  * the attributes https://aws.amazon.com/SAML/Attributes/Role ("role ARN,
    provider ARN" pairs, either order) and .../RoleSessionName; optional
    .../SessionDuration, .../PrincipalTag:KEY, .../TransitiveTagKeys,
    .../SourceIdentity.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
_A = f"{{{ASSERTION}}}"

# AWS's sign-in endpoints for SAML (id_roles_providers_create_saml_assertions): the
# global one (also as .../static/saml), the regional ones, and either followed by
# /acs/PROVIDER-UUID (the provider's SAMLProviderUUID), which AWS requires when the
# provider requires encrypted assertions.
_ENDPOINT = re.compile(
    r"https://(?:[a-z0-9-]+\.)?signin\.aws\.amazon\.com/(?:static/)?saml"
    r"(?:/acs/(?P<provider>[A-Za-z0-9-]+))?"
)
AUDIENCE_URN = "urn:amazon:webservices"

ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
ROLE = ATTRIBUTES + "Role"
ROLE_SESSION_NAME = ATTRIBUTES + "RoleSessionName"
SESSION_DURATION = ATTRIBUTES + "SessionDuration"
PRINCIPAL_TAG = ATTRIBUTES + "PrincipalTag:"
TRANSITIVE_TAG_KEYS = ATTRIBUTES + "TransitiveTagKeys"
SOURCE_IDENTITY = ATTRIBUTES + "SourceIdentity"

# AWS reports a NameID format without this prefix ("persistent", "transient").
_NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
# Clocks differ: a NotBefore up to this far ahead of ours is accepted.
CLOCK_SKEW = timedelta(minutes=5)
MAX_TAGS = 50


class AssertionRejected(Exception):
    """The response cannot be used: `kind` says which AWS error it becomes
    (InvalidIdentityToken, ExpiredTokenException, IDPRejectedClaim)."""

    def __init__(self, kind: Literal["invalid", "expired", "rejected"], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def invalid(message: str) -> AssertionRejected:
    return AssertionRejected("invalid", message)


@dataclass(frozen=True)
class SamlAssertion:
    issuer: str
    subject: str
    subject_format: str  # the NameID Format attribute as sent ("" when absent)
    recipient: str
    roles: tuple[tuple[str, str], ...]  # (role ARN, provider ARN) pairs of the Role attribute
    session_name: str
    session_duration: int | None
    session_not_on_or_after: datetime | None
    tags: tuple[tuple[str, str], ...]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None
    # Every attribute by its Name, values in order: condition keys come from these.
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def subject_type(self) -> str:
        """SubjectType as AWS answers it: the format without the SAML 2.0 prefix."""
        return self.subject_format.removeprefix(_NAMEID_PREFIX)


@dataclass(frozen=True)
class Expected:
    """What the IAM SAML provider expects of its IdP's assertions."""

    entity_id: str  # the IdP's, from the metadata: the assertion's Issuer
    provider_uuid: str = ""  # the provider's SAMLProviderUUID, for .../saml/acs/UUID
    encryption_required: bool = False  # AssertionEncryptionMode "Required"

    def endpoint(self, url: str, *, acs_required: bool = False) -> bool:
        """Whether `url` is an AWS sign-in endpoint meant for this provider."""
        match = _ENDPOINT.fullmatch(url)
        if match is None:
            return False
        if match["provider"] is not None:
            return match["provider"] == self.provider_uuid
        return not acs_required


def claims(assertion: ET.Element, expected: Expected, now: datetime) -> SamlAssertion:
    """The facts of an assertion the IdP signed; AssertionRejected when AWS would refuse it."""
    issuer = _text(assertion.find(f"{_A}Issuer"))
    if issuer != expected.entity_id:
        # AWS's text (quoted in reports of AssumeRoleWithSAML).
        raise invalid("Issuer not present in specified provider")
    _check_conditions(assertion, expected, now)
    subject, subject_format, recipient = _check_subject(assertion, expected, now)
    attributes = _attributes(assertion)
    return SamlAssertion(
        issuer=issuer,
        subject=subject,
        subject_format=subject_format,
        recipient=recipient,
        roles=_roles(attributes.get(ROLE, ())),
        session_name=_session_name(attributes),
        session_duration=_session_duration(attributes),
        session_not_on_or_after=_session_not_on_or_after(assertion),
        tags=_tags(attributes),
        transitive_tag_keys=attributes.get(TRANSITIVE_TAG_KEYS, ()),
        source_identity=_source_identity(attributes),
        attributes=attributes,
    )


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid(f"Invalid SAML response: bad timestamp {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_conditions(assertion: ET.Element, expected: Expected, now: datetime) -> None:
    conditions = assertion.find(f"{_A}Conditions")
    if conditions is None:
        raise invalid("Invalid SAML response: the assertion has no Conditions")
    not_before = _instant(conditions.get("NotBefore"))
    if not_before is not None and now + CLOCK_SKEW < not_before:
        # Unconfirmed text.
        raise invalid("Response is not yet valid")
    not_after = _instant(conditions.get("NotOnOrAfter"))
    if not_after is not None and now >= not_after:
        # AWS's text (ExpiredTokenException, quoted in saml2aws reports).
        raise AssertionRejected("expired", "Response has expired")
    audiences = {_text(a) for a in conditions.iterfind(f"{_A}AudienceRestriction/{_A}Audience")}
    if AUDIENCE_URN not in audiences and not any(expected.endpoint(a) for a in audiences):
        # Unconfirmed text.
        raise invalid("Invalid SAML response: the audience does not name AWS")


def _check_subject(
    assertion: ET.Element, expected: Expected, now: datetime
) -> tuple[str, str, str]:
    """(NameID, its Format, the Recipient) of the one bearer confirmation."""
    subject = assertion.find(f"{_A}Subject")
    confirmations = subject.findall(f"{_A}SubjectConfirmation") if subject is not None else []
    if subject is None or len(confirmations) != 1:
        # Unconfirmed text; AWS requires exactly one SubjectConfirmation.
        raise invalid("Invalid SAML response: the Subject needs exactly one SubjectConfirmation")
    data = confirmations[0].find(f"{_A}SubjectConfirmationData")
    recipient = (data.get("Recipient") or "") if data is not None else ""
    if not expected.endpoint(recipient, acs_required=expected.encryption_required):
        # Unconfirmed text.
        raise invalid("Invalid SAML response: the Recipient is not the AWS sign-in endpoint")
    not_after = _instant(data.get("NotOnOrAfter") if data is not None else None)
    if not_after is None:
        raise invalid("Invalid SAML response: SubjectConfirmationData has no NotOnOrAfter")
    if now >= not_after:
        # AWS's text (ExpiredTokenException, quoted in gimme-aws-creds reports).
        raise AssertionRejected("expired", "Token must be redeemed within 5 minutes of issuance")
    name_id = subject.find(f"{_A}NameID")
    return _text(name_id), (name_id.get("Format") or "") if name_id is not None else "", recipient


def _attributes(assertion: ET.Element) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for attribute in assertion.iterfind(f"{_A}AttributeStatement/{_A}Attribute"):
        name = attribute.get("Name") or ""
        values = [_text(v) for v in attribute.iterfind(f"{_A}AttributeValue")]
        found.setdefault(name, []).extend(values)
    return {name: tuple(values) for name, values in found.items()}


def _roles(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(role, provider) pairs; AWS takes each pair in either order."""
    pairs = []
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 2:
            continue
        first, second = parts
        if ":saml-provider/" in first:
            first, second = second, first
        pairs.append((first, second))
    return tuple(pairs)


def _session_name(attributes: dict[str, tuple[str, ...]]) -> str:
    values = attributes.get(ROLE_SESSION_NAME)
    if not values or not values[0]:
        # AWS's text (IAM, troubleshoot_saml).
        raise invalid("RoleSessionName is required in AuthnResponse")
    if not _SESSION_NAME.fullmatch(values[0]):
        # AWS's text (quoted in reports of AssumeRoleWithSAML).
        raise invalid("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    return values[0]


def _source_identity(attributes: dict[str, tuple[str, ...]]) -> str | None:
    values = attributes.get(SOURCE_IDENTITY)
    if not values:
        return None
    if not _SESSION_NAME.fullmatch(values[0]):
        # AWS documents the pattern (the SourceIdentity parameter's); unconfirmed text.
        raise invalid("SourceIdentity in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    return values[0]


def _tags(attributes: dict[str, tuple[str, ...]]) -> tuple[tuple[str, str], ...]:
    """Session tags from PrincipalTag:KEY attributes, within AWS's session tag limits
    (id_session-tags: 50 tags, keys up to 128 and values up to 256 characters)."""
    tags = tuple(
        (name.removeprefix(PRINCIPAL_TAG), values[0])
        for name, values in attributes.items()
        if name.startswith(PRINCIPAL_TAG) and values
    )
    keys = [k.lower() for k, _ in tags]
    if (
        len(tags) > MAX_TAGS
        or len(set(keys)) != len(keys)
        or any(not 0 < len(k) <= 128 or len(v) > 256 for k, v in tags)
    ):
        # Unconfirmed text.
        raise invalid("The PrincipalTag attributes in AuthnResponse exceed the session tag limits")
    return tags


def _session_duration(attributes: dict[str, tuple[str, ...]]) -> int | None:
    values = attributes.get(SESSION_DURATION)
    if not values:
        return None
    try:
        seconds = int(values[0])
    except ValueError:
        seconds = 0
    if not 900 <= seconds <= 43200:
        # AWS documents the range (900 to 43200 seconds); the text is unconfirmed.
        raise invalid("SessionDuration in AuthnResponse must be between 900 and 43200 seconds")
    return seconds


def _session_not_on_or_after(assertion: ET.Element) -> datetime | None:
    ends = [
        _instant(s.get("SessionNotOnOrAfter")) for s in assertion.iterfind(f"{_A}AuthnStatement")
    ]
    known = [e for e in ends if e is not None]
    return min(known) if known else None
