"""AssumeRoleWithWebIdentity through boto3, unsigned as botocore sends it, against a
real OIDC issuer (tests/support/oidc_issuer.py) whose keys gatehold fetches over
HTTP: token checks, trust-policy conditions on the token's claims, durations,
session policies and tags; and boto3's own web-identity credential provider
(AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), as EKS and GitHub Actions use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.aws import error_of, session_client, unique
from tests.support.oidc_issuer import OidcIssuer, new_rsa_key, running_issuer, tamper
from tests.support.servers import RunningServer

AUD = "sts.amazonaws.com"
OTHER_CLIENT = "build-bot"
LIST_ROLES_AND_USERS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:ListRoles", "iam:ListUsers"], "Resource": "*"}
    ],
}
NOT_AUTHORIZED = ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
# AWS's text, two spaces included.
NO_KEY = (
    "InvalidIdentityToken",
    (
        "Couldn't retrieve verification key from your identity provider,  please reference "
        "AssumeRoleWithWebIdentity documentation for requirements"
    ),
    400,
)


@pytest.fixture(scope="module")
def issuer(iam: Any) -> Iterator[OidcIssuer]:
    """A running issuer, registered in IAM with two client IDs."""
    with running_issuer() as running:
        iam.create_open_id_connect_provider(
            Url=running.iam_url, ClientIDList=[AUD, OTHER_CLIENT], ThumbprintList=["a" * 40]
        )
        yield running


def anonymous_sts(server: RunningServer) -> Any:
    """STS for a caller with no AWS credentials at all, as botocore sends this operation."""
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def provider_arn(server: RunningServer, issuer: OidcIssuer) -> str:
    return f"arn:aws:iam::{server.account_id}:oidc-provider/{issuer.provider_url}"


def trust(
    server: RunningServer,
    issuer: OidcIssuer,
    condition: dict[str, Any] | None = None,
    actions: Any = "sts:AssumeRoleWithWebIdentity",
) -> str:
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn(server, issuer)},
        "Action": actions,
    }
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def new_role(
    iam: Any, trust_doc: str, policy: dict[str, Any] | None = LIST_ROLES_AND_USERS, **kw: Any
) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=unique("web"), AssumeRolePolicyDocument=trust_doc, **kw
    )["Role"]
    if policy:
        iam.put_role_policy(
            RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps(policy)
        )
    return role


def assume(server: RunningServer, role: dict[str, Any], token: str, **kw: Any) -> dict[str, Any]:
    answer: dict[str, Any] = anonymous_sts(server).assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName=kw.pop("name", "ci-run"), WebIdentityToken=token, **kw
    )
    return answer


def refused(
    server: RunningServer, role: dict[str, Any], token: str, **kw: Any
) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as exc:
        assume(server, role, token, **kw)
    return error_of(exc)


# --- success ----------------------------------------------------------------------


def test_a_valid_token_gets_a_role_session(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    role = new_role(iam, trust(server, issuer))
    answer = assume(
        server, role, issuer.token(sub="repo:acme/app:ref:refs/heads/main"), name="gh-42"
    )
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/gh-42"
    assert answer["AssumedRoleUser"] == {
        "Arn": session_arn,
        "AssumedRoleId": f"{role['RoleId']}:gh-42",
    }
    assert answer["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main"
    assert answer["Provider"] == provider_arn(server, issuer)
    assert answer["Audience"] == AUD
    assert "PackedPolicySize" not in answer and "SourceIdentity" not in answer
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    left = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 3500 < left <= 3600  # the default hour
    # The credentials act as the role session.
    caller = session_client(server, "sts", creds).get_caller_identity()
    assert caller["Arn"] == session_arn
    assert caller["UserId"] == f"{role['RoleId']}:gh-42"
    session_client(server, "iam", creds).list_roles()  # the role's own policy allows it
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]["Region"] == "us-east-1"


def test_an_ec_signed_token_is_accepted(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    role = new_role(iam, trust(server, issuer))
    answer = assume(server, role, issuer.token(key="ec"))
    assert answer["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/ci-run")


def test_the_keys_are_fetched_once_and_reused(server: RunningServer, iam: Any) -> None:
    with running_issuer() as fresh:
        iam.create_open_id_connect_provider(
            Url=fresh.iam_url, ClientIDList=[AUD], ThumbprintList=["b" * 40]
        )
        role = new_role(iam, trust(server, fresh))
        for _ in range(3):
            assume(server, role, fresh.token())
        assert fresh.requests == [
            f"{fresh.path}/.well-known/openid-configuration",
            f"{fresh.path}/keys",
        ]


def test_no_write_waits_while_the_keys_are_fetched(server: RunningServer, iam: Any) -> None:
    # The first call for an issuer fetches its keys, which may take seconds. It runs in
    # a read transaction (services/read_mostly.py): on SQLite a write transaction
    # would hold the store's only write lock all along, and every change waited.
    with running_issuer() as slow:
        iam.create_open_id_connect_provider(
            Url=slow.iam_url, ClientIDList=[AUD], ThumbprintList=["c" * 40]
        )
        role = new_role(iam, trust(server, slow))
        slow.hold = threading.Event()
        answers: list[dict[str, Any]] = []
        waiting = threading.Thread(
            target=lambda: answers.append(assume(server, role, slow.token()))
        )
        waiting.start()
        try:
            assert slow.held.wait(10), "gatehold never asked the issuer for its keys"
            # A change while the fetch is pending: answered at once. Held up by a write
            # lock, it would wait until gatehold gives up on the issuer (5 s) and time
            # out here first (3 s).
            key, secret = server.admin_keys
            quick = boto3.client(
                "iam",
                endpoint_url=server.endpoint,
                region_name="us-east-1",
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                config=Config(read_timeout=3, retries={"max_attempts": 1}),
            )
            quick.create_user(UserName=unique("during-fetch"))
            assert not slow.hold.is_set() and not answers  # the fetch is still pending
        finally:
            slow.hold.set()
            waiting.join(30)
        assert answers and answers[0]["AssumedRoleUser"]["Arn"].endswith(
            f"/{role['RoleName']}/ci-run"
        )
        assert (
            iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]["Region"] == "us-east-1"
        )


# --- the trust policy decides, on the token's claims ---------------------------------


def test_trust_conditions_on_sub_allow_and_deny(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    prefix = issuer.provider_url
    role = new_role(
        iam,
        trust(
            server,
            issuer,
            {
                "StringEquals": {f"{prefix}:aud": AUD},
                "StringLike": {f"{prefix}:sub": "repo:acme/app:*"},
            },
        ),
    )
    assume(server, role, issuer.token(sub="repo:acme/app:ref:refs/heads/main"))
    assert (
        refused(server, role, issuer.token(sub="repo:evil/app:ref:refs/heads/main"))
        == NOT_AUTHORIZED
    )


def test_trust_conditions_on_aud_tell_client_ids_apart(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    role = new_role(
        iam, trust(server, issuer, {"StringEquals": {f"{issuer.provider_url}:aud": OTHER_CLIENT}})
    )
    assert assume(server, role, issuer.token(aud=OTHER_CLIENT))["Audience"] == OTHER_CLIENT
    # A token for the provider's other client ID is valid, but this role does not trust it.
    assert refused(server, role, issuer.token(aud=AUD)) == NOT_AUTHORIZED


def test_a_role_that_does_not_trust_the_provider_is_refused(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    admin = server.client("sts").get_caller_identity()["Arn"]
    role = new_role(
        iam,
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": admin}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    assert refused(server, role, issuer.token()) == NOT_AUTHORIZED
    # A role that trusts one provider does not trust another, even in the same account.
    trusting_issuer = new_role(iam, trust(server, issuer))
    with running_issuer() as other:
        iam.create_open_id_connect_provider(
            Url=other.iam_url, ClientIDList=[AUD], ThumbprintList=["d" * 40]
        )
        assert refused(server, trusting_issuer, other.token()) == NOT_AUTHORIZED
    # Nor does trusting the provider for sts:AssumeRole make it a web-identity trust.
    role = new_role(iam, trust(server, issuer, actions="sts:AssumeRole"))
    assert refused(server, role, issuer.token()) == NOT_AUTHORIZED
    # A refused call changed nothing.
    assert "LastUsedDate" not in iam.get_role(RoleName=role["RoleName"])["Role"].get(
        "RoleLastUsed", {}
    )


def test_a_missing_role_answers_like_a_refusal(server: RunningServer, issuer: OidcIssuer) -> None:
    ghost = {"Arn": f"arn:aws:iam::{server.account_id}:role/{unique('nobody')}"}
    assert refused(server, ghost, issuer.token()) == NOT_AUTHORIZED


# --- the token is checked -----------------------------------------------------------


def test_an_audience_that_is_no_client_id_is_refused(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    role = new_role(iam, trust(server, issuer))
    assert refused(server, role, issuer.token(aud="someone-else")) == (
        "InvalidIdentityToken",
        "Incorrect token audience",
        400,
    )


def test_an_expired_token_is_refused(server: RunningServer, iam: Any, issuer: OidcIssuer) -> None:
    role = new_role(iam, trust(server, issuer))
    token = issuer.token(lifetime=-60)
    code, message, status = refused(server, role, token)
    expires = json.loads(_claims_json(token))["exp"]
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ")
    assert message.endswith(f" must be before the expiration date/time {expires}")


def test_a_token_signed_by_a_foreign_key_is_refused(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    role = new_role(iam, trust(server, issuer))
    # Under the kid of a published key: the signature does not verify.
    forged = issuer.token(signer=new_rsa_key(), kid="rsa")
    code, _, status = refused(server, role, forged)
    assert (code, status) == ("InvalidIdentityToken", 400)
    # Under a kid the provider does not publish: no key to verify with.
    assert refused(server, role, issuer.token(signer=new_rsa_key(), kid="rogue")) == NO_KEY


def test_a_tampered_token_is_refused(server: RunningServer, iam: Any, issuer: OidcIssuer) -> None:
    prefix = issuer.provider_url
    role = new_role(
        iam, trust(server, issuer, {"StringEquals": {f"{prefix}:sub": "repo:acme/admin"}})
    )
    forged = tamper(issuer.token(sub="repo:acme/app"), sub="repo:acme/admin")
    code, _, status = refused(server, role, forged)
    assert (code, status) == ("InvalidIdentityToken", 400)


def test_an_unregistered_issuer_is_refused(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    role = new_role(iam, trust(server, issuer))
    with running_issuer() as stranger:
        assert refused(server, role, stranger.token()) == (
            "InvalidIdentityToken",
            f"No OpenIDConnect provider found in your account for {stranger.issuer}",
            400,
        )
        # Only registered issuers are ever contacted.
        assert stranger.requests == []


def test_an_unreachable_issuer_is_refused(server: RunningServer, iam: Any) -> None:
    gone = OidcIssuer().start()
    iam.create_open_id_connect_provider(
        Url=gone.iam_url, ClientIDList=[AUD], ThumbprintList=["c" * 40]
    )
    role = new_role(iam, trust(server, gone))
    token = gone.token()
    gone.stop()
    assert refused(server, role, token) == NO_KEY


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",  # alg none, no signature
        "a.b.c",
    ],
)
def test_what_is_no_signed_jwt_is_refused(
    server: RunningServer, iam: Any, issuer: OidcIssuer, token: str
) -> None:
    role = new_role(iam, trust(server, issuer))
    code, _, status = refused(server, role, token)
    assert (code, status) == ("InvalidIdentityToken", 400)


def test_a_hmac_token_is_refused(server: RunningServer, iam: Any, issuer: OidcIssuer) -> None:
    import jwt

    role = new_role(iam, trust(server, issuer))
    token = jwt.encode(
        {"iss": issuer.issuer, "sub": "x", "aud": AUD, "exp": 2**40},
        "a-shared-secret-of-at-least-32-bytes!!",
        algorithm="HS256",
    )
    code, _, status = refused(server, role, token)
    assert (code, status) == ("InvalidIdentityToken", 400)


# --- duration, session policies, tags ----------------------------------------------


def test_durations_follow_the_role(server: RunningServer, iam: Any, issuer: OidcIssuer) -> None:
    role = new_role(iam, trust(server, issuer), MaxSessionDuration=7200)
    creds = assume(server, role, issuer.token(), DurationSeconds=900)["Credentials"]
    left = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 800 < left <= 900
    assert refused(server, role, issuer.token(), DurationSeconds=7201) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )


def test_a_session_policy_narrows_the_session(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    role = new_role(iam, trust(server, issuer))
    only_roles = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
    }
    answer = assume(server, role, issuer.token(), Policy=json.dumps(only_roles))
    assert 0 < answer["PackedPolicySize"] <= 100
    session_iam = session_client(server, "iam", answer["Credentials"])
    session_iam.list_roles()
    with pytest.raises(ClientError) as exc:
        session_iam.list_users()
    assert error_of(exc)[0] == "AccessDenied"
    # A managed session policy of the role's account narrows it the same way.
    managed = iam.create_policy(
        PolicyName=unique("only-users"),
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
            }
        ),
    )["Policy"]
    answer = assume(server, role, issuer.token(), PolicyArns=[{"arn": managed["Arn"]}])
    session_iam = session_client(server, "iam", answer["Credentials"])
    session_iam.list_users()
    with pytest.raises(ClientError) as exc:
        session_iam.list_roles()
    assert error_of(exc)[0] == "AccessDenied"
    bad = refused(server, role, issuer.token(), Policy='{"Version": "2012-10-17"')
    assert bad[0] == "MalformedPolicyDocument" and bad[2] == 400


def test_session_tags_come_from_the_token(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    tags = {
        "https://aws.amazon.com/tags": {
            "principal_tags": {"team": ["web"], "env": ["prod"]},
            "transitive_tag_keys": ["team"],
        }
    }
    needs_team_tag = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListRoles",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "web"}},
            }
        ],
    }
    role = new_role(
        iam,
        trust(
            server,
            issuer,
            {"StringEquals": {"aws:RequestTag/env": "prod"}},
            actions=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        ),
        policy=needs_team_tag,
    )
    answer = assume(server, role, issuer.token(claims=tags))
    assert 0 < answer["PackedPolicySize"] <= 100
    session_client(server, "iam", answer["Credentials"]).list_roles()  # the tag allows it
    # The trust policy tests the tags as request tags.
    other_env = {
        "https://aws.amazon.com/tags": {"principal_tags": {"team": ["web"], "env": ["dev"]}}
    }
    assert refused(server, role, issuer.token(claims=other_env)) == NOT_AUTHORIZED
    # A role that does not allow sts:TagSession cannot be assumed with tags.
    untagged = new_role(iam, trust(server, issuer))
    code, message, status = refused(server, untagged, issuer.token(claims=tags))
    assert (code, status) == ("AccessDenied", 403) and "sts:TagSession" in message
    # A tag with two values is refused.
    two = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["web", "ops"]}}}
    assert refused(server, role, issuer.token(claims=two))[0] == "InvalidIdentityToken"


def test_source_identity_comes_from_the_token(
    server: RunningServer, iam: Any, issuer: OidcIssuer
) -> None:
    claim = {"https://aws.amazon.com/source_identity": "alice"}
    role = new_role(
        iam,
        trust(server, issuer, actions=["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]),
    )
    assert assume(server, role, issuer.token(claims=claim))["SourceIdentity"] == "alice"
    plain = new_role(iam, trust(server, issuer))
    code, message, status = refused(server, plain, issuer.token(claims=claim))
    assert (code, status) == ("AccessDenied", 403) and "sts:SetSourceIdentity" in message


# --- boto3's own credential provider --------------------------------------------------

_BOTO3_SCRIPT = """
import boto3
session = boto3.Session()
print(session.client("sts").get_caller_identity()["Arn"])
print(session.get_credentials().method)
"""


def test_boto3_web_identity_credential_provider(
    server: RunningServer, iam: Any, issuer: OidcIssuer, tmp_path: Path
) -> None:
    role = new_role(iam, trust(server, issuer))
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token(sub="system:serviceaccount:web:api"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ROLE_ARN=role["Arn"],
        AWS_ROLE_SESSION_NAME="pod-1",
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    done = subprocess.run(
        [sys.executable, "-c", _BOTO3_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    arn, method = done.stdout.split()
    assert arn == f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/pod-1"
    assert method == "assume-role-with-web-identity"


def _claims_json(token: str) -> str:
    import base64

    payload = token.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
