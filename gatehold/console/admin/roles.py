"""Roles: the list, creating one with a trust policy, the role's page (trust policy,
attached policies, maximum session duration) and deleting it."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console import actions
from gatehold.console.admin.common import EntityPages, document_error, document_text, done, q
from gatehold.console.core import Console
from gatehold.errors import AwsError
from gatehold.store import console_sessions


def default_trust_policy(c: Console, session: console_sessions.Session) -> str:
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


class RolePages(EntityPages):
    BASE = "/console/iam/roles"
    NAME = "RoleName"

    async def index(self, request: Request) -> Response:
        return await self.list_page(request, "ListRoles", "Roles", "admin_roles.html", "Roles")

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
            message, status = _refusal(err, params["AssumeRolePolicyDocument"])
            return self.w.page(
                request,
                "admin_role_new.html",
                status,
                title="Create role",
                form=f,
                error=message,
            )
        return done(f"{self.BASE}/{q(name)}", "role-created")

    async def entity_page(
        self, request: Request, session: console_sessions.Session, status: int = 200, **values: Any
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

    def prepare(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "UpdateRole":
            params["MaxSessionDuration"] = int(params["MaxSessionDuration"])

    def refusal(self, err: AwsError | ValueError, params: dict[str, Any]) -> tuple[str, int]:
        return _refusal(err, params.get("PolicyDocument", ""))

    def kept(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "UpdateAssumeRolePolicy":
            return {"trust_policy": params["PolicyDocument"]}  # kept in the editor
        return {}

    def routes(self) -> list[Route]:
        base = self.BASE
        return [
            Route(base, self.index, methods=["GET"]),
            Route("/console/iam/create-role", self.new, methods=["GET"]),
            Route("/console/iam/create-role", self.create, methods=["POST"]),
            Route(base + "/{name}", self.show, methods=["GET"]),
            self.form_route(
                "/trust-policy",
                "UpdateAssumeRolePolicy",
                {"PolicyDocument": "trust_policy"},
                "trust-updated",
            ),
            self.form_route(
                "/session-duration",
                "UpdateRole",
                {"MaxSessionDuration": "max_session_duration"},
                "role-updated",
            ),
            self.form_route(
                "/policies/attach", "AttachRolePolicy", {"PolicyArn": "policy"}, "policy-attached"
            ),
            self.form_route(
                "/policies/detach",
                "DetachRolePolicy",
                {"PolicyArn": "policy_arn"},
                "policy-detached",
            ),
            self.form_route("/delete", "DeleteRole", {}, "role-deleted", then=base),
        ]


def _refusal(err: AwsError | ValueError, document: str) -> tuple[str, int]:
    """AWS's refusal (of the policy `document`, if that is what it refuses), or a
    maximum session duration that is not a number: what the API itself refuses (the
    query protocol's parse error), said for the form field."""
    if isinstance(err, AwsError):
        return document_error(err, document), err.status
    return "Maximum session duration must be a whole number of seconds (3600 to 43200).", 400
