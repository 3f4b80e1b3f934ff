"""The decision: all policy types together, as AWS's evaluation logic describes.

AWS (reference_policies_evaluation-logic_policy-eval-denyallow.html, the
single-account and cross-account pages, access_policies_boundaries.html):
1. an applicable Deny in any policy (RCP, SCP, resource, identity, boundary,
   session) is an explicit deny, whatever else allows;
2. RCPs and SCPs never grant, but every level of the organization path must
   have an applicable Allow;
3. the account root user has full access to its own account's resources,
   limited only by denies and the organization's policies;
4. same account: identity and resource-based allows are a union. A resource
   policy that names the IAM user or role-session ARN (or ``*``) allows even
   when a boundary or session policy implicitly denies; one that names the role
   ARN is still limited by them; one that names the account only delegates to
   the account's IAM policies;
5. cross account: the caller's side (identity, boundary, session) must allow
   and the resource owner's resource-based policy must allow too.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatehold.policy.index import Bound, PolicySet, as_policy_set
from gatehold.policy.matching import PrincipalMatch
from gatehold.policy.model import Decision, MatchedStatement, Outcome, PolicyRef, Request

IDENTITY = "identity-based"
RESOURCE = "resource-based"
BOUNDARY = "permissions boundary"
SESSION = "session"
SCP = "scp"
RCP = "rcp"

# Which type an explicit-deny message names when several deny: AWS names only
# one and does not say which; we follow the order of the enforcement-code page.
_DENY_ORDER = (RCP, SCP, RESOURCE, IDENTITY, BOUNDARY, SESSION)

PolicyInput = PolicySet | Sequence[PolicyRef] | None


class _Scan:
    """Applicable statements of one policy set (one level, for SCPs and RCPs)."""

    __slots__ = ("allows", "denies")

    def __init__(self) -> None:
        self.allows: list[tuple[Bound, PrincipalMatch | None]] = []
        self.denies: list[Bound] = []


_NO_SCANS: tuple[_Scan, ...] = ()


class _Evaluator:
    __slots__ = ("action", "ctx", "has_boundary", "missing", "req")

    def __init__(self, req: Request, *, has_boundary: bool) -> None:
        self.req = req
        self.ctx = req.ctx
        self.action = req.action.lower()
        self.missing: dict[str, str] = {}
        self.has_boundary = has_boundary

    def scan(self, pset: PolicySet) -> _Scan:
        out = _Scan()
        ctx = self.ctx
        action = self.action
        resource = self.req.resource
        for bound in pset.candidates(action):
            stmt = bound.stmt
            if stmt.actions.matches(action) == stmt.not_action:
                continue
            resources = stmt.resources
            if resources is not None:
                hit = resources.match(resource, ctx)
                if hit is None or hit == stmt.not_resource:
                    continue  # None: every entry used a variable with no value
            who: PrincipalMatch | None = None
            principals = stmt.principals
            if principals is not None:
                if stmt.not_principal:
                    # NotPrincipal page: Deny+NotPrincipal always denies a principal
                    # that has a permissions boundary attached.
                    forced = self.has_boundary and not stmt.allow
                    if not forced and not principals.not_principal_applies(self.req):
                        continue
                    who = "direct"
                else:
                    who = principals.match(self.req)
                    if who is None:
                        continue
            if bound.keys:
                for low, written in bound.keys:
                    if low not in ctx:
                        self.missing.setdefault(low, written)
                if not all(cond.evaluate(ctx) for cond in stmt.conditions):
                    continue
            if stmt.allow:
                out.allows.append((bound, who))
            else:
                out.denies.append(bound)
        return out

    def scan_levels(self, levels: Sequence[PolicyInput] | None) -> tuple[_Scan, ...]:
        if not levels:
            return _NO_SCANS
        return tuple(self.scan(as_policy_set(level)) for level in levels)


def _reports(policy_type: str, scans: Sequence[_Scan], *, deny: bool) -> list[MatchedStatement]:
    if deny:
        return [b.report(policy_type) for scan in scans for b in scan.denies]
    return [b.report(policy_type) for scan in scans for b, _ in scan.allows]


def _all_allow(scans: Sequence[_Scan]) -> bool:
    return all(scan.allows for scan in scans)


def _detail(scans: Sequence[_Scan]) -> bool | None:
    """The simulator's *DecisionDetail: None when absent, else allows-and-no-deny."""
    if not scans:
        return None
    return all(scan.allows and not scan.denies for scan in scans)


