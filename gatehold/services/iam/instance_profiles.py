"""Instance profiles: containers that pass one role to an EC2 instance.

AWS (IAM quotas page): one role per instance profile, answered as
"Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"; adding a role
needs iam:PassRole on it (IAM API Reference, AddRoleToInstanceProfile).
"""

from __future__ import annotations

from typing import Any

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import tagging
from gatehold.services.iam.common import authorization_changed, list_result, page_of
from gatehold.services.iam.entity_errors import (
    instance_profile_exists,
    must_remove_from_instance_profiles,
    no_such_instance_profile,
    no_such_role,
)
from gatehold.services.iam.errors import quota_exceeded
from gatehold.services.iam.listing import page_items
from gatehold.services.iam.roles import role_for, role_shape
from gatehold.store import instance_profiles as profile_store
from gatehold.store import roles as role_store
from gatehold.store import tags as tag_store
from gatehold.store.instance_profiles import InstanceProfile

PROFILE_TAGS = "instance-profile"
Context = dict[str, tuple[str, ...]]


def profile_for(
    call: Call, action: str, name: str, extra: Context | None = None
) -> InstanceProfile:
    """Authorize `action` on the instance profile, then find it (NoSuchEntity if absent)."""
    profile = _authorized(call, action, name, extra)
    if profile is None:
        raise no_such_instance_profile(name)
    return profile


def _authorized(
    call: Call, action: str, name: str, extra: Context | None = None
) -> InstanceProfile | None:
    account = call.ctx.principal.account_id
    profile = profile_store.get_by_name(call.db, account, name)
    context: Context = {}
    if profile is not None:
        context.update(
            tagging.resource_tag_context(
                tag_store.get(call.db, PROFILE_TAGS, profile.instance_profile_id)
            )
        )
    context.update(extra or {})
    arn = profile.arn if profile else iam_arn(account, "instance-profile", "/", name)
    call.authorize(action, arn, context)
    return profile


def profile_shapes(
    call: Call, profiles: list[InstanceProfile], *, tags: bool = False
) -> list[dict[str, Any]]:
    role_ids = profile_store.role_ids_of(call.db, [p.instance_profile_id for p in profiles])
    roles = {
        r.role_id: r
        for r in role_store.get_by_ids(call.db, [i for ids_ in role_ids.values() for i in ids_])
    }
    shapes = []
    for p in profiles:
        shape: dict[str, Any] = {
            "Path": p.path,
            "InstanceProfileName": p.name,
            "InstanceProfileId": p.instance_profile_id,
            "Arn": p.arn,
            "CreateDate": p.created_at,
            "Roles": [
                role_shape(call, roles[i], listing=True) for i in role_ids[p.instance_profile_id]
            ],
        }
        listed = tagging.listed(call.db, PROFILE_TAGS, p.instance_profile_id) if tags else []
        if listed:
            shape["Tags"] = listed
        shapes.append(shape)
    return shapes


