"""Managed policies: create, read, delete, list and tag (versions: policy_versions.py)."""

from __future__ import annotations

import re
from typing import Any

from gatehold import ids
from gatehold.arn import iam_arn
from gatehold.policy import limits
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import tagging
from gatehold.services.iam.common import authorization_changed, list_result
from gatehold.services.iam.entity_errors import (
    no_such_policy,
    policy_attached,
    policy_exists,
    policy_has_versions,
)
from gatehold.services.iam.errors import invalid_input
from gatehold.services.iam.listing import after_marker, page_items
from gatehold.services.iam.policy_support import (
    POLICY_TAGS,
    PolicyInfo,
    check_document,
    check_size,
    find,
    from_aws,
    from_customer,
    policy_shape,
    tag_context,
    usage_counts,
)
from gatehold.store import attachments, managed_policies
from gatehold.store import policies as policy_store
from gatehold.store import tags as tag_store
from gatehold.store.paging import BadMarker, Page, encode_marker, keyset_page
from gatehold.store.policies import CustomerPolicy

# arn:<partition>:iam::<12-digit account or "aws">:<resource>
_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):[^:]+$")


def check_arn(arn: str) -> None:
    # boto/boto#2960 quotes AWS: "ARN arn:aws:iam::...:role/...: is not valid."
    if not _ARN.match(arn):
        raise invalid_input(f"ARN {arn} is not valid.")


def lookup(
    call: Call, action: str, arn: str, extra: dict[str, tuple[str, ...]] | None = None
) -> PolicyInfo:
    """Authorize `action` on the policy `arn`, then find it (NoSuchEntity if absent)."""
    check_arn(arn)
    account = call.ctx.principal.account_id
    info = find(call.db, account, arn)
    call.authorize(action, arn, {**tag_context(call.db, info), **(extra or {})})
    if info is None:
        raise no_such_policy(arn)
    return info


def customer_policy(
    call: Call, action: str, arn: str, extra: dict[str, tuple[str, ...]] | None = None
) -> CustomerPolicy:
    """A policy this account may change: AWS managed policies are not (unconfirmed
    text: AWS's own answer for changing an AWS managed policy is not documented;
    gatehold answers NoSuchEntity, as for a policy the account does not have)."""
    info = lookup(call, action, arn, extra)
    if info.customer is None:
        raise no_such_policy(arn)
    return info.customer


