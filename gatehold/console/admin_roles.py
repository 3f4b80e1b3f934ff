"""Roles: the list, creating one with a trust policy, the role's page (trust policy,
attached policies, maximum session duration) and deleting it."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console import actions, admin_user_access, sessions
from gatehold.console.admin_common import (
    Pages,
    document_error,
    document_text,
    done,
    notice,
    q,
)
from gatehold.console.flow import Console
from gatehold.errors import AwsError

PAGE_SIZE = 50


def default_trust_policy(c: Console, session: sessions.Session) -> str:
    """What the create form starts with: the account's own principals may assume it
    (when their identity policies allow sts:AssumeRole too), as AWS's console offers."""
    account_id = actions.principal_of(c, session).account_id
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    return json.dumps(doc, indent=2)


class RolePages(Pages):
    async def index(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        params: dict[str, Any] = {"MaxItems": PAGE_SIZE}
        if request.query_params.get("marker"):
            params["Marker"] = request.query_params["marker"]
        result, error = await self.attempt(request, session, "ListRoles", params)
        truncated = bool(result and result.get("IsTruncated"))
        return self.w.page(
            request,
            "admin_roles.html",
            title="Roles",
            roles=(result or {}).get("Roles", []),
            next_marker=result.get("Marker") if result and truncated else None,
            error=error,
            notice=notice(request),
        )

    async def new(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        trust = await self.w.run(default_trust_policy, self.c, session)
        form = {"trust_policy": trust, "max_session_duration": "3600"}
        return self.w.page(request, "admin_role_new.html", title="Create role", form=form)

    async def create(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        f = posted.form
        name = f.get("role_name", "").strip()
        params: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": f.get("trust_policy", ""),
        }
        if f.get("description", "").strip():
            params["Description"] = f["description"].strip()
        try:
            if f.get("max_session_duration", "").strip():
                params["MaxSessionDuration"] = int(f["max_session_duration"])
            await self.call(request, posted.session, "CreateRole", params)
        except (AwsError, ValueError) as err:
            message = (
                document_error(err, params["AssumeRolePolicyDocument"])
                if isinstance(err, AwsError)
                else _not_a_number()
            )
            status = err.status if isinstance(err, AwsError) else 400
            return self.w.page(
                request,
                "admin_role_new.html",
                status,
                title="Create role",
                form=f,
                error=message,
            )
        return done(f"/console/iam/roles/{q(name)}", "role-created")

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
            role = (await self.call(request, session, "GetRole", {"RoleName": name}))["Role"]
        except AwsError as err:
            return self.failed(request, err, name)
        attached = await self.attempt(
            request, session, "ListAttachedRolePolicies", {"RoleName": name}
        )
        values.setdefault("trust_policy", document_text(role["AssumeRolePolicyDocument"]))
        return self.w.page(
            request,
            "admin_role.html",
            status,
            title=f"Role {name}",
            role=role,
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
        params: dict[str, Any] = {"RoleName": name}
        params.update({p: posted.form.get(f, "") for p, f in fields.items()})
        values: dict[str, Any] = {}
        if operation == "UpdateAssumeRolePolicy":
            values["trust_policy"] = params["PolicyDocument"]  # kept in the editor on error
        try:
            if operation == "AttachRolePolicy":
                params["PolicyArn"] = await self.w.run(
                    admin_user_access.policy_arn, self.c, posted.session, params["PolicyArn"]
                )
            if operation == "UpdateRole":
                params["MaxSessionDuration"] = int(params["MaxSessionDuration"])
            await self.call(request, posted.session, operation, params)
        except (AwsError, ValueError) as err:
            message = (
                document_error(err, params.get("PolicyDocument", ""))
                if isinstance(err, AwsError)
                else _not_a_number()
            )
            status = err.status if isinstance(err, AwsError) else 400
            return await self._page(request, posted.session, status, error=message, **values)
        if operation == "DeleteRole":
            return done("/console/iam/roles", key)
        return done(f"/console/iam/roles/{q(name)}", key)

    async def update_trust(self, request: Request) -> Response:
        return await self._change(
            request,
            "UpdateAssumeRolePolicy",
            {"PolicyDocument": "trust_policy"},
            "trust-updated",
        )

    async def update_duration(self, request: Request) -> Response:
        return await self._change(
            request,
            "UpdateRole",
            {"MaxSessionDuration": "max_session_duration"},
            "role-updated",
        )

    async def attach(self, request: Request) -> Response:
        return await self._change(
            request, "AttachRolePolicy", {"PolicyArn": "policy"}, "policy-attached"
        )

    async def detach(self, request: Request) -> Response:
        return await self._change(
            request, "DetachRolePolicy", {"PolicyArn": "policy_arn"}, "policy-detached"
        )

    async def delete(self, request: Request) -> Response:
        return await self._change(request, "DeleteRole", {}, "role-deleted")

    def routes(self) -> list[Route]:
        base = "/console/iam/roles"
        return [
            Route(base, self.index, methods=["GET"]),
            Route("/console/iam/create-role", self.new, methods=["GET"]),
            Route("/console/iam/create-role", self.create, methods=["POST"]),
            Route(base + "/{name}", self.show, methods=["GET"]),
            Route(base + "/{name}/trust-policy", self.update_trust, methods=["POST"]),
            Route(base + "/{name}/session-duration", self.update_duration, methods=["POST"]),
            Route(base + "/{name}/policies/attach", self.attach, methods=["POST"]),
            Route(base + "/{name}/policies/detach", self.detach, methods=["POST"]),
            Route(base + "/{name}/delete", self.delete, methods=["POST"]),
        ]


def _not_a_number() -> str:
    # What the API itself answers when MaxSessionDuration is not an integer (the query
    # protocol's parse error), said for the form field.
    return "Maximum session duration must be a whole number of seconds (3600 to 43200)."
