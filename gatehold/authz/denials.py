"""Encoded authorization failure messages (sts:DecodeAuthorizationMessage).

AWS (API_DecodeAuthorizationMessage): some denials carry "Encoded authorization
failure message: <blob>" — EC2's, for example — because the details of a
decision "can contain privileged information that the user who requested the
operation should not see". Only a caller allowed sts:DecodeAuthorizationMessage
reads them: whether the deny was explicit, the matched statements, the
principal, the action, the resource and the request's condition keys.

Where gatehold attaches it: IAM and STS never do in AWS, and their AccessDenied
texts are what clients and tests match on. So the API appends it, exactly as
EC2 does (" Encoded authorization failure message: <blob>" after the unchanged
AWS text), to every denial decided by the policy engine — only when the
operator turns on Settings.encode_authorization_messages
(GATEHOLD_ENCODE_AUTHORIZATION_MESSAGES=1). Off, every text stays AWS's own.

The blob: the decision document, compressed and sealed with AES-256-GCM under
the operator's key (SecretBox) with associated data naming its purpose and the
caller's account, b"authorization-message:<account>". So it is opaque (the
caller learns nothing from it), tamper-proof (a changed byte fails the tag:
InvalidAuthorizationMessageException), cannot be passed off as any other sealed
value (session tokens use b"sts-session"), and opens only for a caller of the
same account — a blob taken to another account is as invalid as a forged one.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from gatehold.context import Principal, PrincipalKind
from gatehold.errors import AwsError, PolicyDenial
from gatehold.policy import PolicyRef, PolicySet
from gatehold.policy.model import Decision, MatchedStatement, Request, Statement
from gatehold.store.secretbox import SecretBox, SecretBoxError

_AAD_PREFIX = b"authorization-message:"
# EncodedMessage's length limit in STS's model: a blob longer than this could not
# be passed back to DecodeAuthorizationMessage.
MAX_ENCODED_LENGTH = 10240
# EC2's wording, which tools (Terraform, Packer ...) look for to decode it.
ENCODED_MARKER = "Encoded authorization failure message: "

Document = dict[str, Any]


class InvalidMessage(Exception):
    """The blob is not one of ours for this account: forged, tampered with, cut."""


def invalid_authorization_message() -> AwsError:
    # STS model: InvalidAuthorizationMessageException, HTTP 400, "if the token contains
    # invalid characters, such as line breaks, or if the message has expired".
    # The text is unconfirmed (AWS publishes none).
    return AwsError("InvalidAuthorizationMessageException", "The message is invalid.", 400)


# --- the decoded document (AWS's shape: lists are {"items": [...]}) ------------------


def _items(values: Iterable[Any]) -> dict[str, list[Any]]:
    return {"items": list(values)}


def _value_items(values: Iterable[str]) -> dict[str, list[Any]]:
    return _items({"value": v} for v in values)


def _text(value: Any) -> str:
    # Policies may write condition values as JSON booleans or numbers (true, 3600).
    return value if isinstance(value, str) else json.dumps(value)


def _as_list(element: Any) -> list[str]:
    """A policy element that is one value or a list of them, as strings."""
    if element is None:
        return []
    if isinstance(element, list | tuple):
        return [_text(v) for v in element]
    return [_text(element)]


def _conditions(pairs: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[Any]]:
    return _items({"key": key, "values": _value_items(values)} for key, values in pairs)


def _statement_conditions(raw: Mapping[str, Any]) -> dict[str, list[Any]]:
    """A statement's Condition block as key/values items (the operator is dropped:
    AWS's decoded statements name condition keys and values only)."""
    block = raw.get("Condition") or {}
    return _conditions(
        (key, _as_list(values))
        for by_key in block.values()
        if isinstance(by_key, Mapping)
        for key, values in by_key.items()
    )


def _principal_values(m: MatchedStatement, raw: Mapping[str, Any], entity_id: str) -> list[str]:
    # An identity-type policy applies to the entity it is attached to (AWS names that
    # entity's unique ID); a resource policy names its principals itself.
    if m.policy_type != "resource-based":
        return [entity_id]
    principal = raw.get("Principal") or raw.get("NotPrincipal")
    if isinstance(principal, Mapping):
        return [v for values in principal.values() for v in _as_list(values)]
    return _as_list(principal)


def _statement_item(m: MatchedStatement, stmt: Statement | None, entity_id: str) -> Document:
    raw = stmt.raw if stmt is not None else {}
    return {
        "statementId": m.sid or "",
        "effect": m.effect.upper(),
        "principals": _value_items(_principal_values(m, raw, entity_id)),
        "principalGroups": _items([]),
        "actions": _value_items(_as_list(raw.get("Action") or raw.get("NotAction"))),
        "resources": _value_items(_as_list(raw.get("Resource") or raw.get("NotResource"))),
        "conditions": _statement_conditions(raw),
    }


