"""Tag/Untag/List*Tags for the resources identified by ARN or name in this area
(OIDC and SAML providers, server certificates): one implementation, three users.

Each operation authorizes first, with the resource's current tags as
aws:ResourceTag/* and the request's tags as aws:RequestTag/* and aws:TagKeys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gatehold.errors import AwsError
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import tagging
from gatehold.services.iam.common import authorization_changed
from gatehold.services.iam.listing import listed, page_list
from gatehold.store import tags


@dataclass(frozen=True)
class Tagged:
    """A resource as the tag operations see it: its ARN and where its tags live."""

    arn: str
    tag_type: str
    tag_id: str


# Looks a resource up by the request's identifier: (ARN to authorize on, resource or None).
Finder = Callable[[Call, Params], tuple[str, Tagged | None]]


NotFound = Callable[[Params], AwsError]


def authorize_on(
    call: Call,
    params: Params,
    find: Finder,
    not_found: NotFound,
    action: str,
    extra: dict[str, tuple[str, ...]] | None = None,
) -> Tagged:
    """Authorize `action` on the resource the request names, then return it."""
    arn, resource = find(call, params)
    conditions = dict(extra or {})
    if resource is not None:
        conditions.update(
            tagging.resource_tag_context(tags.get(call.db, resource.tag_type, resource.tag_id))
        )
    call.authorize(action, arn, conditions)
    if resource is None:
        raise not_found(params)
    return resource


def tag(call: Call, params: Params, find: Finder, not_found: NotFound, action: str) -> Result:
    extra = tagging.request_tag_context(params["Tags"])
    resource = authorize_on(call, params, find, not_found, action, extra)
    tagging.apply(call.db, resource.tag_type, resource.tag_id, tagging.tag_pairs(params["Tags"]))
    authorization_changed(call)
    return {}


def untag(call: Call, params: Params, find: Finder, not_found: NotFound, action: str) -> Result:
    keys = list(params["TagKeys"])
    resource = authorize_on(call, params, find, not_found, action, tagging.untag_context(keys))
    tags.remove(call.db, resource.tag_type, resource.tag_id, keys)
    authorization_changed(call)
    return {}


def list_tags(call: Call, params: Params, find: Finder, not_found: NotFound, action: str) -> Result:
    resource = authorize_on(call, params, find, not_found, action)
    # AWS: "The returned list of tags is sorted by tag key."
    pairs = sorted(tags.get(call.db, resource.tag_type, resource.tag_id), key=lambda p: p[0])
    items, truncated, marker = page_list(params, pairs, lambda p: p[0])
    return listed("Tags", ([{"Key": k, "Value": v} for k, v in items], truncated, marker))