def create_instance_profile(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    name, path, tags = params["InstanceProfileName"], params.get("Path") or "/", params.get("Tags")
    arn = iam_arn(account, "instance-profile", path, name)
    call.authorize("iam:CreateInstanceProfile", arn, tagging.request_tag_context(tags))
    if profile_store.get_by_name(call.db, account, name) is not None:
        raise instance_profile_exists(name)
    pairs = tagging.tag_pairs(tags)
    tagging.check_new_tags(pairs)
    profile = InstanceProfile(
        ids.new_unique_id(ids.PREFIX_INSTANCE_PROFILE), account, name, path, arn, call.ctx.now
    )
    profile_store.insert(call.db, profile)
    if pairs:
        tagging.apply(call.db, PROFILE_TAGS, profile.instance_profile_id, pairs)
    return {"InstanceProfile": profile_shapes(call, [profile], tags=True)[0]}


def get_instance_profile(call: Call, params: Params) -> Result:
    profile = profile_for(call, "iam:GetInstanceProfile", params["InstanceProfileName"])
    return {"InstanceProfile": profile_shapes(call, [profile], tags=True)[0]}


def delete_instance_profile(call: Call, params: Params) -> Result:
    profile = profile_for(call, "iam:DeleteInstanceProfile", params["InstanceProfileName"])
    if profile_store.role_ids(call.db, profile.instance_profile_id):
        raise must_remove_from_instance_profiles()
    tag_store.remove_all(call.db, PROFILE_TAGS, profile.instance_profile_id)
    profile_store.delete(call.db, profile.instance_profile_id)
    return {}


def list_instance_profiles(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    prefix = params.get("PathPrefix")
    call.authorize(
        "iam:ListInstanceProfiles", iam_arn(account, "instance-profile", prefix or "/", "")
    )
    query, order = profile_store.list_query(account, prefix)
    page = page_of(call, params, query, order)
    profiles = [profile_store.record(r) for r in page.rows]
    return list_result("InstanceProfiles", profile_shapes(call, profiles), page)


def add_role_to_instance_profile(call: Call, params: Params) -> Result:
    name = params["InstanceProfileName"]
    profile = _authorized(call, "iam:AddRoleToInstanceProfile", name)
    # The caller passes the role to whatever runs with the profile: EC2 instances.
    role = role_for(
        call, "iam:PassRole", params["RoleName"], {"iam:PassedToService": ("ec2.amazonaws.com",)}
    )
    if profile is None:
        raise no_such_instance_profile(name)
    if profile_store.role_ids(call.db, profile.instance_profile_id):
        raise quota_exceeded("InstanceSessionsPerInstanceProfile", 1)
    profile_store.add_role(call.db, profile.instance_profile_id, role.role_id)
    authorization_changed(call)
    return {}


def remove_role_from_instance_profile(call: Call, params: Params) -> Result:
    profile = profile_for(call, "iam:RemoveRoleFromInstanceProfile", params["InstanceProfileName"])
    role_name = params["RoleName"]
    role = role_store.get_by_name(call.db, profile.account_id, role_name)
    # Unconfirmed: AWS's text for a role that is not in the profile; gatehold answers
    # as for a missing role.
    if role is None or not profile_store.remove_role(
        call.db, profile.instance_profile_id, role.role_id
    ):
        raise no_such_role(role_name)
    authorization_changed(call)
    return {}


def list_instance_profiles_for_role(call: Call, params: Params) -> Result:
    role = role_for(call, "iam:ListInstanceProfilesForRole", params["RoleName"])
    query, order = profile_store.for_role_query(role.role_id)
    page = page_of(call, params, query, order)
    profiles = [profile_store.record(r) for r in page.rows]
    return list_result("InstanceProfiles", profile_shapes(call, profiles), page)


# --- tags -----------------------------------------------------------------------


def tag_instance_profile(call: Call, params: Params) -> Result:
    tags = params["Tags"]
    profile = profile_for(
        call,
        "iam:TagInstanceProfile",
        params["InstanceProfileName"],
        tagging.request_tag_context(tags),
    )
    tagging.apply(call.db, PROFILE_TAGS, profile.instance_profile_id, tagging.tag_pairs(tags))
    authorization_changed(call)
    return {}


def untag_instance_profile(call: Call, params: Params) -> Result:
    keys = params["TagKeys"]
    profile = profile_for(
        call, "iam:UntagInstanceProfile", params["InstanceProfileName"], tagging.untag_context(keys)
    )
    tag_store.remove(call.db, PROFILE_TAGS, profile.instance_profile_id, keys)
    authorization_changed(call)
    return {}


def list_instance_profile_tags(call: Call, params: Params) -> Result:
    profile = profile_for(call, "iam:ListInstanceProfileTags", params["InstanceProfileName"])
    tags = tagging.listed(call.db, PROFILE_TAGS, profile.instance_profile_id)
    page = page_items(params, list(enumerate(tags)), lambda t: [t[0]], 1)
    return list_result("Tags", [t for _, t in page.rows], page)


HANDLERS = {
    "CreateInstanceProfile": create_instance_profile,
    "GetInstanceProfile": get_instance_profile,
    "DeleteInstanceProfile": delete_instance_profile,
    "ListInstanceProfiles": list_instance_profiles,
    "AddRoleToInstanceProfile": add_role_to_instance_profile,
    "RemoveRoleFromInstanceProfile": remove_role_from_instance_profile,
    "ListInstanceProfilesForRole": list_instance_profiles_for_role,
    "TagInstanceProfile": tag_instance_profile,
    "UntagInstanceProfile": untag_instance_profile,
    "ListInstanceProfileTags": list_instance_profile_tags,
}
