"""AWS-facing errors.

Every error a client can see is an ``AwsError``: it carries AWS's error code, the
message text AWS would send, and the HTTP status. The protocol layer turns it into
the wire shape of the service that was called (query XML, JSON, rest-json).

Messages are AWS's own texts where AWS documents or is observed to send one;
look them up rather than invent them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection


class AwsError(Exception):
    """An error answered to the client in the called protocol's error shape."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        sender_fault: bool = True,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        # Query-protocol errors carry <Type>Sender</Type> or <Type>Receiver</Type>.
        self.sender_fault = sender_fault


# --- common errors, shared by every service (AWS "Common Errors" page) ----------


def access_denied(message: str) -> AwsError:
    return AwsError("AccessDenied", message, 403)


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationError", message, 400)


def invalid_action(action: str, service_hint: str = "") -> AwsError:
    # AWS: "Could not find operation <Action> for version <Version>" for query services.
    return AwsError("InvalidAction", f"Could not find operation {action}{service_hint}", 400)


def not_implemented(service: str, operation: str) -> AwsError:
    # Not an AWS code AWS would send for a modelled operation: gatehold's own answer for
    # an operation that is in botocore's model but not built yet (HTTP 501).
    return AwsError(
        "NotImplemented",
        f"gatehold does not implement {service}:{operation} yet",
        501,
        sender_fault=False,
    )


def internal_failure() -> AwsError:
    return AwsError(
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
        500,
        sender_fault=False,
    )


def missing_authentication_token() -> AwsError:
    return AwsError(
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    )


def incomplete_signature(message: str) -> AwsError:
    return AwsError("IncompleteSignature", message, 400)


def invalid_client_token_id() -> AwsError:
    return AwsError(
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )


def signature_does_not_match(message: str | None = None) -> AwsError:
    return AwsError(
        "SignatureDoesNotMatch",
        message
        or (
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details."
        ),
        403,
    )


# --- wire-protocol errors (gatehold.protocol) -------------------------------------


def validation_exception(message: str) -> AwsError:
    # JSON and rest-json services name their validation error ValidationException;
    # query services (IAM, STS) use validation_error's ValidationError.
    return AwsError("ValidationException", message, 400)


def missing_action() -> AwsError:
    # AWS "Common Errors": MissingAction, "The request is missing an action or a
    # required parameter.", HTTP 400.
    return AwsError(
        "MissingAction", "The request is missing an action or a required parameter.", 400
    )


def unknown_operation(status: int = 400) -> AwsError:
    # JSON services answer an unknown X-Amz-Target with {"__type":"UnknownOperationException"}
    # and no message, HTTP 400 (aws/aws-sdk-net#1536, aws/aws-sdk-js#425). gatehold uses
    # 404 for a REST path that matches no operation.
    return AwsError("UnknownOperationException", "", status)


def serialization_exception(message: str) -> AwsError:
    # JSON services: a body that is not JSON, or a value of the wrong JSON type
    # ("NUMBER_VALUE can not be converted to a String").
    return AwsError("SerializationException", message, 400)


def invalid_parameter_value(message: str) -> AwsError:
    # AWS "Common Errors": InvalidParameterValue, HTTP 400.
    return AwsError("InvalidParameterValue", message, 400)


def invalid_query_parameter(message: str) -> AwsError:
    # AWS "Common Errors": InvalidQueryParameter, "The AWS query string is malformed or
    # does not adhere to AWS standards.", HTTP 400.
    return AwsError("InvalidQueryParameter", message, 400)


class ErrorWithAftermath(AwsError):
    """An error whose consequence must outlive the operation's rolled-back
    transaction — counting a wrong one-time code, for example. The API runs
    `aftermath` in a transaction of its own, then `after_commit` (sending what must
    only leave once it is stored: an alarm's notice), then answers `error`."""

    def __init__(
        self,
        error: AwsError,
        aftermath: Callable[[Connection], None],
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(error.code, error.message, error.status, sender_fault=error.sender_fault)
        self.aftermath = aftermath
        self.after_commit = after_commit


class PolicyDenial(AwsError):
    """AccessDenied decided by the policy engine (authz/enforcer.py). `details()` builds the
    document an encoded authorization message carries (authz/denials.py),
    sealed for `account_id`; it is called only when the API encodes the denial."""

    def __init__(
        self, message: str, account_id: str, details: Callable[[], dict[str, Any]]
    ) -> None:
        super().__init__("AccessDenied", message, 403)
        self.account_id = account_id
        self.details = details


def as_service_words_it(err: AwsError, protocol: str | None) -> AwsError:
    """A refusal as the called service words it. AWS JSON 1.x services answer
    AccessDeniedException, HTTP 400 (the Common Errors of their API references,
    e.g. CloudTrail's), naming no resource for an action without resource-level
    permissions ("... is not authorized to perform: cloudtrail:LookupEvents because
    ..."); the query services (IAM, STS) answer AccessDenied, 403, "... on resource: * ..."."""
    if protocol != "json" or err.code != "AccessDenied":
        return err
    return AwsError(
        "AccessDeniedException",
        err.message.replace(" on resource: * ", " ", 1),
        400,
        sender_fault=err.sender_fault,
    )


def concurrent_modification() -> AwsError:
    # IAM API Reference, common errors: ConcurrentModification, HTTP 409.
    return AwsError(
        "ConcurrentModification",
        "The request was rejected because multiple requests to change this object were "
        "submitted simultaneously. Wait a few minutes and submit your request again.",
        409,
    )
