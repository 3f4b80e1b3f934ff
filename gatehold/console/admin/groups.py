"""Groups: the list, creating and deleting one, its members and attached policies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console.admin.common import EntityPages, done, error_text, notice, q
from gatehold.errors import AwsError
from gatehold.store import console_sessions


class GroupPages(EntityPages):
    BASE = "/console/iam/groups"
    NAME = "GroupName"

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
        return done(f"{self.BASE}/{q(name)}", "group-created")

    async def entity_page(
        self, request: Request, session: console_sessions.Session, status: int = 200, **values: Any
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

    def field(self, form: dict[str, str], name: str) -> str:
        # The group's forms take typed names (a user to add): stray spaces are not part of them.
        return form.get(name, "").strip()

    def routes(self) -> list[Route]:
        base = self.BASE
        member = {"UserName": "user_name"}
        return [
            Route(base, self.index, methods=["GET"]),
            Route(base, self.create, methods=["POST"]),
            Route(base + "/{name}", self.show, methods=["GET"]),
            self.form_route("/members/add", "AddUserToGroup", member, "member-added"),
            self.form_route("/members/remove", "RemoveUserFromGroup", member, "member-removed"),
            self.form_route(
                "/policies/attach", "AttachGroupPolicy", {"PolicyArn": "policy"}, "policy-attached"
            ),
            self.form_route(
                "/policies/detach",
                "DetachGroupPolicy",
                {"PolicyArn": "policy_arn"},
                "policy-detached",
            ),
            self.form_route("/delete", "DeleteGroup", {}, "group-deleted", then=base),
        ]
