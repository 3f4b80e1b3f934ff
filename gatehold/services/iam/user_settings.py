"""Tags and permissions boundaries of IAM users.

A permissions boundary must name a managed policy that exists: an AWS managed
policy from the packaged catalogue, or a customer managed policy of this account.
Every change here can alter authorization decisions (tags feed
aws:ResourceTag conditions; a boundary caps the user's permissions).
"""

from __future__ import annotations

from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.common import authorization_changed, list_result, page_of
from gatehold.services.iam.identity_errors import no_such_policy
from gatehold.services.iam.tagging import apply, request_tag_context, tag_pairs, untag_context
from gatehold.services.iam.targets import USER_TAGS, authorize_user
from gatehold.store import dependents, managed_policies, tag_listing, tags, users


def check_boundary(call: Call, arn: str) -> None:
    """NoSuchEntity unless `arn` names a managed policy the account can use."""
    if managed_policies.get(arn) is not None:
        return
    if dependents.customer_policy_exists(call.db, call.ctx.principal.account_id, arn):
        return
    raise no_such_policy(arn)


def tag_user(call: Call, params: Params) -> Result:
    context = request_tag_context(params["Tags"])
    user = authorize_user(call, "iam:TagUser", params["UserName"], context)
    apply(call.db, USER_TAGS, user.user_id, tag_pairs(params["Tags"]))
    authorization_changed(call)
    return {}


def untag_user(call: Call, params: Params) -> Result:
    keys = params["TagKeys"]
    user = authorize_user(call, "iam:UntagUser", params["UserName"], untag_context(keys))
    tags.remove(call.db, USER_TAGS, user.user_id, keys)
    authorization_changed(call)
    return {}


def list_user_tags(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:ListUserTags", params["UserName"])
    query, order = tag_listing.listing(USER_TAGS, user.user_id)
    page = page_of(call, params, query, order)
    return list_result("Tags", [tag_listing.tag_shape(r) for r in page.rows], page)


def put_user_permissions_boundary(call: Call, params: Params) -> Result:
    arn = params["PermissionsBoundary"]
    user = authorize_user(
        call,
        "iam:PutUserPermissionsBoundary",
        params["UserName"],
        {"iam:PermissionsBoundary": (arn,)},
    )
    check_boundary(call, arn)
    users.set_permissions_boundary(call.db, user.user_id, arn)
    authorization_changed(call)
    return {}


def delete_user_permissions_boundary(call: Call, params: Params) -> Result:
    account_id = call.ctx.principal.account_id
    existing = users.get_by_name(call.db, account_id, params["UserName"])
    current = existing.permissions_boundary_arn if existing else None
    context = {"iam:PermissionsBoundary": (current,)} if current else {}
    user = authorize_user(call, "iam:DeleteUserPermissionsBoundary", params["UserName"], context)
    users.set_permissions_boundary(call.db, user.user_id, None)
    authorization_changed(call)
    return {}


HANDLERS = {
    "TagUser": tag_user,
    "UntagUser": untag_user,
    "ListUserTags": list_user_tags,
    "PutUserPermissionsBoundary": put_user_permissions_boundary,
    "DeleteUserPermissionsBoundary": delete_user_permissions_boundary,
}