def _find_statement(m: MatchedStatement, refs: Iterable[PolicyRef]) -> Statement | None:
    for ref in refs:
        statements = ref.policy.statements
        if ref.source_id == m.source_id and m.statement_index < len(statements):
            return statements[m.statement_index]
    return None


def _entity_id(p: Principal) -> str:
    """The unique ID of the IAM entity whose policies applied: the role for a role
    session (AROA...), else the user (AIDA...), or the account for root."""
    if p.session is not None and p.session.role_id:
        return p.session.role_id
    if p.session is not None and p.session.user_id:
        return p.session.user_id
    return p.user_id


def document(
    decision: Decision,
    request: Request,
    principal: Principal,
    policies: Iterable[PolicyRef],
) -> Document:
    """What DecodeAuthorizationMessage answers for a denied request: AWS's document,
    with the statements that matched (for an explicit deny, the Deny statements)."""
    refs = tuple(policies)
    entity = _entity_id(principal)
    matched = [
        m for m in decision.matched if decision.outcome != "explicitDeny" or m.effect == "Deny"
    ]
    who: Document = {"id": principal.user_id}
    if principal.kind is PrincipalKind.USER and principal.user_name:
        who["name"] = principal.user_name
    who["arn"] = principal.arn
    return {
        "allowed": False,
        "explicitDeny": decision.outcome == "explicitDeny",
        "matchedStatements": _items(
            _statement_item(m, _find_statement(m, refs), entity) for m in matched
        ),
        "failures": _items([]),
        "context": {
            "principal": who,
            "action": decision.action,
            "resource": decision.resource,
            "conditions": _conditions(sorted(request.context.items())),
        },
    }


def policy_refs(*sets: PolicySet | PolicyRef | None) -> tuple[PolicyRef, ...]:
    """Every policy that took part in an evaluation, to find matched statements in."""
    refs: list[PolicyRef] = []
    for item in sets:
        if isinstance(item, PolicyRef):
            refs.append(item)
        elif item is not None:
            refs.extend(item.refs)
    return tuple(refs)


def denial(
    message: str,
    decision: Decision,
    request: Request,
    principal: Principal,
    *sets: PolicySet | PolicyRef | None,
) -> PolicyDenial:
    """AccessDenied with `message`, able to describe itself if the API asks (the
    document is built only then: most denials are never encoded)."""
    return PolicyDenial(
        message,
        principal.account_id,
        lambda: document(decision, request, principal, policy_refs(*sets)),
    )


# --- sealing ---------------------------------------------------------------------------


def _aad(account_id: str) -> bytes:
    return _AAD_PREFIX + account_id.encode("ascii")


def _seal(box: SecretBox, account_id: str, doc: Document) -> str:
    raw = zlib.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), 9)
    # URL-safe base64 without padding: the characters AWS's blobs use, and nothing a
    # shell or a log line would mangle.
    return base64.urlsafe_b64encode(box.seal(raw, _aad(account_id))).decode("ascii").rstrip("=")


def encode(box: SecretBox, account_id: str, doc: Document) -> str:
    """The sealed blob; the request's condition keys are left out if the whole would
    not fit EncodedMessage's limit (the decision itself always fits)."""
    blob = _seal(box, account_id, doc)
    if len(blob) > MAX_ENCODED_LENGTH:
        trimmed = {**doc, "context": {**doc["context"], "conditions": _items([])}}
        blob = _seal(box, account_id, trimmed)
    if len(blob) > MAX_ENCODED_LENGTH:
        bare = {
            **doc,
            "matchedStatements": _items([]),
            "context": {**doc["context"], "conditions": _items([])},
        }
        blob = _seal(box, account_id, bare)
    return blob


def decode(box: SecretBox, account_id: str, blob: str) -> str:
    """The decoded document's JSON text; InvalidMessage unless `blob` was sealed by
    this gatehold for this account, and untouched."""
    try:
        sealed = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        raw = zlib.decompress(box.open(sealed, _aad(account_id)))
        json.loads(raw)
    except (ValueError, binascii.Error, SecretBoxError, zlib.error) as exc:
        raise InvalidMessage(str(exc)) from exc
    return raw.decode("utf-8")


def with_encoded_message(box: SecretBox, err: AwsError) -> AwsError:
    """`err` with the encoded message appended, EC2's way, when the policy engine
    decided it; any other error unchanged."""
    if not isinstance(err, PolicyDenial):
        return err
    blob = encode(box, err.account_id, err.details())
    return AwsError(
        err.code, f"{err.message} {ENCODED_MARKER}{blob}", err.status, sender_fault=err.sender_fault
    )
