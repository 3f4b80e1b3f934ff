"""Managed policies: the list (customer managed, or AWS managed filtered by name),
creating one, and a policy's page with its versions and the JSON editor.

The editor validates nothing itself: the document goes to CreatePolicy or
CreatePolicyVersion, whose handlers check it with the policy engine exactly as for the
API, and a bad document shows AWS's MalformedPolicyDocument message (with whatever
position the engine's reason carries) with the text kept in the editor and nothing saved.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehold.console.admin.common import (
    Pages,
    checked,
    document_error,
    document_text,
    done,
    error_text,
    notice,
    q,
)
from gatehold.errors import AwsError
from gatehold.store import console_sessions

PAGE_SIZE = 50
# AWS managed policies filtered by name: at most this many shown.
FILTER_LIMIT = 100
EMPTY_POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": []\n}'


class PolicyPages(Pages):
    async def index(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        qp = request.query_params
        scope = "AWS" if qp.get("scope") == "AWS" else "Local"
        text = qp.get("filter", "").strip()
        try:
            policies, marker = await self._listing(request, session, scope, text, qp.get("marker"))
            error = None
        except AwsError as err:
            policies, marker, error = [], None, error_text(err)
        return self.w.page(
            request,
            "admin_policies.html",
            title="Policies",
            policies=policies,
            scope=scope,
            filter=text,
            next_marker=marker,
            error=error,
            notice=notice(request),
        )

    async def _listing(
        self,
        request: Request,
        session: console_sessions.Session,
        scope: str,
        text: str,
        marker: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of ListPolicies; with a name filter, the matches of every page."""
        params: dict[str, Any] = {"Scope": scope, "MaxItems": PAGE_SIZE}
        if not text:
            if marker:
                params["Marker"] = marker
            result = await self.call(request, session, "ListPolicies", params)
            return result["Policies"], result.get("Marker") if result.get("IsTruncated") else None
        found: list[dict[str, Any]] = []
        params["MaxItems"] = 1000
        while len(found) < FILTER_LIMIT:
            result = await self.call(request, session, "ListPolicies", params)
            found += [p for p in result["Policies"] if text.lower() in p["PolicyName"].lower()]
            if not result.get("IsTruncated"):
                break
            params["Marker"] = result["Marker"]
        return found[:FILTER_LIMIT], None

    async def new(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        return self.w.page(
            request,
            "admin_policy_new.html",
            title="Create policy",
            form={"policy_document": EMPTY_POLICY},
        )

    async def create(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        f = posted.form
        params: dict[str, Any] = {
            "PolicyName": f.get("policy_name", "").strip(),
            "PolicyDocument": f.get("policy_document", ""),
        }
        if f.get("description", "").strip():
            params["Description"] = f["description"].strip()
        try:
            result = await self.call(request, posted.session, "CreatePolicy", params)
        except AwsError as err:
            return self.w.page(
                request,
                "admin_policy_new.html",
                err.status,
                title="Create policy",
                form=f,
                error=document_error(err, params["PolicyDocument"]),
            )
        return done(
            f"/console/iam/policies/view?arn={q(result['Policy']['Arn'])}", "policy-created"
        )

    async def show(self, request: Request) -> Response:
        session = await self.w.signed_in(request)
        if isinstance(session, Response):
            return session
        arn = request.query_params.get("arn", "")
        return await self._page(request, session, arn, notice=notice(request))

    async def _page(
        self,
        request: Request,
        session: console_sessions.Session,
        arn: str,
        status: int = 200,
        **values: Any,
    ) -> Response:
        try:
            policy = (await self.call(request, session, "GetPolicy", {"PolicyArn": arn}))["Policy"]
        except AwsError as err:
            return self.failed(request, err, "Policy")
        versions, versions_error = await self.attempt(
            request, session, "ListPolicyVersions", {"PolicyArn": arn}
        )
        shown = request.query_params.get("version") or policy["DefaultVersionId"]
        result, error = await self.attempt(
            request, session, "GetPolicyVersion", {"PolicyArn": arn, "VersionId": shown}
        )
        if result is not None:
            values.setdefault("document", document_text(result["PolicyVersion"]["Document"]))
        else:  # the version asked for is refused or gone: say so, with an empty editor
            values.setdefault("document", "")
            values.setdefault("error", error)
        return self.w.page(
            request,
            "admin_policy.html",
            status,
            title=f"Policy {policy['PolicyName']}",
            policy=policy,
            arn=arn,
            shown_version=shown,
            versions=(versions or {}).get("Versions", []),
            versions_error=versions_error,
            customer=not arn.startswith("arn:aws:iam::aws:"),
            **values,
        )

    async def _change(
        self, request: Request, operation: str, fields: dict[str, str], key: str
    ) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        arn = posted.form.get("arn", "")
        params: dict[str, Any] = {"PolicyArn": arn}
        params.update({p: posted.form.get(f, "") for p, f in fields.items()})
        values: dict[str, Any] = {}
        if operation == "CreatePolicyVersion":
            params["SetAsDefault"] = checked(posted.form, "set_default")
            values["document"] = params["PolicyDocument"]  # kept in the editor on error
        try:
            await self.call(request, posted.session, operation, params)
        except AwsError as err:
            return await self._page(
                request,
                posted.session,
                arn,
                err.status,
                error=document_error(err, params.get("PolicyDocument", "")),
                **values,
            )
        if operation == "DeletePolicy":
            return done("/console/iam/policies", key)
        return done(f"/console/iam/policies/view?arn={q(arn)}", key)

    async def edit(self, request: Request) -> Response:
        return await self._change(
            request, "CreatePolicyVersion", {"PolicyDocument": "policy_document"}, "version-created"
        )

    async def set_default(self, request: Request) -> Response:
        return await self._change(
            request, "SetDefaultPolicyVersion", {"VersionId": "version_id"}, "default-set"
        )

    async def delete_version(self, request: Request) -> Response:
        return await self._change(
            request, "DeletePolicyVersion", {"VersionId": "version_id"}, "version-deleted"
        )

    async def delete(self, request: Request) -> Response:
        return await self._change(request, "DeletePolicy", {}, "policy-deleted")

    def routes(self) -> list[Route]:
        base = "/console/iam/policies"
        return [
            Route(base, self.index, methods=["GET"]),
            Route("/console/iam/create-policy", self.new, methods=["GET"]),
            Route("/console/iam/create-policy", self.create, methods=["POST"]),
            Route(base + "/view", self.show, methods=["GET"]),
            Route(base + "/edit", self.edit, methods=["POST"]),
            Route(base + "/set-default", self.set_default, methods=["POST"]),
            Route(base + "/delete-version", self.delete_version, methods=["POST"]),
            Route(base + "/delete", self.delete, methods=["POST"]),
        ]
