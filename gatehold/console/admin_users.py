"""Users: the list, creating one, and the user's page with what hangs off the user.

Every read and change is an IAM operation through actions.invoke (admin_common.Pages);
what is not an IAM operation (console passwords generated here, the Unlock button)
is in admin_user_access.py. Deleting a user with dependents is admin_user_delete.py.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console import admin_user_access, admin_user_delete, sessions
from gatehold.console.admin_common import Pages, checked, done, error_text, notice, peer, q
from gatehold.errors import AwsError

PAGE_SIZE = 50


class UserPages(Pages):
    async def index(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        params: dict[str, Any] = {"MaxItems": PAGE_SIZE}
        if request.query_params.get("marker"):
            params["Marker"] = request.query_params["marker"]
        result, error = await self.attempt(request, session, "ListUsers", params)
        return self.w.page(
            request,
            "admin_users.html",
            title="Users",
            users=(result or {}).get("Users", []),
            next_marker=(result or {}).get("Marker")
            if result and result.get("IsTruncated")
            else None,
            error=error,
            notice=notice(request),
        )

    async def new(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return self._create_form(request)

    def _create_form(self, request: Request, status: int = 200, **values: Any) -> Response:
        values.setdefault("form", {"console": "none", "require_reset": "on"})
        return self.w.page(request, "admin_user_new.html", status, title="Create user", **values)

    async def create(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        form = posted.form
        name = form.get("user_name", "").strip()
        try:
            generated = await self.w.run(
                admin_user_access.set_password,
                self.c,
                posted.session,
                peer(request),
                name,
                form,
                new_user=True,
            )
        except AwsError as err:
            return self._create_form(request, err.status, form=form, error=error_text(err))
        if generated is not None:
            return self.password_shown(request, name, generated)
        return done(f"/console/iam/users/{q(name)}", "user-created")

    def password_shown(self, request: Request, name: str, password: str) -> Response:
        # Not a 303: a generated password is shown once, in the answer to the POST that
        # set it; a redirect would need it kept somewhere in between (no-store page).
        return self.w.page(
            request,
            "admin_password_shown.html",
            title="Console password",
            user_name=name,
            password=password,
        )

    async def show(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        name = request.path_params["name"]
        return await self._user_page(request, session, name, notice=notice(request))

    async def _user_page(
        self,
        request: Request,
        session: sessions.Session,
        name: str,
        status: int = 200,
        **values: Any,
    ) -> Response:
        try:
            user = (await self.call(request, session, "GetUser", {"UserName": name}))["User"]
        except AwsError as err:
            return self.failed(request, err, name)
        sections: dict[str, Any] = {}
        for key, operation in (
            ("groups", "ListGroupsForUser"),
            ("attached", "ListAttachedUserPolicies"),
            ("inline", "ListUserPolicies"),
            ("mfa", "ListMFADevices"),
            ("keys", "ListAccessKeys"),
        ):
            sections[key] = await self.attempt(request, session, operation, {"UserName": name})
        sections["all_groups"] = await self.attempt(request, session, "ListGroups")
        access = await self.w.run(
            admin_user_access.console_access, self.c, session, peer(request), name
        )
        return self.w.page(
            request,
            "admin_user.html",
            status,
            title=f"User {name}",
            user=user,
            access=access,
            **sections,
            **values,
        )

    async def _change(
        self, request: Request, operation: str, fields: dict[str, str], key: str
    ) -> Response:
        """One form on the user's page: an operation on the user with the form's
        `fields` (parameter: form field), then back to the page."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        name = request.path_params["name"]
        params = {"UserName": name}
        params.update({p: posted.form.get(f, "") for p, f in fields.items()})
        try:
            if operation == "AttachUserPolicy":
                params["PolicyArn"] = await self.w.run(
                    admin_user_access.policy_arn, self.c, posted.session, params["PolicyArn"]
                )
            await self.call(request, posted.session, operation, params)
        except AwsError as err:
            return await self._user_page(
                request, posted.session, name, err.status, error=error_text(err)
            )
        return done(f"/console/iam/users/{q(name)}", key)

    async def add_group(self, request: Request) -> Response:
        fields = {"GroupName": "group_name"}
        return await self._change(request, "AddUserToGroup", fields, "group-added")

    async def remove_group(self, request: Request) -> Response:
        fields = {"GroupName": "group_name"}
        return await self._change(request, "RemoveUserFromGroup", fields, "group-removed")

    async def attach(self, request: Request) -> Response:
        fields = {"PolicyArn": "policy"}
        return await self._change(request, "AttachUserPolicy", fields, "policy-attached")

    async def detach(self, request: Request) -> Response:
        fields = {"PolicyArn": "policy_arn"}
        return await self._change(request, "DetachUserPolicy", fields, "policy-detached")

    async def deactivate_mfa(self, request: Request) -> Response:
        fields = {"SerialNumber": "serial_number"}
        return await self._change(request, "DeactivateMFADevice", fields, "mfa-deactivated")

    async def remove_password(self, request: Request) -> Response:
        return await self._change(request, "DeleteLoginProfile", {}, "password-removed")

    async def set_password(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        name = request.path_params["name"]
        if posted.form.get("console") not in ("autogenerated", "custom"):
            posted.form["console"] = "custom"  # this form always sets a password
        try:
            generated = await self.w.run(
                admin_user_access.set_password,
                self.c,
                posted.session,
                peer(request),
                name,
                posted.form,
            )
        except AwsError as err:
            return await self._user_page(
                request, posted.session, name, err.status, error=error_text(err)
            )
        if generated is not None:
            return self.password_shown(request, name, generated)
        return done(f"/console/iam/users/{q(name)}", "password-set")

    async def delete(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        name = request.path_params["name"]
        try:
            await self.w.run(
                admin_user_delete.delete_user,
                self.c,
                posted.session,
                peer(request),
                name,
                checked(posted.form, "with_dependents"),
            )
        except AwsError as err:
            return await self._user_page(
                request, posted.session, name, err.status, error=error_text(err)
            )
        return done("/console/iam/users", "user-deleted")

    async def unlock(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        name = request.path_params["name"]
        try:
            await self.w.run(admin_user_access.unlock, self.c, posted.session, peer(request), name)
        except AwsError as err:
            return await self._user_page(
                request, posted.session, name, err.status, error=error_text(err)
            )
        return done(f"/console/iam/users/{q(name)}", "unlocked")

    def routes(self) -> list[Route]:
        base = "/console/iam/users"
        return [
            Route(base, self.index, methods=["GET"]),
            Route("/console/iam/create-user", self.new, methods=["GET"]),
            Route("/console/iam/create-user", self.create, methods=["POST"]),
            Route(base + "/{name}", self.show, methods=["GET"]),
            Route(base + "/{name}/groups/add", self.add_group, methods=["POST"]),
            Route(base + "/{name}/groups/remove", self.remove_group, methods=["POST"]),
            Route(base + "/{name}/policies/attach", self.attach, methods=["POST"]),
            Route(base + "/{name}/policies/detach", self.detach, methods=["POST"]),
            Route(base + "/{name}/mfa/deactivate", self.deactivate_mfa, methods=["POST"]),
            Route(base + "/{name}/password", self.set_password, methods=["POST"]),
            Route(base + "/{name}/password/remove", self.remove_password, methods=["POST"]),
            Route(base + "/{name}/unlock", self.unlock, methods=["POST"]),
            Route(base + "/{name}/delete", self.delete, methods=["POST"]),
        ]
