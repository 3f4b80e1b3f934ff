"""Inline policies of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy.

AWS (IAM quotas page): the inline policies of one entity together hold at most
2,048 (user), 5,120 (group) or 10,240 (role) characters, white space not counted;
putting a policy under an existing name replaces its document.
"""

from __future__ import annotations

from gatehold.policy import limits
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.common import authorization_changed, list_result
from gatehold.services.iam.entity_errors import no_such_inline_policy
from gatehold.services.iam.errors import limit_exceeded
from gatehold.services.iam.listing import page_items
from gatehold.services.iam.policy_support import check_document, encode_document
from gatehold.services.iam.targets import GROUP, NAME_MEMBER, ROLE, USER, lock, resolve
from gatehold.store import inline_policies

QUOTA = {USER: limits.USER_INLINE, GROUP: limits.GROUP_INLINE, ROLE: limits.ROLE_INLINE}


def put(call: Call, params: Params, kind: str, action: str) -> Result:
    target = resolve(
        call, kind, params[NAME_MEMBER[kind]], action, boundary=kind != GROUP, modifiable=True
    )
    name, document = params["PolicyName"], params["PolicyDocument"]
    check_document(document)
    lock(call, target)
    others = inline_policies.all_of(call.db, kind, target.id)
    others.pop(name, None)
    total = limits.policy_size(document) + sum(limits.policy_size(d) for d in others.values())
    if total > QUOTA[kind]:
        raise limit_exceeded(limits.inline_quota_message(kind, target.name, QUOTA[kind]))
    inline_policies.put(call.db, kind, target.id, name, document)
    authorization_changed(call)
    return {}


def get(call: Call, params: Params, kind: str, action: str) -> Result:
    target = resolve(call, kind, params[NAME_MEMBER[kind]], action)
    name = params["PolicyName"]
    document = inline_policies.get(call.db, kind, target.id, name)
    if document is None:
        raise no_such_inline_policy(kind, name)
    return {
        NAME_MEMBER[kind]: target.name,
        "PolicyName": name,
        "PolicyDocument": encode_document(document),
    }


def delete(call: Call, params: Params, kind: str, action: str) -> Result:
    target = resolve(
        call, kind, params[NAME_MEMBER[kind]], action, boundary=kind != GROUP, modifiable=True
    )
    name = params["PolicyName"]
    if not inline_policies.delete(call.db, kind, target.id, name):
        raise no_such_inline_policy(kind, name)
    authorization_changed(call)
    return {}


def list_names(call: Call, params: Params, kind: str, action: str) -> Result:
    target = resolve(call, kind, params[NAME_MEMBER[kind]], action)
    names = sorted(inline_policies.all_of(call.db, kind, target.id), key=lambda n: (n.lower(), n))
    page = page_items(params, names, lambda n: [n.lower(), n], 2)
    return list_result("PolicyNames", page.rows, page)


def put_user_policy(call: Call, params: Params) -> Result:
    return put(call, params, USER, "iam:PutUserPolicy")


def put_group_policy(call: Call, params: Params) -> Result:
    return put(call, params, GROUP, "iam:PutGroupPolicy")


def put_role_policy(call: Call, params: Params) -> Result:
    return put(call, params, ROLE, "iam:PutRolePolicy")


def get_user_policy(call: Call, params: Params) -> Result:
    return get(call, params, USER, "iam:GetUserPolicy")


def get_group_policy(call: Call, params: Params) -> Result:
    return get(call, params, GROUP, "iam:GetGroupPolicy")


def get_role_policy(call: Call, params: Params) -> Result:
    return get(call, params, ROLE, "iam:GetRolePolicy")


def delete_user_policy(call: Call, params: Params) -> Result:
    return delete(call, params, USER, "iam:DeleteUserPolicy")


def delete_group_policy(call: Call, params: Params) -> Result:
    return delete(call, params, GROUP, "iam:DeleteGroupPolicy")


def delete_role_policy(call: Call, params: Params) -> Result:
    return delete(call, params, ROLE, "iam:DeleteRolePolicy")


def list_user_policies(call: Call, params: Params) -> Result:
    return list_names(call, params, USER, "iam:ListUserPolicies")


def list_group_policies(call: Call, params: Params) -> Result:
    return list_names(call, params, GROUP, "iam:ListGroupPolicies")


def list_role_policies(call: Call, params: Params) -> Result:
    return list_names(call, params, ROLE, "iam:ListRolePolicies")


HANDLERS = {
    "PutUserPolicy": put_user_policy,
    "PutGroupPolicy": put_group_policy,
    "PutRolePolicy": put_role_policy,
    "GetUserPolicy": get_user_policy,
    "GetGroupPolicy": get_group_policy,
    "GetRolePolicy": get_role_policy,
    "DeleteUserPolicy": delete_user_policy,
    "DeleteGroupPolicy": delete_group_policy,
    "DeleteRolePolicy": delete_role_policy,
    "ListUserPolicies": list_user_policies,
    "ListGroupPolicies": list_group_policies,
    "ListRolePolicies": list_role_policies,
}
