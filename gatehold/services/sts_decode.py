"""DecodeAuthorizationMessage: the details behind an encoded authorization failure.

The blobs come from the API's denials when the operator turns on
Settings.encode_authorization_messages (auth/authorization_messages.py says why
and how they are sealed).
"""

from __future__ import annotations

from gatehold.auth import authorization_messages
from gatehold.services.call import Call, Handler, Params, Result


def decode_authorization_message(call: Call, params: Params) -> Result:
    # AWS: the caller needs sts:DecodeAuthorizationMessage (resource "*"), since the
    # details can be privileged. Authorized first: a caller without it learns nothing,
    # not even whether the blob is valid.
    call.authorize("sts:DecodeAuthorizationMessage", "*")
    assert call.box is not None
    try:
        text = authorization_messages.decode(
            call.box, call.ctx.principal.account_id, params["EncodedMessage"]
        )
    except authorization_messages.InvalidMessage:
        # Forged, tampered with, cut, or sealed for another account: all look alike.
        raise authorization_messages.invalid_authorization_message() from None
    return {"DecodedMessage": text}


HANDLERS: dict[str, Handler] = {
    "DecodeAuthorizationMessage": decode_authorization_message,
}
