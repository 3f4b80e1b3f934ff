"""AssumeRoleWithSAML through boto3 against a real server, with a real SAML IdP
(tests/support/saml_idp.py) whose metadata is registered with
iam.create_saml_provider: signatures, wrapping, times, recipient and audience,
the Role attribute, trust policy conditions on saml:* keys, durations and tags."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lxml import etree

from tests.support.aws import error_of, session_client, unique
from tests.support.certs import private_key_pem, rsa_key
from tests.support.clients import run_aws, run_node
from tests.support.saml_idp import ASSERTION, ATTRIBUTES, PROTOCOL, SamlIdp, decode, encode
from tests.support.servers import RunningServer

IDP = SamlIdp()
OTHER_IDP = SamlIdp(host="other-idp.saml-tests.example", slot=22)
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:List*", "iam:Get*"], "Resource": "*"}],
}


@pytest.fixture(scope="module")
def provider_arn(server: RunningServer) -> str:
    iam = server.client("iam")
    arn: str = iam.create_saml_provider(Name=unique("idp"), SAMLMetadataDocument=IDP.metadata())[
        "SAMLProviderArn"
    ]
    return arn


def trust(
    provider: str, condition: dict[str, Any] | None = None, actions: Any = "sts:AssumeRoleWithSAML"
) -> str:
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": actions,
    }
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def new_role(server: RunningServer, trust_doc: str, **kw: Any) -> dict[str, Any]:
    iam = server.client("iam")
    role: dict[str, Any] = iam.create_role(
        RoleName=unique("saml-role"), AssumeRolePolicyDocument=trust_doc, **kw
    )["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps(READ_ONLY)
    )
    return role


def pair(role: dict[str, Any], provider: str) -> str:
    return f"{role['Arn']},{provider}"


def assume(
    server: RunningServer, role: dict[str, Any], provider: str, assertion: str, **kw: Any
) -> dict[str, Any]:
    answer: dict[str, Any] = server.client("sts").assume_role_with_saml(
        RoleArn=role["Arn"], PrincipalArn=provider, SAMLAssertion=assertion, **kw
    )
    return answer


def refused(
    server: RunningServer, role: dict[str, Any], provider: str, assertion: str, **kw: Any
) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as exc:
        assume(server, role, provider, assertion, **kw)
    return error_of(exc)


def lifetime(answer: dict[str, Any]) -> float:
    expiration: datetime = answer["Credentials"]["Expiration"]
    return (expiration - datetime.now(UTC)).total_seconds()


# --- success -------------------------------------------------------------------------


def test_a_signed_assertion_gives_a_role_session(server: RunningServer, provider_arn: str) -> None:
    role = new_role(server, trust(provider_arn))
    answer = assume(server, role, provider_arn, IDP.response([pair(role, provider_arn)], "alice"))
    acct = server.account_id
    session_arn = f"arn:aws:sts::{acct}:assumed-role/{role['RoleName']}/alice"
    assert answer["AssumedRoleUser"] == {
        "Arn": session_arn,
        "AssumedRoleId": f"{role['RoleId']}:alice",
    }
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert 3500 < lifetime(answer) <= 3600  # the default hour
    assert answer["Subject"] == "alice@example.org"
    assert answer["SubjectType"] == "persistent"
    assert answer["Issuer"] == IDP.entity_id
    assert answer["Audience"] == "https://signin.aws.amazon.com/saml"
    name = provider_arn.rsplit("/", 1)[1]
    expected = base64.b64encode(
        hashlib.sha1(f"{IDP.entity_id}{acct}/{name}".encode()).digest()
    ).decode()
    assert answer["NameQualifier"] == expected
    assert "PackedPolicySize" not in answer
    who = session_client(server, "sts", answer["Credentials"]).get_caller_identity()
    assert who["Arn"] == session_arn
    # The session acts with the role's permissions, and only those.
    iam = session_client(server, "iam", answer["Credentials"])
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=unique("u"))
    assert error_of(exc)[0] == "AccessDenied"


def test_a_signed_response_works_and_the_pair_may_come_in_either_order(
    server: RunningServer, provider_arn: str
) -> None:
    role = new_role(server, trust(provider_arn))
    reversed_pair = f"{provider_arn},{role['Arn']}"
    for sign in ("response", "both"):  # Okta-style: the Response and its Assertion signed
        answer = assume(server, role, provider_arn, IDP.response([reversed_pair], "bob", sign=sign))
        assert answer["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/bob")


# --- trust policy ----------------------------------------------------------------------


def test_trust_conditions_on_saml_aud_and_sub(server: RunningServer, provider_arn: str) -> None:
    condition = {
        "StringEquals": {
            "saml:aud": "https://signin.aws.amazon.com/saml",
            "saml:sub": "carol@example.org",
        }
    }
    role = new_role(server, trust(provider_arn, condition))
    ok = IDP.response([pair(role, provider_arn)], "carol", subject="carol@example.org")
    assert assume(server, role, provider_arn, ok)["Subject"] == "carol@example.org"
    other = IDP.response([pair(role, provider_arn)], "mallory", subject="mallory@example.org")
    assert refused(server, role, provider_arn, other) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithSAML",
        403,
    )


def test_a_trust_policy_naming_another_provider_or_principal_refuses(
    server: RunningServer, provider_arn: str
) -> None:
    other = provider_arn.rsplit("/", 1)[0] + "/" + unique("not-this-idp")
    for doc in (
        trust(other),
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"},
                        "Action": "sts:AssumeRoleWithSAML",
                    }
                ],
            }
        ),
    ):
        role = new_role(server, doc)
        assertion = IDP.response([pair(role, provider_arn)], "alice")
        assert refused(server, role, provider_arn, assertion) == (
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithSAML",
            403,
        )


def test_the_role_and_provider_pair_must_be_in_the_role_attribute(
    server: RunningServer, provider_arn: str
) -> None:
    role = new_role(server, trust(provider_arn))
    elsewhere = new_role(server, trust(provider_arn))
    assertion = IDP.response([pair(elsewhere, provider_arn)], "alice")
    assert refused(server, role, provider_arn, assertion) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithSAML",
        403,
    )


# --- the signature --------------------------------------------------------------------


def test_an_assertion_signed_by_another_key_is_refused(
    server: RunningServer, provider_arn: str
) -> None:
    role = new_role(server, trust(provider_arn))
    for assertion in (
        IDP.response([pair(role, provider_arn)], signer=OTHER_IDP),
        IDP.response([pair(role, provider_arn)], sign="none"),
    ):
        assert refused(server, role, provider_arn, assertion) == (
            "InvalidIdentityToken",
            "Response signature invalid",
            400,
        )


def test_an_edited_signed_assertion_is_refused(server: RunningServer, provider_arn: str) -> None:
    role = new_role(server, trust(provider_arn))
    signed = IDP.response([pair(role, provider_arn)], "alice")
    edited = base64.b64decode(signed).replace(b">alice<", b">admin<")
    assert edited != base64.b64decode(signed)
    assert refused(server, role, provider_arn, base64.b64encode(edited).decode()) == (
        "InvalidIdentityToken",
        "Response signature invalid",
        400,
    )


def _evil_assertion(role: dict[str, Any], provider: str) -> etree._Element:
    now = datetime.now(UTC)
    return OTHER_IDP.assertion_xml(
        [pair(role, provider)],
        "evil",
        subject="evil@example.org",
        subject_format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        recipient="https://signin.aws.amazon.com/saml",
        audience="urn:amazon:webservices",
        issuer=IDP.entity_id,
        now=now,
        lifetime=timedelta(minutes=5),
        conditions_lifetime=None,
        session_not_on_or_after=None,
        attributes=None,
        signed=False,
        signer=None,
    )


def test_signature_wrapping_a_second_unsigned_assertion_is_refused(
    server: RunningServer, provider_arn: str
) -> None:
    """The IdP signed an assertion for a harmless role; an attacker adds an unsigned
    assertion for another role beside it (before it, and after it)."""
    harmless = new_role(server, trust(provider_arn))
    target = new_role(server, trust(provider_arn))
    for sign in ("assertion", "response"):
        for position in (0, -1):
            response = decode(IDP.response([pair(harmless, provider_arn)], "alice", sign=sign))
            evil = _evil_assertion(target, provider_arn)
            signed_assertion = response.find(f"{{{ASSERTION}}}Assertion")
            assert signed_assertion is not None
            index = list(response).index(signed_assertion)
            response.insert(index if position == 0 else index + 1, evil)
            code, message, status = refused(server, target, provider_arn, encode(response))
            assert (code, message, status) == (
                "InvalidIdentityToken",
                "Response signature invalid",
                400,
            )


def test_signature_wrapping_a_signature_moved_onto_an_unsigned_assertion_is_refused(
    server: RunningServer, provider_arn: str
) -> None:
    """The attacker's assertion is the Response's only one, carrying the IdP's
    signature, with the signed assertion tucked inside it (where the signature's
    reference still finds it): the signature verifies, but not for the assertion
    that holds it."""
    harmless = new_role(server, trust(provider_arn))
    target = new_role(server, trust(provider_arn))
    response = decode(IDP.response([pair(harmless, provider_arn)], "alice"))
    signed_assertion = response.find(f"{{{ASSERTION}}}Assertion")
    assert signed_assertion is not None
    signature = signed_assertion.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    evil = _evil_assertion(target, provider_arn)
    response.remove(signed_assertion)
    evil.insert(1, signature)  # the moved signature, where a verifier looks for it
    advice = etree.SubElement(evil, f"{{{ASSERTION}}}Advice")
    advice.append(signed_assertion)
    response.append(evil)
    wrapped = encode(response)
    for role in (target, harmless):
        assert refused(server, role, provider_arn, wrapped) == (
            "InvalidIdentityToken",
            "Response signature invalid",
            400,
        )


# --- times, recipient, audience ----------------------------------------------------------


def test_an_expired_assertion_is_refused(server: RunningServer, provider_arn: str) -> None:
    role = new_role(server, trust(provider_arn))
    old = datetime.now(UTC) - timedelta(minutes=10)
    expired = IDP.response(
        [pair(role, provider_arn)], now=old, conditions_lifetime=timedelta(hours=1)
    )
    assert refused(server, role, provider_arn, expired) == (
        "ExpiredTokenException",
        "Token must be redeemed within 5 minutes of issuance",
        400,
    )
    conditions_over = IDP.response(
        [pair(role, provider_arn)],
        now=old,
        lifetime=timedelta(hours=1),
        conditions_lifetime=timedelta(minutes=5),
    )
    assert refused(server, role, provider_arn, conditions_over) == (
        "ExpiredTokenException",
        "Response has expired",
        400,
    )


@pytest.mark.parametrize("field", ["recipient", "audience"])
def test_a_wrong_recipient_or_audience_is_refused(
    server: RunningServer, provider_arn: str, field: str
) -> None:
    role = new_role(server, trust(provider_arn))
    elsewhere = "https://app.example.org/acs"
    if field == "recipient":
        assertion = IDP.response([pair(role, provider_arn)], recipient=elsewhere)
    else:
        assertion = IDP.response([pair(role, provider_arn)], audience=elsewhere)
    code, message, status = refused(server, role, provider_arn, assertion)
    assert (code, status) == ("InvalidIdentityToken", 400)
    assert field.capitalize() in message or field in message


def test_the_issuer_must_be_the_providers(server: RunningServer, provider_arn: str) -> None:
    role = new_role(server, trust(provider_arn))
    assertion = IDP.response([pair(role, provider_arn)], issuer="https://impostor.example/saml")
    assert refused(server, role, provider_arn, assertion) == (
        "InvalidIdentityToken",
        "Issuer not present in specified provider",
        400,
    )


# --- attributes: session name, duration, tags, source identity ------------------------


def test_the_role_session_name_is_required_and_checked(
    server: RunningServer, provider_arn: str
) -> None:
    role = new_role(server, trust(provider_arn))
    missing = IDP.response([pair(role, provider_arn)], None)
    assert refused(server, role, provider_arn, missing) == (
        "InvalidIdentityToken",
        "RoleSessionName is required in AuthnResponse",
        400,
    )
    bad = IDP.response([pair(role, provider_arn)], "has space")
    assert refused(server, role, provider_arn, bad) == (
        "InvalidIdentityToken",
        "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
        400,
    )


def test_session_duration_caps_the_session(server: RunningServer, provider_arn: str) -> None:
    role = new_role(server, trust(provider_arn), MaxSessionDuration=7200)
    capped = IDP.response(
        [pair(role, provider_arn)], attributes={ATTRIBUTES + "SessionDuration": ["1800"]}
    )
    assert 1700 < lifetime(assume(server, role, provider_arn, capped, DurationSeconds=7200)) <= 1800
    plain = IDP.response([pair(role, provider_arn)])
    assert 7100 < lifetime(assume(server, role, provider_arn, plain, DurationSeconds=7200)) <= 7200
    assert refused(server, role, provider_arn, plain, DurationSeconds=10800) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    ends = datetime.now(UTC) + timedelta(minutes=20)
    short = IDP.response([pair(role, provider_arn)], session_not_on_or_after=ends)
    assert 1100 < lifetime(assume(server, role, provider_arn, short)) <= 1200


def test_principal_tags_and_source_identity_from_attributes(
    server: RunningServer, provider_arn: str
) -> None:
    attributes = {
        ATTRIBUTES + "PrincipalTag:team": ["blue"],
        ATTRIBUTES + "PrincipalTag:cost": ["42"],
        ATTRIBUTES + "TransitiveTagKeys": ["team"],
        ATTRIBUTES + "SourceIdentity": ["alice-src"],
    }
    only_trust = new_role(server, trust(provider_arn))
    assertion = IDP.response([pair(only_trust, provider_arn)], attributes=attributes)
    # Tags and a source identity need sts:TagSession and sts:SetSourceIdentity too.
    assert refused(server, only_trust, provider_arn, assertion)[:2] == (
        "AccessDenied",
        "Not authorized to perform sts:TagSession",
    )
    condition = {"StringEquals": {"aws:RequestTag/team": "blue"}}
    role = new_role(
        server,
        trust(
            provider_arn,
            condition,
            ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
        ),
    )
    answer = assume(
        server, role, provider_arn, IDP.response([pair(role, provider_arn)], attributes=attributes)
    )
    assert answer["SourceIdentity"] == "alice-src"
    assert 0 < answer["PackedPolicySize"] <= 100
    # The session's tags act as principal tags: a policy conditioned on them applies.
    creds = answer["Credentials"]
    iam = server.client("iam")
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="tagged",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "iam:GetRole",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
                    }
                ],
            }
        ),
    )
    with pytest.raises(ClientError) as exc:
        session_client(server, "iam", creds).get_role(RoleName=role["RoleName"])
    assert error_of(exc)[0] == "AccessDenied"
    red = dict(attributes, **{ATTRIBUTES + "PrincipalTag:team": ["red"]})
    assert (
        refused(
            server, role, provider_arn, IDP.response([pair(role, provider_arn)], attributes=red)
        )[0]
        == "AccessDenied"
    )


# --- the request ----------------------------------------------------------------------------


def test_bad_arns_and_unknown_providers(server: RunningServer, provider_arn: str) -> None:
    role = new_role(server, trust(provider_arn))
    assertion = IDP.response([pair(role, provider_arn)])
    assert refused(server, {"Arn": provider_arn}, provider_arn, assertion) == (
        "ValidationError",
        "Request ARN is invalid",
        400,
    )
    assert refused(server, role, role["Arn"], assertion) == (
        "ValidationError",
        "Principal ARN is invalid",
        400,
    )
    foreign = provider_arn.replace(server.account_id, "999999999999")
    assert refused(server, role, foreign, assertion) == (
        "ValidationError",
        "Principal exists outside the account of the Role being assumed.",
        400,
    )
    unknown = provider_arn.rsplit("/", 1)[0] + "/" + unique("nope")
    assert refused(server, role, unknown, assertion)[0::2] == ("InvalidIdentityToken", 400)
    garbage = base64.b64encode(b"<not-saml/>").decode()
    assert refused(server, role, provider_arn, garbage)[0::2] == ("InvalidIdentityToken", 400)
    assert refused(server, role, provider_arn, "%%%% not base64")[0::2] == (
        "InvalidIdentityToken",
        400,
    )
    doctype = base64.b64encode(
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]>'
        b'<samlp:Response xmlns:samlp="' + PROTOCOL.encode() + b'">&x;</samlp:Response>'
    ).decode()
    assert refused(server, role, provider_arn, doctype)[0::2] == ("InvalidIdentityToken", 400)


def test_a_session_policy_limits_the_session(server: RunningServer, provider_arn: str) -> None:
    role = new_role(server, trust(provider_arn))
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
        }
    )
    answer = assume(
        server, role, provider_arn, IDP.response([pair(role, provider_arn)]), Policy=policy
    )
    assert 0 < answer["PackedPolicySize"] <= 100
    iam = session_client(server, "iam", answer["Credentials"])
    iam.list_roles(MaxItems=1)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=role["RoleName"])
    assert error_of(exc)[0] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        assume(
            server,
            role,
            provider_arn,
            IDP.response([pair(role, provider_arn)]),
            Policy='{"Version": "2012-10-17", "Statement": [',
        )
    assert error_of(exc)[0::2] == ("MalformedPolicyDocument", 400)
    # A managed session policy of the role's account (the unsigned caller has none).
    managed = server.client("iam").create_policy(
        PolicyName=unique("session"), PolicyDocument=policy
    )["Policy"]["Arn"]
    answer = assume(
        server,
        role,
        provider_arn,
        IDP.response([pair(role, provider_arn)]),
        PolicyArns=[{"arn": managed}],
    )
    iam = session_client(server, "iam", answer["Credentials"])
    iam.list_roles(MaxItems=1)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=role["RoleName"])
    assert error_of(exc)[0] == "AccessDenied"


def test_too_many_tag_bytes_are_packed_policy_too_large(
    server: RunningServer, provider_arn: str
) -> None:
    role = new_role(
        server, trust(provider_arn, actions=["sts:AssumeRoleWithSAML", "sts:TagSession"])
    )
    noise = {
        ATTRIBUTES + f"PrincipalTag:k{i}": [base64.b64encode(os.urandom(180)).decode()]
        for i in range(50)
    }
    code, message, status = refused(
        server, role, provider_arn, IDP.response([pair(role, provider_arn)], attributes=noise)
    )
    assert (code, status) == ("PackedPolicyTooLarge", 400)
    assert message.startswith("Packed policy consumes ")


def test_trust_conditions_on_mapped_attributes(server: RunningServer, provider_arn: str) -> None:
    """eduPerson attributes sent by their OID names become saml:* keys."""
    affiliation = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
    condition = {"ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "staff"}}
    role = new_role(server, trust(provider_arn, condition))
    staff = IDP.response([pair(role, provider_arn)], attributes={affiliation: ["member", "staff"]})
    assume(server, role, provider_arn, staff)
    student = IDP.response([pair(role, provider_arn)], attributes={affiliation: ["student"]})
    assert refused(server, role, provider_arn, student)[0] == "AccessDenied"


def test_encrypted_assertions_with_the_providers_private_key(server: RunningServer) -> None:
    """A provider holding a private key (AddPrivateKey) and requiring encryption takes
    assertions encrypted for it, and only those."""
    sp_key = rsa_key(25)
    iam = server.client("iam")
    provider = iam.create_saml_provider(
        Name=unique("enc-idp"),
        SAMLMetadataDocument=IDP.metadata(),
        AddPrivateKey=private_key_pem(sp_key),
        AssertionEncryptionMode="Required",
    )["SAMLProviderArn"]
    role = new_role(server, trust(provider))
    # AWS wants the provider's own endpoint as the Recipient when encryption is required.
    uuid = iam.get_saml_provider(SAMLProviderArn=provider)["SAMLProviderUUID"]
    acs = f"https://signin.aws.amazon.com/saml/acs/{uuid}"
    for encryption in ("aes256-gcm", "aes128-cbc"):
        assertion = IDP.response(
            [pair(role, provider)],
            "secret.agent",
            recipient=acs,
            encrypt_for=sp_key.public_key(),
            encryption=encryption,
        )
        answer = assume(server, role, provider, assertion)
        assert answer["AssumedRoleUser"]["Arn"].endswith("/secret.agent")
        assert answer["Audience"] == acs
    plain = IDP.response([pair(role, provider)], "secret.agent", recipient=acs)
    assert refused(server, role, provider, plain) == (
        "InvalidIdentityToken",
        "The SAML provider requires encrypted assertions",
        400,
    )
    for_someone_else = IDP.response(
        [pair(role, provider)], recipient=acs, encrypt_for=rsa_key(26).public_key()
    )
    assert refused(server, role, provider, for_someone_else) == (
        "InvalidIdentityToken",
        "Response signature invalid",
        400,
    )


def test_aws_cli_without_credentials(
    server: RunningServer, provider_arn: str, tmp_path: Path
) -> None:
    """The AWS CLI sends AssumeRoleWithSAML unsigned: it needs no credentials at all."""
    role = new_role(server, trust(provider_arn))
    (tmp_path / "config").write_text(
        f"[default]\nregion = us-east-1\nendpoint_url = {server.endpoint}\n"
    )
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }
    out = run_aws(
        [
            "sts",
            "assume-role-with-saml",
            "--role-arn",
            role["Arn"],
            "--principal-arn",
            provider_arn,
            "--output",
            "json",
            "--saml-assertion",
            IDP.response([pair(role, provider_arn)], "cli.user"),
        ],
        env,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/cli.user")
    assert answer["SubjectType"] == "persistent"
    out = run_aws(
        [
            "sts",
            "assume-role-with-saml",
            "--role-arn",
            role["Arn"],
            "--principal-arn",
            provider_arn,
            "--saml-assertion",
            IDP.response([pair(role, provider_arn)], "cli.user", sign="none"),
        ],
        env,
    )
    assert out.returncode != 0
    assert "(InvalidIdentityToken)" in out.stderr and "Response signature invalid" in out.stderr


def test_a_failed_sign_in_status_is_idp_rejected_claim(
    server: RunningServer, provider_arn: str
) -> None:
    role = new_role(server, trust(provider_arn))
    response = decode(IDP.response([pair(role, provider_arn)], "alice", sign="response"))
    status = response.find(f"{{{PROTOCOL}}}Status/{{{PROTOCOL}}}StatusCode")
    assert status is not None
    status.set("Value", "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed")
    assert refused(server, role, provider_arn, encode(response)) == (
        "IDPRejectedClaim",
        "The identity provider rejected the sign-in",
        403,
    )


def test_js_sdk_without_credentials(server: RunningServer, provider_arn: str) -> None:
    """An independent client (the AWS SDK for JavaScript v3) sends the call unsigned,
    reads the answer and signs with the session it got."""
    role = new_role(server, trust(provider_arn))
    assertion = IDP.response([pair(role, provider_arn)], "js.user")
    out = run_node(
        "assume_role_with_saml.mjs", server.endpoint, role["Arn"], provider_arn, assertion
    )
    assert "error" not in out, out
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/js.user"
    assert out["answer"]["Arn"] == out["identity"]["Arn"] == session_arn
    assert out["answer"]["Issuer"] == IDP.entity_id
    assert out["answer"]["SubjectType"] == "persistent"
    other = IDP.response([pair(role, provider_arn)], "js.user", signer=OTHER_IDP)
    out = run_node("assume_role_with_saml.mjs", server.endpoint, role["Arn"], provider_arn, other)
    assert out["error"] == {
        "name": "InvalidIdentityTokenException",
        "message": "Response signature invalid",
        "status": 400,
    }
