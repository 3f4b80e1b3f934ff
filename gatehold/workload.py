"""Credentials for workloads: an endpoint boto3's container-credentials provider uses by itself.

A program started with

    AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/workload/credentials/<grant key id>
    AWS_CONTAINER_AUTHORIZATION_TOKEN=<grant token>

and no keys gets a role's credentials from the SDK's default chain, as an ECS task
does. botocore (credentials.ContainerProvider, utils.ContainerMetadataFetcher) sends
`GET FULL_URI` with `Accept: application/json` and the token, verbatim, as the
`Authorization` header; it expects a JSON object with AccessKeyId, SecretAccessKey,
Token and Expiration (ISO 8601), and refreshes before Expiration. Over plain http it
only accepts a loopback address (or the ECS/EKS link-local hosts); https is any host.

Design — no table, no back door (issue 5, part 6). A grant IS an AssumeRole session:
`gatehold run` (cli/run.py) calls sts:AssumeRole with the operator's own credentials,
so the role's trust policy, the caller's identity policy, MaxSessionDuration, and
every condition are decided by the ordinary pipeline, and nothing here can grant more
than that call did. The authorization token is

    <the session token> "." <hex HMAC-SHA256(session secret, GRANT_LABEL)>

The session token alone is not enough: it travels in every signed request
(X-Amz-Security-Token) and may be seen by proxies or logs, while the secret never
leaves the client; only the holder of the secret can make the MAC. Each fetch mints
new credentials (a new ASIA key and secret) of the same session — same role, session
policies, tags, source identity and *issue time*, so AWS's "revoke active sessions"
deny on aws:TokenIssueTime cuts off the workload too — expiring at the earlier of
now + WORKLOAD_SECONDS and the grant's own expiry: a workload never outlives what
AssumeRole granted. Nothing is written, so any instance sharing the operator key
serves it, as with session tokens (session_tokens.py).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import replace
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gatehold import ids
from gatehold.auth import session_tokens
from gatehold.clock import Clock
from gatehold.context import PrincipalKind
from gatehold.store.secretbox import SecretBox

PATH_PREFIX = "/workload/credentials/"
GRANT_LABEL = b"gatehold-workload-grant-v1"
# How long each fetched set of credentials lasts. botocore refreshes container
# credentials 15 minutes before they expire (advisory) and must refresh 10 minutes
# before (mandatory), so anything at or under 15 minutes would be fetched again on
# nearly every request: an hour, bounded by the grant. The variable exists so tests
# can watch a refresh without waiting an hour.
WORKLOAD_SECONDS_ENV = "GATEHOLD_WORKLOAD_CREDENTIAL_SECONDS"
DEFAULT_WORKLOAD_SECONDS = 3600


def grant_token(session_token: str, secret: str) -> str:
    """The authorization token for a session: what `gatehold run` hands the workload."""
    return f"{session_token}.{_mac(secret)}"


def _mac(secret: str) -> str:
    return hmac.new(secret.encode(), GRANT_LABEL, hashlib.sha256).hexdigest()


def _refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class WorkloadCredentials:
    def __init__(self, box: SecretBox, clock: Clock, seconds: int) -> None:
        self.box = box
        self.clock = clock
        self.seconds = seconds

    async def fetch(self, request: Request) -> JSONResponse:
        key_id = request.path_params["grant"]
        token, _, mac = request.headers.get("authorization", "").rpartition(".")
        try:
            session = session_tokens.open_token(self.box, token)
        except session_tokens.BadToken:
            session = None
        # One answer for every refusal (unknown, tampered, foreign key id, bad MAC, not
        # a role session): the caller learns nothing about which check failed.
        if (
            session is None
            or session.access_key_id != key_id
            or not hmac.compare_digest(mac, _mac(session.secret))
            or session.principal.kind is not PrincipalKind.ASSUMED_ROLE
        ):
            return _refused(401, "Unauthorized", "The authorization token is not valid.")
        facts = session.principal.session
        assert facts is not None
        now = self.clock.now().replace(microsecond=0)
        if now >= facts.expires_at:
            return _refused(403, "ExpiredToken", "The workload grant has expired.")
        return JSONResponse(self._mint(session, now), headers={"Cache-Control": "no-store"})

    def _mint(self, grant: session_tokens.Session, now: datetime) -> dict[str, str]:
        # The same steps as sts_common.mint (which needs a Call: there is no request
        # context or transaction here), on the grant's own principal and facts.
        facts = grant.principal.session
        assert facts is not None
        expires = min(facts.expires_at, now + timedelta(seconds=self.seconds))
        key_id = ids.new_access_key_id(grant.principal.account_id, ids.PREFIX_TEMP_ACCESS_KEY)
        secret = ids.new_secret_access_key()
        principal = replace(
            grant.principal, access_key_id=key_id, session=replace(facts, expires_at=expires)
        )
        token = session_tokens.seal(self.box, session_tokens.Session(key_id, secret, principal))
        return {
            "AccessKeyId": key_id,
            "SecretAccessKey": secret,
            "Token": token,
            "Expiration": _iso(expires),
            "RoleArn": facts.role_arn or "",
        }


def routes(box: SecretBox, clock: Clock) -> list[Route]:
    seconds = int(os.environ.get(WORKLOAD_SECONDS_ENV) or DEFAULT_WORKLOAD_SECONDS)
    handler = WorkloadCredentials(box, clock, max(1, seconds))
    return [Route(PATH_PREFIX + "{grant}", handler.fetch, methods=["GET"])]
