"""What the "My security credentials" pages share: calling IAM as the signed-in
principal, the overview page, and values handed from a POST to the page after its
303 (a new key's secret, a new MFA device's seed).

Hand-off: the value travels in a short-lived cookie sealed with the operator's
key (SecretBox, AES-GCM) and bound to the session's token hash and its purpose,
so it can be opened only by this session, on this page, within a few minutes; it
is never written to the store. The page that shows it deletes the cookie, so a
reload does not show it again (AWS: the secret is shown once).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gatehold.console import web
from gatehold.console.actions import Peer, invoke, invoke_all
from gatehold.console.signin import sessions
from gatehold.console.web import peer
from gatehold.errors import AwsError
from gatehold.services.call import Result
from gatehold.store import console_sessions
from gatehold.store.secretbox import SecretBoxError

BASE = "/console/credentials"
HANDOFF_LIFETIME = timedelta(minutes=10)

# ?done=<key> after a 303: fixed texts only, so nothing from the URL is echoed.
NOTICES = {
    "password": "Your password has been changed.",
    "mfa-assigned": "The MFA device is assigned. It is asked for at your next sign-in.",
    "mfa-removed": "The MFA device was removed.",
    "key-Active": "The access key is active.",
    "key-Inactive": "The access key is deactivated: requests signed with it are refused.",
    "key-deleted": "The access key was deleted.",
}


@dataclass(frozen=True)
class KeyRow:
    access_key_id: str
    status: str
    created: datetime
    last_used: datetime | None
    service: str
    region: str


@dataclass
class Overview:
    me: sessions.HomeFacts
    root: bool
    devices: list[dict[str, Any]] = field(default_factory=list)
    devices_error: str | None = None
    keys: list[KeyRow] = field(default_factory=list)
    keys_error: str | None = None


class Pages(web.Pages):
    """Base of the credentials page classes: the overview, IAM calls in one transaction,
    and the hand-off."""

    async def call_all(
        self,
        request: Request,
        session: console_sessions.Session,
        steps: list[tuple[str, dict[str, Any]]],
    ) -> list[Result]:
        """Several IAM operations in one transaction: all done, or none (AwsError)."""
        return await self.w.run(invoke_all, self.c, session, "iam", steps, peer(request))

    def _gather(self, session: console_sessions.Session, who: Peer) -> Overview:
        """Blocking: the overview's facts; each section shows its own AccessDenied."""
        view = Overview(sessions.home(self.c, session), session.is_root)
        try:
            view.devices = invoke(self.c, session, "iam", "ListMFADevices", {}, who)["MFADevices"]
        except AwsError as err:
            view.devices_error = err.message
        try:
            listed = invoke(self.c, session, "iam", "ListAccessKeys", {}, who)
            for meta in listed["AccessKeyMetadata"]:
                view.keys.append(self._key_row(session, who, meta))
        except AwsError as err:
            view.keys_error = err.message
        return view

    def _key_row(
        self, session: console_sessions.Session, who: Peer, meta: dict[str, Any]
    ) -> KeyRow:
        key_id = meta["AccessKeyId"]
        try:
            used = invoke(
                self.c, session, "iam", "GetAccessKeyLastUsed", {"AccessKeyId": key_id}, who
            )["AccessKeyLastUsed"]
        except AwsError:  # not allowed to read it: shown as unknown
            used = {"ServiceName": "-", "Region": "-"}
        return KeyRow(
            key_id,
            meta["Status"],
            meta["CreateDate"],
            used.get("LastUsedDate"),
            used["ServiceName"],
            used["Region"],
        )

    async def overview(
        self,
        request: Request,
        session: console_sessions.Session,
        *,
        error: str | None = None,
        status: int = 200,
        **values: Any,
    ) -> Response:
        view = await self.w.run(self._gather, session, peer(request))
        notice = NOTICES.get(request.query_params.get("done", "")) if error is None else None
        return self.w.page(
            request,
            "credentials.html",
            status,
            title="My security credentials",
            view=view,
            notice=notice,
            error=error,
            **values,
        )

    # ---- hand-off of a one-time value to the page after the 303 ----

    def _aad(self, session: console_sessions.Session, purpose: str) -> bytes:
        return f"gatehold console handoff {purpose} {session.token_hash}".encode()

    def hand_off(
        self,
        request: Request,
        resp: Response,
        session: console_sessions.Session,
        purpose: str,
        value: dict[str, str],
    ) -> Response:
        payload = json.dumps({"at": self.c.clock.now().timestamp(), "value": value}).encode()
        sealed = self.c.box.seal(payload, self._aad(session, purpose))
        resp.set_cookie(
            _cookie(purpose),
            base64.urlsafe_b64encode(sealed).decode("ascii"),
            max_age=int(HANDOFF_LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path=BASE,
        )
        return resp

    def handed(
        self, request: Request, session: console_sessions.Session, purpose: str
    ) -> dict[str, str] | None:
        """The value handed off to this session for `purpose`, if fresh and genuine."""
        raw = request.cookies.get(_cookie(purpose))
        if not raw:
            return None
        try:
            sealed = base64.urlsafe_b64decode(raw.encode("ascii"))
            payload = json.loads(self.c.box.open(sealed, self._aad(session, purpose)))
        except (SecretBoxError, binascii.Error, ValueError, UnicodeEncodeError):
            return None
        age = self.c.clock.now().timestamp() - float(payload["at"])
        if not 0 <= age <= HANDOFF_LIFETIME.total_seconds():
            return None
        value: dict[str, str] = payload["value"]
        return value

    @staticmethod
    def forget(resp: Response, purpose: str) -> Response:
        resp.delete_cookie(_cookie(purpose), path=BASE)
        return resp


def _cookie(purpose: str) -> str:
    return f"gatehold_{purpose}"
