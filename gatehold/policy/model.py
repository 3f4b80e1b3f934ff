"""The engine's value types: compiled policies, requests and decisions.

Everything here is immutable, so a compiled policy can be shared by every
request and every thread, and cached for as long as the stored policy is
unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from gatehold.policy.conditions import Condition
    from gatehold.policy.matching import ActionSet, PrincipalSet, ResourceSet


class PolicyKind(enum.Enum):
    """Where a policy is used; it decides which elements are required or prohibited."""

    IDENTITY = "identity"  # user/group/role permissions (managed or inline)
    RESOURCE = "resource"  # bucket, key, queue ... policies: Principal required
    TRUST = "trust"  # role trust policy: Principal required, no Resource, sts actions
    BOUNDARY = "boundary"
    SCP = "scp"
    RCP = "rcp"
    SESSION = "session"


class MalformedPolicy(ValueError):
    """The document is not a valid policy; ``reason`` is AWS's message text.

    The service layer answers it as ``MalformedPolicyDocument`` (IAM) or the
    calling service's equivalent.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Position:
    """1-based line and column, as the simulator's StartPosition/EndPosition."""

    line: int
    column: int


@dataclass(frozen=True, eq=False)
class Statement:
    index: int  # 0-based position in the Statement list
    sid: str | None
    allow: bool
    actions: ActionSet  # Action, or NotAction when ``not_action``
    not_action: bool
    resources: ResourceSet | None  # None: no Resource element (trust policies)
    not_resource: bool
    principals: PrincipalSet | None  # None: no Principal element
    not_principal: bool
    conditions: tuple[Condition, ...]
    start: Position
    end: Position
    raw: Mapping[str, Any] = field(repr=False)  # the statement as written (for explain/reference)

    @property
    def effect(self) -> str:
        return "Allow" if self.allow else "Deny"


@dataclass(frozen=True, eq=False)
class Policy:
    """A parsed, validated and compiled policy document.

    Identity semantics (``eq=False``): two parses of the same text are different
    objects; hashing stays O(1), which keeps per-request caches cheap.
    """

    text: str
    kind: PolicyKind
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]

    @property
    def variables_enabled(self) -> bool:
        # Variables are expanded only under the 2012-10-17 language version.
        return self.version == "2012-10-17"


@dataclass(frozen=True)
class PolicyRef:
    """A policy as it takes part in one evaluation, with where it came from."""

    policy: Policy
    source_id: str  # "PolicyInputList.1", a policy ARN, "user/alice/inline-name" ...
    source_type: str  # "user", "group", "role", "aws-managed", "IAM Policy", "resource" ...


def _normalise_context(context: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, values in context.items():
        if isinstance(values, str):
            vals: tuple[str, ...] = (values,)
        else:
            vals = tuple(str(v) for v in values)
        # Key names ignore case (AWS); the first spelling wins if a caller sends two.
        out.setdefault(key.lower(), vals)
    return out


@dataclass(frozen=True)
class Request:
    """What is being asked: the action on a resource, by whom, in which context."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    principal_arn: str | None = None  # user ARN, assumed-role session ARN, service name ...
    principal_account: str | None = None
    resource_account: str | None = None
    is_root: bool = False
    # For role sessions: the role's own ARN (with its path). Resource policies
    # may name the role instead of the session, with different effects.
    role_arn: str | None = None
    ctx: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ctx", _normalise_context(self.context))

    @property
    def same_account(self) -> bool:
        return (
            self.resource_account is None
            or self.principal_account is None
            or self.resource_account == self.principal_account
        )


Outcome = Literal["allowed", "explicitDeny", "implicitDeny"]


@dataclass(frozen=True)
class MatchedStatement:
    source_id: str
    source_type: str
    policy_type: str  # "identity-based", "resource-based", "permissions boundary" ...
    statement_index: int
    sid: str | None
    effect: str
    start: Position
    end: Position


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    action: str
    resource: str
    matched: tuple[MatchedStatement, ...] = ()
    # Which policy type decided: for a deny, the type named in AWS's message.
    deciding_policy_type: str | None = None
    missing_context_keys: tuple[str, ...] = ()
    # For the simulator's PermissionsBoundaryDecisionDetail / OrganizationsDecisionDetail:
    # None when that policy type took no part.
    allowed_by_boundary: bool | None = None
    allowed_by_organizations: bool | None = None
    allowed_by_session: bool | None = None

    @classmethod
    def build(
        cls,
        outcome: Outcome,
        action: str,
        resource: str,
        matched: tuple[MatchedStatement, ...],
        deciding_policy_type: str | None,
        missing_context_keys: tuple[str, ...],
        *,
        allowed_by_boundary: bool | None,
        allowed_by_organizations: bool | None,
        allowed_by_session: bool | None,
    ) -> Decision:
        """Same as the constructor, for the hot path.

        A frozen dataclass sets each field through ``object.__setattr__``, which
        was a large share of a whole decision; filling ``__dict__`` at once gives
        the identical object several times faster.
        """
        obj = object.__new__(cls)
        obj.__dict__.update(
            outcome=outcome,
            action=action,
            resource=resource,
            matched=matched,
            deciding_policy_type=deciding_policy_type,
            missing_context_keys=missing_context_keys,
            allowed_by_boundary=allowed_by_boundary,
            allowed_by_organizations=allowed_by_organizations,
            allowed_by_session=allowed_by_session,
        )
        return obj

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"

    def reason(self) -> str:
        """AWS's AccessDenied suffix, e.g. 'with an explicit deny in a session policy'."""
        from gatehold.policy.explain import denial_reason

        return denial_reason(self)


PolicyRefs = Sequence[PolicyRef]
