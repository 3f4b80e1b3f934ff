"""DecodeAuthorizationMessage: the details behind an encoded authorization failure.

The blobs come from the API's denials when the operator turns on
Settings.encode_authorization_messages (authz/denials.py says why
and how they are sealed).
"""

from __future__ import annotations

from gatehold.authz import denials
from gatehold.services.call import Call, Handler, Params, Result


def decode_authorization_message(call: Call, params: Params) -> Result:
    # AWS: the caller needs sts:DecodeAuthorizationMessage (resource "*"), since the
    # details can be privileged. Authorized first: a caller without it learns nothing,
    # not even whether the blob is valid.
    call.authorize("sts:DecodeAuthorizationMessage", "*")
    assert call.box is not None
    try:
        text = denials.decode(call.box, call.ctx.principal.account_id, params["EncodedMessage"])
    except denials.InvalidMessage:
        # Forged, tampered with, cut, or sealed for another account: all look alike.
        raise denials.invalid_authorization_message() from None
    return {"DecodedMessage": text}


HANDLERS: dict[str, Handler] = {
    "DecodeAuthorizationMessage": decode_authorization_message,
}
