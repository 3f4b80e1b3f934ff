"""One's own access keys: create (at most 2), show the secret once, deactivate,
activate, delete, and rotate as AWS recommends (IAM User Guide, "Rotate access
keys"): create the second key, move applications to it, deactivate the old one,
check that nothing still uses it (last used), then delete it.

The secret goes from the create POST to the page after its 303 in a sealed,
session-bound cookie (common.py); that page deletes the cookie, so the
secret is shown exactly once and is never read back from the store.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console.credentials.common import BASE, Pages
from gatehold.console.web import peer
from gatehold.errors import AwsError

NEW_KEY = "new_key"
CONFIRM_MISMATCH = "The text you entered does not match the access key ID."


class KeyPages(Pages):
    async def create(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session = posted.session
        try:
            created = (await self.call(request, session, "CreateAccessKey", {}))["AccessKey"]
        except AwsError as err:
            return await self.overview(request, session, error=err.message, status=err.status)
        value = {"id": created["AccessKeyId"], "secret": created["SecretAccessKey"]}
        resp = self.w.redirect(f"{BASE}/keys/created")
        return self.hand_off(request, resp, session, NEW_KEY, value)

    async def created(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        key = self.handed(request, session, NEW_KEY)
        if key is None:  # shown already (or never created here): never again
            return self.forget(self.w.redirect(BASE), NEW_KEY)
        resp = self.w.page(
            request,
            "credentials_key_created.html",
            title="Retrieve access key",
            access_key_id=key["id"],
            secret=key["secret"],
        )
        return self.forget(resp, NEW_KEY)

    async def status(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        new_status = form.get("status", "")
        params = {"AccessKeyId": form.get("access_key_id", ""), "Status": new_status}
        try:
            await self.call(request, session, "UpdateAccessKey", params)
        except AwsError as err:
            return await self.overview(request, session, error=err.message, status=err.status)
        return self.w.redirect(f"{BASE}?done=key-{new_status}")

    async def delete_get(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return self._confirm_page(request, request.query_params.get("id", ""))

    def _confirm_page(
        self, request: Request, key_id: str, error: str | None = None, status: int = 200
    ) -> Response:
        return self.w.page(
            request,
            "credentials_key_delete.html",
            status,
            title="Delete access key",
            access_key_id=key_id,
            error=error,
        )

    async def delete_post(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted.session, posted.form
        key_id = form.get("access_key_id", "")
        if form.get("confirm", "").strip() != key_id:
            return self._confirm_page(request, key_id, CONFIRM_MISMATCH, 400)
        try:
            await self.call(request, session, "DeleteAccessKey", {"AccessKeyId": key_id})
        except AwsError as err:
            return self._confirm_page(request, key_id, err.message, err.status)
        return self.w.redirect(f"{BASE}?done=key-deleted")

    async def rotate(self, request: Request) -> Response:
        """AWS's rotation steps for one key, with the buttons for each step."""
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        view = await self.w.run(self._gather, session, peer(request))
        old = next(
            (k for k in view.keys if k.access_key_id == request.query_params.get("id")), None
        )
        if old is None:
            return self.w.redirect(BASE)
        others = [k for k in view.keys if k.access_key_id != old.access_key_id]
        return self.w.page(
            request,
            "credentials_key_rotate.html",
            title="Rotate access key",
            old=old,
            others=others,
        )

    def routes(self) -> list[Route]:
        return [
            Route(f"{BASE}/keys/create", self.create, methods=["POST"]),
            Route(f"{BASE}/keys/created", self.created, methods=["GET"]),
            Route(f"{BASE}/keys/status", self.status, methods=["POST"]),
            Route(f"{BASE}/keys/delete", self.delete_get, methods=["GET"]),
            Route(f"{BASE}/keys/delete", self.delete_post, methods=["POST"]),
            Route(f"{BASE}/keys/rotate", self.rotate, methods=["GET"]),
        ]
