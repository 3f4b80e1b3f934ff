"""IAM groups and group membership: operations named after the API."""

from __future__ import annotations

from typing import Any

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.iam.common import authorization_changed, list_result, page_of
from gatehold.services.iam.errors import no_such_user, quota_exceeded
from gatehold.services.iam.identity_errors import dependents_remain, group_exists
from gatehold.services.iam.targets import authorize_group, authorize_user
from gatehold.services.iam.users import listed_user_shape
from gatehold.store import dependents, groups, users
from gatehold.store.groups import Group

# IAM quotas page: "Groups per AWS account: 300"; "IAM groups an IAM user can be a member of: 10".
GROUPS_PER_ACCOUNT = 300
GROUPS_PER_USER = 10


def group_shape(group: Group) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.group_name,
        "GroupId": group.group_id,
        "Arn": group.arn,
        "CreateDate": group.created_at,
    }


def create_group(call: Call, params: Params) -> Result:
    account_id = call.ctx.principal.account_id
    name, path = params["GroupName"], params.get("Path") or "/"
    arn = iam_arn(account_id, "group", path, name)
    call.authorize("iam:CreateGroup", arn)
    if groups.get_by_name(call.db, account_id, name):
        raise group_exists(name)
    if groups.count_for_account(call.db, account_id) >= GROUPS_PER_ACCOUNT:
        raise quota_exceeded("GroupsPerAccount", GROUPS_PER_ACCOUNT)
    group = Group(ids.new_unique_id(ids.PREFIX_GROUP), account_id, name, path, arn, call.ctx.now)
    groups.insert(call.db, group)
    return {"Group": group_shape(group)}


def get_group(call: Call, params: Params) -> Result:
    group = authorize_group(call, "iam:GetGroup", params["GroupName"])
    query, order = groups.members_listing(group.group_id)
    page = page_of(call, params, query, order)
    result = list_result("Users", [listed_user_shape(users.record(r)) for r in page.rows], page)
    result["Group"] = group_shape(group)
    return result


def update_group(call: Call, params: Params) -> Result:
    # As UpdateUser: permission is needed on both the old and the new group ARN.
    account_id = call.ctx.principal.account_id
    group = authorize_group(call, "iam:UpdateGroup", params["GroupName"])
    new_name = params.get("NewGroupName") or group.group_name
    new_path = params.get("NewPath") or group.path
    new_arn = iam_arn(account_id, "group", new_path, new_name)
    if new_arn != group.arn:
        call.authorize("iam:UpdateGroup", new_arn)
    if new_name.lower() != group.group_name.lower() and groups.get_by_name(
        call.db, account_id, new_name
    ):
        raise group_exists(new_name)
    groups.rename(call.db, group.group_id, new_name, new_path, new_arn)
    authorization_changed(call)
    return {}


def delete_group(call: Call, params: Params) -> Result:
    group = authorize_group(call, "iam:DeleteGroup", params["GroupName"])
    remaining = dependents.of_group(call.db, group.group_id)
    if remaining:
        raise dependents_remain(remaining)
    groups.delete(call.db, group.group_id)
    authorization_changed(call)
    return {}


def list_groups(call: Call, params: Params) -> Result:
    call.authorize("iam:ListGroups", "*")
    query, order = groups.listing(call.ctx.principal.account_id, params.get("PathPrefix"))
    page = page_of(call, params, query, order)
    return list_result("Groups", [group_shape(groups.record(r)) for r in page.rows], page)


def add_user_to_group(call: Call, params: Params) -> Result:
    group = authorize_group(call, "iam:AddUserToGroup", params["GroupName"])
    user = users.get_by_name(call.db, call.ctx.principal.account_id, params["UserName"])
    if user is None:
        raise no_such_user(params["UserName"])
    users.lock(call.db, user.user_id)
    if groups.is_member(call.db, group.group_id, user.user_id):
        return {}  # AWS answers success for a user already in the group
    if groups.count_groups_of_user(call.db, user.user_id) >= GROUPS_PER_USER:
        raise quota_exceeded("GroupsPerUser", GROUPS_PER_USER)
    groups.add_member(call.db, group.group_id, user.user_id, call.ctx.now)
    authorization_changed(call)
    return {}


def remove_user_from_group(call: Call, params: Params) -> Result:
    group = authorize_group(call, "iam:RemoveUserFromGroup", params["GroupName"])
    user = users.get_by_name(call.db, call.ctx.principal.account_id, params["UserName"])
    if user is None:
        raise no_such_user(params["UserName"])
    if groups.is_member(call.db, group.group_id, user.user_id):
        groups.remove_member(call.db, group.group_id, user.user_id)
        authorization_changed(call)
    return {}


def list_groups_for_user(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:ListGroupsForUser", params["UserName"])
    query, order = groups.groups_of_user_listing(user.user_id)
    page = page_of(call, params, query, order)
    return list_result("Groups", [group_shape(groups.record(r)) for r in page.rows], page)


HANDLERS: dict[str, Handler] = {
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "UpdateGroup": update_group,
    "DeleteGroup": delete_group,
    "ListGroups": list_groups,
    "AddUserToGroup": add_user_to_group,
    "RemoveUserFromGroup": remove_user_from_group,
    "ListGroupsForUser": list_groups_for_user,
}
