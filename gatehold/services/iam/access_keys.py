"""Access keys: operations named after the API.

Without UserName every operation acts on the caller's own keys, which for the
root user are the keys with no user. Secrets are sealed with the operator's key
(as `gatehold init` seals the admin's) and returned only once, by CreateAccessKey.
An Inactive key is refused by SigV4 from the next request on: credential
resolution reads the key's status from the store on every request.
"""

from __future__ import annotations

from typing import Any

from gatehold import ids
from gatehold.arn import iam_arn, root_arn
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.iam.common import authorization_changed, list_result, page_of
from gatehold.services.iam.errors import invalid_input, quota_exceeded
from gatehold.services.iam.identity_errors import no_such_access_key
from gatehold.services.iam.targets import Target, authorize_user_or_caller, user_context
from gatehold.store import access_keys, users
from gatehold.store.records import AccessKey

# IAM quotas page: "Access keys assigned to an IAM user: 2" (the root user too).
KEYS_PER_USER = 2
# GetAccessKeyLastUsed for a key never used: AWS answers "N/A" for both.
NEVER_USED = "N/A"


def _metadata(key: AccessKey, user_name: str | None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": key.created_at,
    }
    if user_name is not None:
        shape["UserName"] = user_name
    return shape


def _owned_key(call: Call, target: Target, access_key_id: str) -> AccessKey:
    """The key, if it belongs to the target user (or root); NoSuchEntity otherwise."""
    key = access_keys.get(call.db, access_key_id)
    account_id = call.ctx.principal.account_id
    if key is None or key.account_id != account_id or key.user_id != target.user_id:
        raise no_such_access_key(access_key_id)
    return key


def create_access_key(call: Call, params: Params) -> Result:
    target = authorize_user_or_caller(call, "iam:CreateAccessKey", params.get("UserName"))
    account_id = call.ctx.principal.account_id
    if target.user_id:
        users.lock(call.db, target.user_id)
    if access_keys.count_for_owner(call.db, account_id, target.user_id) >= KEYS_PER_USER:
        raise quota_exceeded("AccessKeysPerUser", KEYS_PER_USER)
    assert call.box is not None, "the operator's key is needed to seal secrets"
    key_id = ids.new_access_key_id(account_id)
    secret = ids.new_secret_access_key()
    key = AccessKey(
        access_key_id=key_id,
        account_id=account_id,
        user_id=target.user_id,
        secret_sealed=call.box.seal(secret.encode(), access_keys.secret_aad(key_id)),
        status="Active",
        created_at=call.ctx.now,
        last_used_at=None,
        last_used_service=None,
        last_used_region=None,
    )
    access_keys.insert(call.db, key)
    authorization_changed(call)
    shape = _metadata(key, target.user_name)
    shape["SecretAccessKey"] = secret
    return {"AccessKey": shape}


def update_access_key(call: Call, params: Params) -> Result:
    target = authorize_user_or_caller(call, "iam:UpdateAccessKey", params.get("UserName"))
    key = _owned_key(call, target, params["AccessKeyId"])
    status = params["Status"]
    if status not in ("Active", "Inactive"):
        # "Expired" is in the model's enum but not something a caller may set.
        # The text is gatehold's own.
        raise invalid_input(
            f"Invalid value for parameter Status: {status}. Valid values: Active, Inactive."
        )
    access_keys.set_status(call.db, key.access_key_id, status)
    authorization_changed(call)
    return {}


def delete_access_key(call: Call, params: Params) -> Result:
    target = authorize_user_or_caller(call, "iam:DeleteAccessKey", params.get("UserName"))
    key = _owned_key(call, target, params["AccessKeyId"])
    access_keys.delete(call.db, key.access_key_id, call.ctx.now)
    authorization_changed(call)
    return {}


def list_access_keys(call: Call, params: Params) -> Result:
    target = authorize_user_or_caller(call, "iam:ListAccessKeys", params.get("UserName"))
    query, order = access_keys.listing(call.ctx.principal.account_id, target.user_id)
    page = page_of(call, params, query, order)
    items = [_metadata(access_keys.record(r), target.user_name) for r in page.rows]
    return list_result("AccessKeyMetadata", items, page)


def get_access_key_last_used(call: Call, params: Params) -> Result:
    """Authorized on the key's owner; a key of no user here is authorized on the
    account's users in general, so a caller without permission cannot tell
    unknown keys from keys of users they may not read."""
    account_id = call.ctx.principal.account_id
    key_id = params["AccessKeyId"]
    key = access_keys.get(call.db, key_id)
    if key is not None and key.account_id != account_id:
        key = None
    owner = users.get_by_id(call.db, key.user_id) if key and key.user_id else None
    if owner is not None:
        resource = owner.arn
    elif key is not None:
        resource = (
            root_arn(account_id) if key.user_id is None else iam_arn(account_id, "user", "/", "*")
        )
    else:
        resource = iam_arn(account_id, "user", "/", "*")
    call.authorize("iam:GetAccessKeyLastUsed", resource, user_context(call, owner))
    if key is None:
        raise no_such_access_key(key_id)
    last_used: dict[str, Any] = {
        "ServiceName": key.last_used_service or NEVER_USED,
        "Region": key.last_used_region or NEVER_USED,
    }
    if key.last_used_at is not None:
        last_used["LastUsedDate"] = key.last_used_at
    result: Result = {"AccessKeyLastUsed": last_used}
    if owner is not None:
        result["UserName"] = owner.user_name
    return result


HANDLERS: dict[str, Handler] = {
    "CreateAccessKey": create_access_key,
    "UpdateAccessKey": update_access_key,
    "DeleteAccessKey": delete_access_key,
    "ListAccessKeys": list_access_keys,
    "GetAccessKeyLastUsed": get_access_key_last_used,
}
