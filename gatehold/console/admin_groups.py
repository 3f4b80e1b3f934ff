"""Groups: the list, creating and deleting one, its members and attached policies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console import admin_user_access, sessions
from gatehold.console.admin_common import Pages, done, error_text, notice, q
from gatehold.errors import AwsError


class GroupPages(Pages):
    async def index(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        result, error = await self.attempt(request, session, "ListGroups")
        return self.w.page(
            request,
            "admin_groups.html",
            title="Groups",
            groups=(result or {}).get("Groups", []),
            error=error,
            notice=notice(request),
        )

    async def create(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        name = posted.form.get("group_name", "").strip()
        try:
            await self.call(request, posted.session, "CreateGroup", {"GroupName": name})
        except AwsError as err:
            result, _ = await self.attempt(request, posted.session, "ListGroups")
            return self.w.page(
                request,
                "admin_groups.html",
                err.status,
                title="Groups",
                groups=(result or {}).get("Groups", []),
                error=error_text(err),
                notice=None,
                group_name=name,
            )
        return done(f"/console/iam/groups/{q(name)}", "group-created")

    async def show(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return await self._page(request, session, notice=notice(request))

    async def _page(
        self, request: Request, session: sessions.Session, status: int = 200, **values: Any
    ) -> Response:
        name = request.path_params["name"]
        try:
            group = await self.call(request, session, "GetGroup", {"GroupName": name})
        except AwsError as err:
            return self.failed(request, err, name)
        attached = await self.attempt(
            request, session, "ListAttachedGroupPolicies", {"GroupName": name}
        )
        return self.w.page(
            request,
            "admin_group.html",
            status,
            title=f"Group {name}",
            group=group["Group"],
            members=group["Users"],
            attached=attached,
            **values,
        )

    async def _change(
        self, request: Request, operation: str, fields: dict[str, str], key: str
    ) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        name = request.path_params["name"]
        params = {"GroupName": name}
        params.update({p: posted.form.get(f, "").strip() for p, f in fields.items()})
        try:
            if operation == "AttachGroupPolicy":
                params["PolicyArn"] = await self.w.run(
                    admin_user_access.policy_arn, self.c, posted.session, params["PolicyArn"]
                )
            await self.call(request, posted.session, operation, params)
        except AwsError as err:
            return await self._page(request, posted.session, err.status, error=error_text(err))
        if operation == "DeleteGroup":
            return done("/console/iam/groups", key)
        return done(f"/console/iam/groups/{q(name)}", key)

    async def add_member(self, request: Request) -> Response:
        return await self._change(
            request, "AddUserToGroup", {"UserName": "user_name"}, "member-added"
        )

    async def remove_member(self, request: Request) -> Response:
        return await self._change(
            request, "RemoveUserFromGroup", {"UserName": "user_name"}, "member-removed"
        )

    async def attach(self, request: Request) -> Response:
        return await self._change(
            request, "AttachGroupPolicy", {"PolicyArn": "policy"}, "policy-attached"
        )

    async def detach(self, request: Request) -> Response:
        return await self._change(
            request, "DetachGroupPolicy", {"PolicyArn": "policy_arn"}, "policy-detached"
        )

    async def delete(self, request: Request) -> Response:
        return await self._change(request, "DeleteGroup", {}, "group-deleted")

    def routes(self) -> list[Route]:
        base = "/console/iam/groups"
        return [
            Route(base, self.index, methods=["GET"]),
            Route(base, self.create, methods=["POST"]),
            Route(base + "/{name}", self.show, methods=["GET"]),
            Route(base + "/{name}/members/add", self.add_member, methods=["POST"]),
            Route(base + "/{name}/members/remove", self.remove_member, methods=["POST"]),
            Route(base + "/{name}/policies/attach", self.attach, methods=["POST"]),
            Route(base + "/{name}/policies/detach", self.detach, methods=["POST"]),
            Route(base + "/{name}/delete", self.delete, methods=["POST"]),
        ]