def create_policy(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    name, path = params["PolicyName"], params.get("Path") or "/"
    document, tags = params["PolicyDocument"], params.get("Tags")
    arn = iam_arn(account, "policy", path, name)
    call.authorize("iam:CreatePolicy", arn, tagging.request_tag_context(tags))
    if policy_store.get_by_name(call.db, account, name) is not None:
        raise policy_exists(name)
    check_document(document)
    check_size(document, limits.MANAGED_POLICY, limits.managed_quota_message())
    pairs = tagging.tag_pairs(tags)
    tagging.check_new_tags(pairs)
    now = call.ctx.now
    policy = CustomerPolicy(
        policy_id=ids.new_unique_id(ids.PREFIX_POLICY),
        account_id=account,
        policy_name=name,
        path=path,
        arn=arn,
        default_version_id="v1",
        next_version_number=2,
        description=params.get("Description") or None,
        created_at=now,
        updated_at=now,
    )
    policy_store.insert(call.db, policy, document)
    if pairs:
        tagging.apply(call.db, POLICY_TAGS, policy.policy_id, pairs)
    shape = policy_shape(
        from_customer(policy),
        0,
        0,
        full=True,
        tags=tagging.listed(call.db, POLICY_TAGS, policy.policy_id),
    )
    return {"Policy": shape}


def get_policy(call: Call, params: Params) -> Result:
    info = lookup(call, "iam:GetPolicy", params["PolicyArn"])
    account = call.ctx.principal.account_id
    counts, boundaries = usage_counts(call.db, account, [info.arn])
    tags = tagging.listed(call.db, POLICY_TAGS, info.policy_id) if info.customer else None
    shape = policy_shape(
        info, counts.get(info.arn, 0), boundaries.get(info.arn, 0), full=True, tags=tags
    )
    return {"Policy": shape}


def delete_policy(call: Call, params: Params) -> Result:
    policy = customer_policy(call, "iam:DeletePolicy", params["PolicyArn"])
    db = call.db
    counts, boundaries = usage_counts(db, policy.account_id, [policy.arn])
    # A policy in use as a permissions boundary blocks deletion too
    # (gruntwork-io/cloud-nuke#972).
    if counts.get(policy.arn) or boundaries.get(policy.arn):
        raise policy_attached()
    if policy_store.count_versions(db, policy.policy_id) > 1:
        raise policy_has_versions()
    tag_store.remove_all(db, POLICY_TAGS, policy.policy_id)
    policy_store.delete(db, policy.policy_id)
    authorization_changed(call)
    return {}


# --- ListPolicies ---------------------------------------------------------------
# Customer policies page from the store, AWS managed ones from the packaged
# catalogue; both are ordered by (lower-cased name, ARN) and merged, and the marker
# is that key of the last policy returned, so one marker resumes both sequences.


def _usage_filters(params: Params) -> tuple[bool, bool, bool]:
    """(only_attached, as_permissions, as_boundary) from OnlyAttached and PolicyUsageFilter."""
    usage = params.get("PolicyUsageFilter")
    return (
        bool(params.get("OnlyAttached")),
        usage in (None, "PermissionsPolicy"),
        usage in (None, "PermissionsBoundary"),
    )


def _aws_candidates(call: Call, params: Params) -> list[PolicyInfo]:
    only_attached, as_permissions, as_boundary = _usage_filters(params)
    prefix = params.get("PathPrefix")
    in_use: set[str] | None = None
    if only_attached:
        account = call.ctx.principal.account_id
        in_use = set()
        if as_permissions:
            in_use |= attachments.attached_arns_in_account(
                call.db, account, managed_policies.ARN_PREFIX
            )
        if as_boundary:
            in_use |= policy_store.boundary_arns_in_account(call.db, account)
    return [
        from_aws(p)
        for p in managed_policies.ordered()
        if (not prefix or p.path.startswith(prefix)) and (in_use is None or p.arn in in_use)
    ]


def _local_page(call: Call, params: Params, max_items: int) -> Page:
    only_attached, as_permissions, as_boundary = _usage_filters(params)
    query, order = policy_store.list_query(
        call.ctx.principal.account_id,
        params.get("PathPrefix"),
        only_attached=only_attached,
        as_permissions=as_permissions,
        as_boundary=as_boundary,
    )
    try:
        return keyset_page(call.db, query, order, params.get("Marker"), max_items)
    except BadMarker as exc:
        raise invalid_input("Invalid Marker.") from exc


def _key(info: PolicyInfo) -> list[Any]:
    return [info.name.lower(), info.arn]


def list_policies(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    call.authorize(
        "iam:ListPolicies", iam_arn(account, "policy", params.get("PathPrefix") or "/", "")
    )
    scope = params.get("Scope") or "All"
    max_items = params.get("MaxItems") or 100
    after_marker(params, 2)  # reject a foreign marker before any work
    merged: list[PolicyInfo] = []
    more = False
    if scope in ("All", "Local"):
        page = _local_page(call, params, max_items)
        merged += [from_customer(policy_store.record(r)) for r in page.rows]
        more = page.is_truncated
    if scope in ("All", "AWS"):
        aws_page = page_items(params, _aws_candidates(call, params), _key, 2)
        merged += aws_page.rows
        more = more or aws_page.is_truncated
    merged.sort(key=_key)
    truncated = more or len(merged) > max_items
    merged = merged[:max_items]
    counts, boundaries = usage_counts(call.db, account, [p.arn for p in merged])
    items = [policy_shape(p, counts.get(p.arn, 0), boundaries.get(p.arn, 0)) for p in merged]
    marker = encode_marker(_key(merged[-1])) if truncated and merged else None
    return list_result("Policies", items, Page(merged, truncated, marker))


# --- tags -----------------------------------------------------------------------


def tag_policy(call: Call, params: Params) -> Result:
    tags = params["Tags"]
    policy = customer_policy(
        call, "iam:TagPolicy", params["PolicyArn"], tagging.request_tag_context(tags)
    )
    tagging.apply(call.db, POLICY_TAGS, policy.policy_id, tagging.tag_pairs(tags))
    authorization_changed(call)
    return {}


def untag_policy(call: Call, params: Params) -> Result:
    keys = params["TagKeys"]
    policy = customer_policy(
        call, "iam:UntagPolicy", params["PolicyArn"], tagging.untag_context(keys)
    )
    tag_store.remove(call.db, POLICY_TAGS, policy.policy_id, keys)
    authorization_changed(call)
    return {}


def list_policy_tags(call: Call, params: Params) -> Result:
    policy = customer_policy(call, "iam:ListPolicyTags", params["PolicyArn"])
    tags = tagging.listed(call.db, POLICY_TAGS, policy.policy_id)
    page = page_items(params, list(enumerate(tags)), lambda t: [t[0]], 1)
    return list_result("Tags", [t for _, t in page.rows], page)


HANDLERS = {
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "DeletePolicy": delete_policy,
    "ListPolicies": list_policies,
    "TagPolicy": tag_policy,
    "UntagPolicy": untag_policy,
    "ListPolicyTags": list_policy_tags,
}
