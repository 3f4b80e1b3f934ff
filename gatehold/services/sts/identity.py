"""STS operations."""

from __future__ import annotations

from gatehold import ids
from gatehold.errors import AwsError
from gatehold.services.call import Call, Params, Result


def get_caller_identity(call: Call, params: Params) -> Result:
    # AWS: no permission is needed, and even an explicit deny of
    # sts:GetCallerIdentity does not stop it, so there is no authorize() here.
    p = call.ctx.principal
    return {"UserId": p.user_id, "Account": p.account_id, "Arn": p.arn}


def get_access_key_info(call: Call, params: Params) -> Result:
    """The account a key ID belongs to, read from the ID itself (ids.py), as AWS does:
    no lookup, so it answers for any account's keys, and for keys since deleted."""
    call.authorize("sts:GetAccessKeyInfo", "*")
    account = ids.account_from_access_key_id(params["AccessKeyId"])
    if account is None:
        # Unconfirmed: AWS's answer for a key ID that does not decode.
        raise AwsError("InvalidParameterValue", "The specified access key ID is not valid.", 400)
    return {"Account": account}


HANDLERS = {
    "GetCallerIdentity": get_caller_identity,
    "GetAccessKeyInfo": get_access_key_info,
}
