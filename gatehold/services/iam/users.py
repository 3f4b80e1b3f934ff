"""IAM users: operations named after the API.

Tags and permissions boundaries of users live in user_settings.py; their
operations are registered here too.
"""

from __future__ import annotations

from typing import Any

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.context import PrincipalKind
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import user_settings
from gatehold.services.iam.common import authorization_changed, list_result, page_of
from gatehold.services.iam.errors import no_such_user, quota_exceeded
from gatehold.services.iam.identity_errors import dependents_remain, user_exists
from gatehold.services.iam.tagging import apply as apply_tags
from gatehold.services.iam.tagging import check_new_tags, request_tag_context, tag_pairs
from gatehold.services.iam.tagging import listed as listed_tags
from gatehold.services.iam.targets import USER_TAGS, authorize_user, caller_must_name_user
from gatehold.store import accounts, dependents, login_profiles, users
from gatehold.store import tags as tag_store
from gatehold.store.records import User

# IAM quotas page: "Users per AWS account: 5,000".
USERS_PER_ACCOUNT = 5000


def user_shape(user: User, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.user_name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": user.created_at,
    }
    if user.password_last_used is not None:
        shape["PasswordLastUsed"] = user.password_last_used
    if user.permissions_boundary_arn:
        shape["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": user.permissions_boundary_arn,
        }
    if tags:
        shape["Tags"] = tags
    return shape


def listed_user_shape(user: User) -> dict[str, Any]:
    """ListUsers and GetGroup leave out PermissionsBoundary and Tags (API reference:
    "This operation does not return the following attributes ... PermissionsBoundary, Tags")."""
    shape = user_shape(user)
    shape.pop("PermissionsBoundary", None)
    return shape


def get_user(call: Call, params: Params) -> Result:
    principal = call.ctx.principal
    account_id = principal.account_id
    name = params.get("UserName")
    if name is None:
        # Without UserName, GetUser describes the caller, who still needs iam:GetUser
        # on their own ARN. The root user is described without a name or path; a
        # role or federated session has no user to describe.
        if principal.kind not in (PrincipalKind.ROOT, PrincipalKind.USER):
            raise caller_must_name_user()
        call.authorize("iam:GetUser", principal.arn)
        if principal.kind is PrincipalKind.ROOT:
            account = accounts.get(call.db, account_id)
            assert account is not None
            return {
                "User": {
                    "UserId": account_id,
                    "Arn": principal.arn,
                    "CreateDate": account.created_at,
                }
            }
        name = principal.user_name
        assert name is not None
    # Authorize before answering NoSuchEntity, so that a caller without permission
    # learns nothing about which users exist. The resource is the user's real ARN
    # (with its path) when it exists, else the ARN its name alone gives.
    user = users.get_by_name(call.db, account_id, name)
    call.authorize("iam:GetUser", user.arn if user else iam_arn(account_id, "user", "/", name))
    if user is None:
        raise no_such_user(name)
    return {"User": user_shape(user, listed_tags(call.db, USER_TAGS, user.user_id))}


def create_user(call: Call, params: Params) -> Result:
    account_id = call.ctx.principal.account_id
    name, path = params["UserName"], params.get("Path") or "/"
    boundary = params.get("PermissionsBoundary")
    context = request_tag_context(params.get("Tags"))
    if boundary:
        context["iam:PermissionsBoundary"] = (boundary,)
    call.authorize("iam:CreateUser", iam_arn(account_id, "user", path, name), context)
    if boundary:
        user_settings.check_boundary(call, boundary)
    if users.get_by_name(call.db, account_id, name):
        raise user_exists(name)
    if users.count_for_account(call.db, account_id) >= USERS_PER_ACCOUNT:
        raise quota_exceeded("UsersPerAccount", USERS_PER_ACCOUNT)
    pairs = tag_pairs(params.get("Tags"))
    check_new_tags(pairs)  # before the first write
    user = User(
        user_id=ids.new_unique_id(ids.PREFIX_USER),
        account_id=account_id,
        user_name=name,
        path=path,
        arn=iam_arn(account_id, "user", path, name),
        created_at=call.ctx.now,
        password_last_used=None,
        permissions_boundary_arn=boundary,
    )
    users.insert(call.db, user)
    if pairs:
        apply_tags(call.db, USER_TAGS, user.user_id, pairs)
    return {"User": user_shape(user, listed_tags(call.db, USER_TAGS, user.user_id))}


def update_user(call: Call, params: Params) -> Result:
    # AWS: "To change a user name, the requester must have appropriate permissions
    # on both the source object and the target object" (API_UpdateUser).
    account_id = call.ctx.principal.account_id
    user = authorize_user(call, "iam:UpdateUser", params["UserName"])
    new_name = params.get("NewUserName") or user.user_name
    new_path = params.get("NewPath") or user.path
    new_arn = iam_arn(account_id, "user", new_path, new_name)
    if new_arn != user.arn:
        call.authorize("iam:UpdateUser", new_arn)
    if new_name.lower() != user.user_name.lower() and users.get_by_name(
        call.db, account_id, new_name
    ):
        raise user_exists(new_name)
    users.rename(call.db, user.user_id, new_name, new_path, new_arn)
    # Policies name principals by ARN: the renamed user may now match others.
    authorization_changed(call)
    return {}


def delete_user(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:DeleteUser", params["UserName"])
    remaining = dependents.of_user(call.db, user.user_id)
    if remaining:
        raise dependents_remain(remaining)
    tag_store.remove_all(call.db, USER_TAGS, user.user_id)
    login_profiles.forget_history(call.db, user.user_id)
    users.delete(call.db, user.user_id)
    authorization_changed(call)
    return {}


def list_users(call: Call, params: Params) -> Result:
    call.authorize("iam:ListUsers", "*")
    query, order = users.listing(call.ctx.principal.account_id, params.get("PathPrefix"))
    page = page_of(call, params, query, order)
    return list_result("Users", [listed_user_shape(users.record(r)) for r in page.rows], page)


HANDLERS = {
    "GetUser": get_user,
    "CreateUser": create_user,
    "UpdateUser": update_user,
    "DeleteUser": delete_user,
    "ListUsers": list_users,
    **user_settings.HANDLERS,
}