def evaluate(
    request: Request,
    *,
    identity: PolicyInput = (),
    boundary: PolicyInput = None,
    session: PolicyInput = None,
    scps: Sequence[PolicyInput] | None = None,
    rcps: Sequence[PolicyInput] | None = None,
    resource: PolicyRef | None = None,
) -> Decision:
    """Decide ``request`` against every policy type that applies.

    ``boundary``/``session`` None (or empty) means the principal has none;
    ``scps``/``rcps`` hold one policy list per level of the organization path.
    Pass ``PolicySet`` objects (or the same tuple each time) to reuse the index.
    """
    ev = _Evaluator(request, has_boundary=bool(boundary))
    scans: dict[str, tuple[_Scan, ...]] = {
        RCP: ev.scan_levels(rcps),
        SCP: ev.scan_levels(scps),
        RESOURCE: (ev.scan(as_policy_set([resource])),) if resource is not None else _NO_SCANS,
        IDENTITY: (ev.scan(as_policy_set(identity)),),
        BOUNDARY: (ev.scan(as_policy_set(boundary)),) if boundary else _NO_SCANS,
        SESSION: (ev.scan(as_policy_set(session)),) if session else _NO_SCANS,
    }
    orgs = scans[SCP] + scans[RCP]
    by_boundary = _detail(scans[BOUNDARY])
    by_session = _detail(scans[SESSION])
    by_orgs = _detail(orgs) if orgs else None
    missing = tuple(ev.missing.values())

    def decide(
        outcome: Outcome, deciding: str | None, matched: Sequence[MatchedStatement] = ()
    ) -> Decision:
        return Decision.build(
            outcome,
            request.action,
            request.resource,
            tuple(matched),
            deciding,
            missing,
            allowed_by_boundary=by_boundary,
            allowed_by_organizations=by_orgs,
            allowed_by_session=by_session,
        )

    # 1. An applicable Deny anywhere is final.
    for kind in _DENY_ORDER:
        if any(scan.denies for scan in scans[kind]):
            matched = [m for k in _DENY_ORDER for m in _reports(k, scans[k], deny=True)]
            return decide("explicitDeny", kind, matched)

    # 2. Organizations: every level must allow (RCPs for the resource, SCPs for the principal).
    if not _all_allow(scans[RCP]):
        return decide("implicitDeny", RCP)
    if not _all_allow(scans[SCP]):
        return decide("implicitDeny", SCP)

    identity_scan = scans[IDENTITY][0]
    resource_scans = scans[RESOURCE]
    identity_allows = bool(identity_scan.allows)
    resource_allows = any(scan.allows for scan in resource_scans)
    grant_kinds = {who for scan in resource_scans for _, who in scan.allows}

    def allowed(deciding: str) -> Decision:
        matched = _reports(IDENTITY, scans[IDENTITY], deny=False)
        matched += _reports(RESOURCE, resource_scans, deny=False)
        return decide("allowed", deciding, matched)

    # 3. The root user: full access within its account.
    if request.is_root:
        if request.same_account or resource_allows:
            return allowed(IDENTITY)
        return decide("implicitDeny", RESOURCE)

    boundary_ok = _all_allow(scans[BOUNDARY])
    session_ok = _all_allow(scans[SESSION])

    if request.same_account:
        # 4. A grant to the caller itself stands despite boundary/session implicit denies.
        if "direct" in grant_kinds:
            return allowed(RESOURCE)
        granted = identity_allows or "role" in grant_kinds
        if granted and boundary_ok and session_ok:
            return allowed(IDENTITY if identity_allows else RESOURCE)
    elif boundary_ok and session_ok and identity_allows and resource_allows:
        # 5. Cross account: both sides.
        return allowed(IDENTITY)

    # Name the first missing allow in evaluation order (boundary, session, identity).
    if not boundary_ok:
        return decide("implicitDeny", BOUNDARY)
    if not session_ok:
        return decide("implicitDeny", SESSION)
    if not identity_allows:
        return decide("implicitDeny", IDENTITY)
    return decide("implicitDeny", RESOURCE)
