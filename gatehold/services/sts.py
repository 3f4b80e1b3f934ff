"""STS operations."""

from __future__ import annotations

from gatehold.services.call import Call, Params, Result


def get_caller_identity(call: Call, params: Params) -> Result:
    # AWS: no permission is needed, and even an explicit deny of
    # sts:GetCallerIdentity does not stop it, so there is no authorize() here.
    p = call.ctx.principal
    return {"UserId": p.user_id, "Account": p.account_id, "Arn": p.arn}


HANDLERS = {
    "GetCallerIdentity": get_caller_identity,
}
