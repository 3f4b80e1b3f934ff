"""The policy engine: parse, validate and evaluate IAM policies as AWS documents it.

A pure library: no I/O, no clock, nothing else from gatehold. Services compile
stored policy text with ``parse_policy`` (cache the result), wrap policies in
``PolicyRef`` with their origin, and ask ``evaluate`` for a ``Decision``; the
``explain`` module turns a decision into AWS's AccessDenied wording.
"""

from gatehold.policy.document import context_keys, parse_policy
from gatehold.policy.evaluate import evaluate
from gatehold.policy.explain import access_denied_message, denial_reason, explain
from gatehold.policy.index import PolicySet
from gatehold.policy.limits import policy_size
from gatehold.policy.model import (
    Decision,
    MalformedPolicy,
    MatchedStatement,
    Policy,
    PolicyKind,
    PolicyRef,
    Position,
    Request,
    Statement,
)

__all__ = [
    "Decision",
    "MalformedPolicy",
    "MatchedStatement",
    "Policy",
    "PolicyKind",
    "PolicyRef",
    "PolicySet",
    "Position",
    "Request",
    "Statement",
    "access_denied_message",
    "context_keys",
    "denial_reason",
    "evaluate",
    "explain",
    "parse_policy",
    "policy_size",
]
