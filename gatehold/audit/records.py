"""CloudTrail records, built from plain facts: pure (no I/O, and no clock or
randomness beyond the event ID, which a caller may pass in).

The shapes follow the AWS CloudTrail User Guide: "CloudTrail record contents"
(cloudtrail-event-reference-record-contents), "CloudTrail userIdentity element"
(cloudtrail-event-reference-user-identity) and "AWS Management Console sign-in
events" (cloudtrail-event-reference-aws-console-sign-in-events). Consumers (Sigma
rules, trailscraper, SIEM parsers) match on exact field names and string values,
so the casing traps are deliberate: `sourceIPAddress`, `requestID`, `eventID`,
`recipientAccountId`, `"MFAUsed": "Yes"`, `"mfaAuthenticated": "false"`.

Secrets never reach a record: every member whose botocore shape is `sensitive`,
plus the members listed in `ALWAYS_REDACTED` that botocore does not mark (MFA
codes, session tokens), is left out of requestParameters and responseElements,
as CloudTrail leaves passwords out of CreateLoginProfile's requestParameters.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehold.context import Principal, PrincipalKind, RequestContext
from gatehold.protocol.shapes import lower_first

Record = dict[str, Any]

EVENT_VERSION = "1.09"
# IAM, the sign-in service and global STS are global services: CloudTrail logs their
# events in us-east-1 (IAM UG, "Logging IAM and AWS STS API calls with AWS CloudTrail").
GLOBAL_REGION = "us-east-1"
GLOBAL_SERVICES = frozenset({"iam", "signin"})
SIGNIN_SOURCE = "signin.amazonaws.com"
# What CloudTrail writes for a user name it will not reveal (a sign-in with an
# unknown user name: IAM UG "Example sign-in failure event caused by incorrect user name").
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
FAILED_AUTHENTICATION = "Failed authentication"
# userAgent of calls made from the console, as CloudTrail shows AWS's console's own.
CONSOLE_USER_AGENT = "AWS Internal"
NO_SUCH_USER = "No username found in supplied account"

# eventType values (CloudTrail record contents).
API_CALL = "AwsApiCall"
CONSOLE_SIGN_IN = "AwsConsoleSignIn"
SERVICE_EVENT = "AwsServiceEvent"

# Members that carry secrets but whose botocore shapes are not marked sensitive.
ALWAYS_REDACTED = frozenset(
    {
        "AuthenticationCode1",  # EnableMFADevice / ResyncMFADevice: TOTP codes
        "AuthenticationCode2",
        "TokenCode",  # AssumeRole / GetSessionToken / GetFederationToken MFA code
        "SessionToken",  # Credentials.SessionToken: a bearer credential
        "SecretAccessKey",
        "Password",
        "OldPassword",
        "NewPassword",
        "PrivateKey",
        "SAMLAssertion",
        "WebIdentityToken",
        "Base32StringSeed",
        "QRCodePNG",
        "ServicePassword",
        "ServiceCredentialSecret",
    }
)

# eventSource for services whose CloudTrail source is not "<service>.amazonaws.com".
_SOURCES = {"sso-admin": "sso.amazonaws.com", "sso-oidc": "sso-oauth.amazonaws.com"}


# ---- the facts a handler can add ------------------------------------------------


@dataclass
class AuditFacts:
    """What an operation learned that its record needs and its request does not show.

    A handler sets these on `call.audit` (services/call.py); the recorder reads
    them after the handler returns or raises. Federation handlers
    (AssumeRoleWithWebIdentity / AssumeRoleWithSAML) call `federated(...)` once they
    have verified the token or assertion, so that even a refused call names the
    subject; a successful one is also understood from its result without it.
    """

    identity: Record | None = None
    additional_event_data: Record = field(default_factory=dict)
    # (type, ARN or name) pairs beyond what the request parameters name.
    resources: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing noted: the record is made from the request alone."""
        return not (self.identity or self.additional_event_data or self.resources)

    def federated(
        self, kind: str, *, subject: str, provider: str, audience: str | None = None
    ) -> None:
        """kind: "WebIdentityUser" or "SAMLUser"; provider: the OIDC issuer host or
        the SAML NameQualifier; audience: the web identity token's aud."""
        self.identity = federated_identity(kind, subject, provider, audience)


