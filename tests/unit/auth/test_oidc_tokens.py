"""gatehold/auth/oidc_tokens.py: the token rules (pure); signatures are checked with
keys from a real issuer on 127.0.0.1 (tests/support/oidc_issuer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gatehold.auth import oidc_keys, oidc_tokens
from gatehold.errors import AwsError
from tests.support.oidc_issuer import OidcIssuer, new_ec_key, new_rsa_key, running_issuer, tamper


@pytest.fixture(scope="module")
def issuer() -> Iterator[OidcIssuer]:
    with running_issuer() as running:
        yield running


def code_and_message(exc: pytest.ExceptionInfo[AwsError]) -> tuple[str, str]:
    return exc.value.code, exc.value.message


# --- parsing -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "abc", "a.b", "a.b.c", "e30.e30.", "W10.e30.c2ln"])
def test_what_is_no_jwt_is_refused(raw: str) -> None:
    with pytest.raises(AwsError) as exc:
        oidc_tokens.parse(raw)
    assert exc.value.code == "InvalidIdentityToken"


def test_only_rsa_and_ecdsa_algorithms_are_accepted(issuer: OidcIssuer) -> None:
    import jwt

    for alg, key in (("HS256", "x" * 32), ("none", None)):
        # PyJWT's types want a key, but alg "none" takes None (and refuses any other).
        raw = jwt.encode({"iss": issuer.issuer}, key, algorithm=alg)  # type: ignore[arg-type]
        with pytest.raises(AwsError) as exc:
            oidc_tokens.parse(raw)
        assert exc.value.code == "InvalidIdentityToken"
    assert oidc_tokens.parse(issuer.token(key="ec")).algorithm == "ES256"


def test_a_token_without_issuer_is_refused(issuer: OidcIssuer) -> None:
    with pytest.raises(AwsError) as exc:
        oidc_tokens.parse(tamper(issuer.token(), iss=None))
    assert code_and_message(exc) == ("InvalidIdentityToken", "Missing a required claim: iss")


def test_provider_url_drops_the_scheme_only() -> None:
    assert (
        oidc_tokens.provider_url("https://token.actions.githubusercontent.com")
        == "token.actions.githubusercontent.com"
    )
    assert oidc_tokens.provider_url("http://127.0.0.1:8080/idp/") == "127.0.0.1:8080/idp/"


# --- audience and times --------------------------------------------------------------


def test_the_audience_must_be_a_client_id() -> None:
    assert oidc_tokens.audience({"aud": "a"}, ("a", "b")) == "a"
    assert oidc_tokens.audience({"aud": ["x", "b"]}, ("a", "b")) == "b"
    # With azp, azp is the audience (AWS's `:aud` key); aud is only the original one.
    assert oidc_tokens.audience({"aud": "x", "azp": "b"}, ("b",)) == "b"
    with pytest.raises(AwsError) as exc:
        oidc_tokens.audience({"aud": "a", "azp": "x"}, ("a",))
    assert code_and_message(exc) == ("InvalidIdentityToken", "Incorrect token audience")
    with pytest.raises(AwsError) as exc:
        oidc_tokens.audience({"sub": "s"}, ("a",))
    assert code_and_message(exc) == ("InvalidIdentityToken", "Missing a required claim: aud")


def test_times_are_checked_against_now() -> None:
    now = 1_700_000_000
    oidc_tokens.check_times(
        {"exp": now + 1, "nbf": now + oidc_tokens.LEEWAY_SECONDS, "iat": now}, now
    )
    with pytest.raises(AwsError) as exc:
        oidc_tokens.check_times({"exp": now}, now)
    assert code_and_message(exc) == (
        "ExpiredTokenException",
        f"Token expired: current date/time {now} must be before the expiration date/time {now}",
    )
    for claims in (
        {"exp": now + 60, "nbf": now + oidc_tokens.LEEWAY_SECONDS + 1},
        {"exp": now + 60, "iat": now + oidc_tokens.LEEWAY_SECONDS + 1},
        {"exp": float(now + 60)},
        {"exp": "soon"},
        {"exp": True},
        {},
    ):
        with pytest.raises(AwsError) as exc:
            oidc_tokens.check_times(claims, now)
        assert exc.value.code == "InvalidIdentityToken", claims


# --- tags and source identity ----------------------------------------------------------


def test_session_tags_come_from_the_tags_claim() -> None:
    claim = {
        oidc_tokens.TAGS_CLAIM: {
            "principal_tags": {"team": ["web"], "env": "prod"},
            "transitive_tag_keys": ["team"],
        }
    }
    assert oidc_tokens.session_tags(claim) == ((("team", "web"), ("env", "prod")), ("team",))
    assert oidc_tokens.session_tags({}) == ((), ())


@pytest.mark.parametrize(
    "claim",
    [
        "team=web",
        {"principal_tags": {"team": ["web", "ops"]}},
        {"principal_tags": {"team": 1}},
        {"principal_tags": {"aws:team": ["web"]}},
        {"principal_tags": {"Team": ["a"], "team": ["b"]}},
        {"principal_tags": {"t" * 129: ["a"]}},
        {"principal_tags": {"team": ["v" * 257]}},
        {"principal_tags": {f"k{i}": ["v"] for i in range(51)}},
        {"principal_tags": {"team": ["web"]}, "transitive_tag_keys": ["env"]},
    ],
)
def test_bad_session_tags_are_refused(claim: Any) -> None:
    with pytest.raises(AwsError) as exc:
        oidc_tokens.session_tags({oidc_tokens.TAGS_CLAIM: claim})
    assert exc.value.code == "InvalidIdentityToken"


def test_source_identity_follows_assume_roles_rules() -> None:
    assert (
        oidc_tokens.source_identity({oidc_tokens.SOURCE_IDENTITY_CLAIM: "alice@example.com"})
        == "alice@example.com"
    )
    assert oidc_tokens.source_identity({}) is None
    for bad in ("a", "x" * 65, "aws:alice", "has space", 7):
        with pytest.raises(AwsError):
            oidc_tokens.source_identity({oidc_tokens.SOURCE_IDENTITY_CLAIM: bad})


# --- signatures -----------------------------------------------------------------------


def test_signatures_verify_with_the_issuers_keys(issuer: OidcIssuer) -> None:
    source = oidc_keys.KeySource()
    for key in ("rsa", "ec"):
        token = oidc_tokens.parse(issuer.token(sub=f"s-{key}", key=key))
        assert oidc_tokens.verify_signature(token, source.keys_for(token))["sub"] == f"s-{key}"
    for forged in (
        tamper(issuer.token(), sub="admin"),
        issuer.token(signer=new_rsa_key(), kid="rsa"),
        issuer.token(signer=new_ec_key(), kid="ec"),
    ):
        token = oidc_tokens.parse(forged)
        with pytest.raises(AwsError) as exc:
            oidc_tokens.verify_signature(token, source.keys_for(token))
        assert exc.value.code == "InvalidIdentityToken"