def federated_identity(
    kind: str, subject: str, provider: str, audience: str | None = None
) -> Record:
    """userIdentity of an unsigned federation call (CloudTrail UG, "Values for AWS
    STS APIs with SAML and web identity federation"): principalId is
    "<provider>:<aud>:<sub>" for web identity, "<NameQualifier>:<Subject>" for SAML."""
    parts = [provider, audience, subject] if audience else [provider, subject]
    return {
        "type": kind,
        "principalId": ":".join(parts),
        "userName": subject,
        "identityProvider": provider,
    }


# ---- common pieces ------------------------------------------------------------


def new_event_id(now_ms: int | None = None) -> str:
    """A fresh eventID: a UUID in CloudTrail's text form, time-ordered (version 7:
    the first 48 bits are the Unix time in milliseconds, then random bits).

    Why not random (version 4) like AWS's: LookupEvents finds a record by its eventID
    through the time the ID carries (audit/lookup.py), so the log keeps no index entry
    per record for it. Consumers see a UUID either way, and the time it carries is
    the record's own eventTime, which is no secret. Callers pass the record's own
    millisecond (unix_ms of its time). Nor is the ID a secret: it only has to be
    unique, so its random bits come from Python's
    generator (re-seeded in forked children), not from a system call per record."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    h = f"{ms & 0xFFFFFFFFFFFF:012x}{_random_bits(80):020x}"
    # version nibble 7; variant bits 10 (the first hex digit of the 4th group: 8-b)
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


_random_bits = random.getrandbits
_VARIANT = "89ab"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def unix_ms(at: datetime) -> int:
    """`at` (timezone-aware) as whole milliseconds since the Unix epoch: exact
    (float seconds times 1000 can land a millisecond short)."""
    return (at - _EPOCH) // _MS


def event_time(at: datetime) -> str:
    """UTC, whole seconds, Z: 2026-01-01T12:00:00Z."""
    # isoformat: the same text as strftime("%Y-%m-%dT%H:%M:%SZ"), cheaper (once per
    # record; bench/README.md, audit_cost.py)
    return at.astimezone(UTC).replace(tzinfo=None).isoformat("T", "seconds") + "Z"


def java_time(at: datetime) -> str:
    """How IAM and STS timestamps appear inside responseElements: "Oct 2, 2019, 11:12:29 PM"
    (CloudTrail writes them with Java's default medium format)."""
    at = at.astimezone(UTC)
    hour = at.hour % 12 or 12
    return f"{at:%b} {at.day}, {at.year}, {hour}:{at:%M:%S} {'AM' if at.hour < 12 else 'PM'}"


def event_source(service: str) -> str:
    return _SOURCES.get(service, f"{service}.amazonaws.com")


def aws_region(service: str, region: str) -> str:
    return GLOBAL_REGION if service in GLOBAL_SERVICES or not region else region


def tls_details(*, secure: bool, host: str | None) -> Record | None:
    """tlsDetails, for requests that came over TLS. The TLS version and cipher are
    not visible through ASGI, so only the host header is given (the fields are
    optional in CloudTrail's schema)."""
    if not secure:
        return None
    return {"clientProvidedHostHeader": host} if host else {}


def user_identity(p: Principal) -> Record:
    """userIdentity of a signed caller, by principal type."""
    key = p.access_key_id or ""
    if p.kind is PrincipalKind.ROOT:
        return {
            "type": "Root",
            "principalId": p.account_id,
            "arn": p.arn,
            "accountId": p.account_id,
            "accessKeyId": key,
        } | _session_context(p, None)
    if p.kind is PrincipalKind.USER:
        return {
            "type": "IAMUser",
            "principalId": p.user_id,
            "arn": p.arn,
            "accountId": p.account_id,
            "accessKeyId": key,
            "userName": p.user_name or "",
        } | _session_context(p, None)
    if p.kind is PrincipalKind.ASSUMED_ROLE:
        s = p.session
        issuer = None
        if s is not None and s.role_arn and s.role_id:
            issuer = {
                "type": "Role",
                "principalId": s.role_id,
                "arn": s.role_arn,
                "accountId": p.account_id,
                "userName": s.role_arn.rsplit("/", 1)[-1],
            }
        return {
            "type": "AssumedRole",
            "principalId": p.user_id,
            "arn": p.arn,
            "accountId": p.account_id,
            "accessKeyId": key,
        } | _session_context(p, issuer)
    if p.kind is PrincipalKind.FEDERATED_USER:
        return {
            "type": "FederatedUser",
            "principalId": p.user_id,
            "arn": p.arn,
            "accountId": p.account_id,
            "accessKeyId": key,
        } | _session_context(p, _federation_issuer(p))
    return {"type": "Unknown", "principalId": "", "accountId": p.account_id}


def _federation_issuer(p: Principal) -> Record | None:
    # A GetFederationToken session is issued by the long-term user who asked for it.
    s = p.session
    if s is None or not s.user_id:
        return None
    return {"type": "IAMUser", "principalId": s.user_id, "accountId": p.account_id}


def _session_context(p: Principal, issuer: Record | None) -> Record:
    """sessionContext for temporary credentials (and console sessions): absent for
    long-term access keys."""
    s = p.session
    if s is None:
        return {}
    ctx: Record = {}
    if issuer is not None:
        ctx["sessionIssuer"] = issuer
    if s.federated_provider:
        ctx["webIdFederationData"] = {"federatedProvider": s.federated_provider, "attributes": {}}
    ctx["attributes"] = {
        "creationDate": event_time(s.issued_at),
        "mfaAuthenticated": "true" if s.mfa_at is not None else "false",
    }
    if s.source_identity:
        ctx["sourceIdentity"] = s.source_identity
    return {"sessionContext": ctx}


# ---- parameters and responses as CloudTrail writes them -------------------------


def scrub(value: Any, shape: Any) -> Any:
    """`value` (an operation's params or result) with CloudTrail's member names (the
    API's with a lower-case first letter: "SAMLProviderArn" -> "sAMLProviderArn") and
    every secret left out. `shape` is the botocore shape (None: no model, then the
    explicit list alone decides)."""
    if isinstance(value, Mapping):
        members = getattr(shape, "members", None) or {}
        out: Record = {}
        for name, item in value.items():
            member = members.get(name)
            if name in ALWAYS_REDACTED or _sensitive(member):
                continue
            out[lower_first(name)] = scrub(item, member)
        return out
    if isinstance(value, list | tuple):
        inner = getattr(shape, "member", None)
        if _sensitive(inner):
            return []
        return [scrub(v, inner) for v in value]
    if isinstance(value, datetime):
        return java_time(value)
    if isinstance(value, bytes | bytearray):
        return None  # binary blobs (QR codes, certificates in DER) are not logged
    return value


def _sensitive(shape: Any) -> bool:
    return bool(shape is not None and shape.metadata.get("sensitive"))


# ---- API calls --------------------------------------------------------------------


@dataclass(slots=True)
class ApiCall:
    """Everything the record of one API call is built from. Made on the request path
    for every call: a plain slotted class, as a frozen dataclass's __init__ costs
    more (bench/README.md, audit_cost.py); nothing changes it once made."""

    ctx: RequestContext
    read_only: bool
    params: Mapping[str, Any] | None = None
    result: Mapping[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    facts: AuditFacts | None = None
    host: str | None = None
    from_console: bool = False
    # botocore's input and output shapes (None when the route is unknown).
    input_shape: Any = None
    output_shape: Any = None


def api_call(
    call: ApiCall,
    event_id: str | None = None,
    resources: list[tuple[str, str]] | None = None,
) -> Record:
    """The AwsApiCall record of `call`. `resources`: resources_of(...) of the call,
    when the caller has it already (the recorder needs it too)."""
    ctx = call.ctx
    facts = call.facts or AuditFacts()
    identity = facts.identity or _identity_from_result(ctx.operation, call.result)
    if identity is None:
        identity = user_identity(ctx.principal)
    account = ctx.principal.account_id or _account_of(call.result) or _account_of_role(call.params)
    # responseElements: null for read-only calls and failures, as CloudTrail logs them.
    response = None
    if not call.read_only and call.error_code is None and call.result is not None:
        response = scrub(call.result, call.output_shape) or None
    record: Record = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": event_time(ctx.now),
        "eventSource": event_source(ctx.service),
        "eventName": ctx.operation,
        "awsRegion": aws_region(ctx.service, ctx.region),
        "sourceIPAddress": ctx.source_ip,
        "userAgent": ctx.user_agent,
    }
    if call.error_code is not None:
        record["errorCode"] = call.error_code
        record["errorMessage"] = call.error_message or ""
    record["requestParameters"] = (
        scrub(call.params, call.input_shape) or None if call.params is not None else None
    )
    record["responseElements"] = response
    if facts.additional_event_data:
        record["additionalEventData"] = dict(facts.additional_event_data)
    record["requestID"] = ctx.request_id
    record["eventID"] = event_id or new_event_id(unix_ms(ctx.now))
    record["readOnly"] = call.read_only
    # `resources`: the ARNs the call acts on (CloudTrail lists ARNs only; names such
    # as UserName are LookupEvents' ResourceName, kept beside the record by the log).
    arns = [
        {"ARN": value, "accountId": account, "type": kind}
        for kind, value in (
            resources if resources is not None else resources_of(ctx.operation, call.params, facts)
        )
        if value.startswith("arn:")
    ]
    if arns:
        record["resources"] = arns
    record["eventType"] = API_CALL
    record["managementEvent"] = True
    record["recipientAccountId"] = account
    record["eventCategory"] = "Management"
    tls = tls_details(secure=ctx.secure_transport, host=call.host)
    if tls is not None:
        record["tlsDetails"] = tls
    if call.from_console:
        record["sessionCredentialFromConsole"] = "true"
    return record


def _identity_from_result(operation: str, result: Mapping[str, Any] | None) -> Record | None:
    """The federated caller of a successful unsigned call, from what it answered."""
    if not result:
        return None
    if operation == "AssumeRoleWithWebIdentity" and result.get("SubjectFromWebIdentityToken"):
        return federated_identity(
            "WebIdentityUser",
            str(result["SubjectFromWebIdentityToken"]),
            _host(str(result.get("Provider") or "")),
            str(result.get("Audience") or "") or None,
        )
    if operation == "AssumeRoleWithSAML" and result.get("Subject"):
        return federated_identity(
            "SAMLUser", str(result["Subject"]), str(result.get("NameQualifier") or "")
        )
    return None


def _host(provider: str) -> str:
    # CloudTrail's identityProvider is the issuer without its scheme.
    return provider.split("://", 1)[-1]


def _account_of(result: Mapping[str, Any] | None) -> str:
    arn = ((result or {}).get("AssumedRoleUser") or {}).get("Arn", "")
    parts = str(arn).split(":")
    return parts[4] if len(parts) > 4 else ""


def _account_of_role(params: Mapping[str, Any] | None) -> str:
    parts = str((params or {}).get("RoleArn", "")).split(":")
    return parts[4] if len(parts) > 4 else ""


# Request members that name the resource a call acts on: (member, CloudTrail type).
_RESOURCE_MEMBERS = (
    ("UserName", "AWS::IAM::User"),
    ("RoleName", "AWS::IAM::Role"),
    ("RoleArn", "AWS::IAM::Role"),
    ("GroupName", "AWS::IAM::Group"),
    ("PolicyArn", "AWS::IAM::Policy"),
    ("InstanceProfileName", "AWS::IAM::InstanceProfile"),
    ("SerialNumber", "AWS::IAM::MFADevice"),
    ("AccessKeyId", "AWS::IAM::AccessKey"),
    ("SAMLProviderArn", "AWS::IAM::SAMLProvider"),
    ("PrincipalArn", "AWS::IAM::SAMLProvider"),
    ("OpenIDConnectProviderArn", "AWS::IAM::OIDCProvider"),
    ("ServerCertificateName", "AWS::IAM::ServerCertificate"),
)


def resources_of(
    operation: str, params: Mapping[str, Any] | None, facts: AuditFacts | None
) -> list[tuple[str, str]]:
    """(ResourceType, ResourceName) pairs a call acts on, for LookupEvents' Resources
    and its ResourceType / ResourceName lookups: derived from the request."""
    found: list[tuple[str, str]] = []
    for member, kind in _RESOURCE_MEMBERS:
        value = (params or {}).get(member)
        if isinstance(value, str) and value:
            if member == "PrincipalArn" and operation != "AssumeRoleWithSAML":
                continue
            found.append((kind, value))
    if facts is not None:
        found.extend(facts.resources)
    return found
