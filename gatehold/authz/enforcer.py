"""The single enforcement point: every operation asks here before it acts.

It gathers every policy the caller has (policies.py: the user's inline
and managed policies, those of its groups, and its permissions boundary), builds
the request context AWS's condition keys describe (context_keys.py), and asks the
policy engine. A
denial answers AccessDenied in AWS's current wording, naming why ("with an
explicit deny in an identity-based policy", "because no permissions boundary
allows ..."). The account root user is not evaluated: it may do anything in its
own account.

Compiled policy sets are cached per principal and tagged with the account's
authorization generation (store/meta.py), which every change that can alter a
decision raises in the same transaction. One cheap read per request tells a
worker — in any process, on any instance sharing the store — that its cache is
stale, so a decision is never made on an old policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection

from gatehold.authz import denials
from gatehold.authz import policies as principal_policies
from gatehold.authz.context_keys import federated_context, request_context, resource_account
from gatehold.authz.interface import Enforcer
from gatehold.context import Principal, PrincipalKind, RequestContext
from gatehold.errors import AwsError
from gatehold.policy import PolicyKind, PolicyRef, PolicySet, Request, evaluate
from gatehold.policy.explain import access_denied_message
from gatehold.store import meta, policy_sources

_CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class CompiledPolicies:
    """A principal's policies, indexed for evaluation, as of one authorization generation."""

    generation: int
    identity: PolicySet
    boundary: PolicySet | None  # None: the principal has no permissions boundary
    # aws:PrincipalTag/<key> for each of the caller's tags (tag changes raise the
    # generation too, so they are cached with the policies).
    principal_tags: Mapping[str, tuple[str, ...]]


_NOTHING = PolicySet(())
_NO_TAGS: Mapping[str, tuple[str, ...]] = {}


def federated_allows(
    ctx: RequestContext,
    provider_arn: str,
    action: str,
    role_arn: str,
    condition_values: Mapping[str, tuple[str, ...]],
    trust: PolicyRef,
) -> bool:
    """Whether a role's trust policy lets an identity provider's user assume it
    (AssumeRoleWithSAML, AssumeRoleWithWebIdentity; the caller is unsigned).

    Such a caller has no identity policies: the trust policy alone decides, and
    must allow the provider itself (Principal {"Federated": provider ARN}) or
    "*" (AWS, id_roles_providers_saml / id_roles_providers_oidc), with the
    provider's claims as condition keys (saml:aud, saml:sub ...).
    """
    context = federated_context(ctx, condition_values)
    request = Request(
        action=action,
        resource=role_arn,
        context=context,
        principal_arn=provider_arn,
        principal_account=resource_account(provider_arn),
        resource_account=resource_account(role_arn),
    )
    decision = evaluate(request, resource=trust)
    return decision.outcome == "allowed" and any(
        m.policy_type == "resource-based" and m.effect == "Allow" for m in decision.matched
    )


class PolicyEnforcer(Enforcer):
    def __init__(self) -> None:
        # principal id -> its compiled policies, tagged with the generation they reflect
        self._compiled: dict[str, CompiledPolicies] = {}

    def authorize(
        self,
        db: Connection,
        ctx: RequestContext,
        action: str,
        resource: str,
        condition_values: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.decide(db, ctx, action, resource, condition_values)

    def decide(
        self,
        db: Connection,
        ctx: RequestContext,
        action: str,
        resource: str,
        condition_values: Mapping[str, tuple[str, ...]] | None = None,
        resource_policy: PolicyRef | None = None,
    ) -> None:
        """authorize(), with the resource's own policy (a role's trust policy for
        sts:AssumeRole) evaluated together with the caller's, as AWS does; the
        resource policy must allow too (a trust policy naming the account
        delegates to the caller's identity policy, one naming the caller suffices)."""
        p = ctx.principal
        if p.kind is PrincipalKind.ANONYMOUS:
            # Unsigned calls name no identity that any policy could allow.
            raise AwsError("AccessDenied", "Access denied: the request was not signed.", 403)
        if p.kind is PrincipalKind.ROOT and resource_policy is None:
            # The root user has full access to its own account; only SCPs (not yet
            # modelled) and resource policies of other accounts limit it.
            return
        context = request_context(ctx, condition_values)
        if p.kind is PrincipalKind.ROOT:
            identity, boundary, session = _NOTHING, None, None
        else:
            policies = self.policies(db, p)
            identity, boundary = policies.identity, policies.boundary
            session = session_policies(p)
            if p.kind is PrincipalKind.FEDERATED_USER and not p.session.user_id:  # type: ignore[union-attr]
                # Federated by the root user: root's full access meets the session
                # policy, so the session policy alone decides.
                identity, session = session or _SESSION_ALLOWS_NOTHING, None
            tags = dict(policies.principal_tags)
            if p.session is not None and p.session.tags:
                # Session tags override the role's (or user's) tags of the same key.
                tags = {
                    k: v
                    for k, v in tags.items()
                    if k.lower() not in {f"aws:principaltag/{t.lower()}" for t, _ in p.session.tags}
                }
                tags.update({f"aws:PrincipalTag/{k}": (v,) for k, v in p.session.tags})
            if tags:
                context = {**tags, **context}
        request = Request(
            action=action,
            resource=resource,
            context=context,
            principal_arn=p.arn,
            principal_account=p.account_id,
            resource_account=resource_account(resource),
            is_root=p.kind is PrincipalKind.ROOT,
            role_arn=p.session.role_arn if p.session is not None else None,
        )
        decision = evaluate(
            request, identity=identity, boundary=boundary, session=session, resource=resource_policy
        )
        if (
            resource_policy is not None
            and decision.outcome == "allowed"
            and not any(
                m.policy_type == "resource-based" and m.effect == "Allow" for m in decision.matched
            )
        ):
            # A role's trust policy must always allow (AWS, id_roles_use_permissions-to-switch:
            # the identity policy alone never lets anyone assume a role).
            raise denials.denial(
                f"User: {p.arn} is not authorized to perform: {action} on resource: {resource}",
                decision,
                request,
                p,
                identity,
                boundary,
                session,
                resource_policy,
            )
        if decision.outcome != "allowed":
            # AWS's wording names the policy type that decided: "with an explicit deny
            # in an identity-based policy", "because no permissions boundary allows ...".
            # The denial can describe itself for an encoded authorization message.
            raise denials.denial(
                access_denied_message(decision, p.arn),
                decision,
                request,
                p,
                identity,
                boundary,
                session,
                resource_policy,
            )

    def policies(self, db: Connection, p: Principal) -> CompiledPolicies:
        """The caller's compiled policies, rebuilt when the account's generation moved.

        The generation is read in the request's own transaction, so a change
        committed before this request began is always seen, by every worker.
        """
        generation = meta.authorization_generation(db, p.account_id)
        # A role session acts with its role's policies; a GetSessionToken or
        # GetFederationToken session with its user's. Cached by that entity's id.
        kind, entity_id = policy_sources.USER, p.user_id
        if p.session is not None and p.session.role_id:
            kind, entity_id = policy_sources.ROLE, p.session.role_id
        elif p.session is not None and p.session.user_id:
            entity_id = p.session.user_id
        cached = self._compiled.get(entity_id)
        if cached is not None and cached.generation == generation:
            return cached
        entity = policy_sources.entity_by_id(db, kind, entity_id)
        found = principal_policies.gather(db, entity) if entity else None
        if found is None:  # the user is gone: nothing is allowed
            fresh = CompiledPolicies(generation, _NOTHING, None, _NO_TAGS)
        else:
            boundary = found.boundary_refs()
            fresh = CompiledPolicies(
                generation,
                PolicySet(found.identity_refs()),
                PolicySet(boundary) if boundary else None,
                {f"aws:PrincipalTag/{k}": (v,) for k, v in found.tags},
            )
        if len(self._compiled) >= _CACHE_LIMIT:
            self._compiled.clear()
        self._compiled[entity_id] = fresh
        return fresh


# A session policy that allows nothing (an empty set would mean "no session policy").
_SESSION_ALLOWS_NOTHING = PolicySet(
    [
        PolicyRef(
            principal_policies.parse_cached(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                '"Action":"gatehold:NoActionMatchesThis","Resource":"*"}]}',
                PolicyKind.SESSION,
            ),
            "session",
            "Session Policy",
        )
    ]
)


def session_policies(p: Principal) -> PolicySet | None:
    """The session policies a token carries, compiled once per text (parse cache).

    None when the session has none: then they do not limit it. A
    GetFederationToken session always has a list (perhaps empty): without a
    session policy it is granted nothing, as AWS documents.
    """
    s = p.session
    if s is None:
        return None
    if not s.policies:
        return _SESSION_ALLOWS_NOTHING if p.kind is PrincipalKind.FEDERATED_USER else None
    found = _session_sets.get(s.policies)
    if found is None:
        refs = [
            PolicyRef(
                principal_policies.parse_cached(text, PolicyKind.SESSION),
                "session",
                "Session Policy",
            )
            for text in s.policies
        ]
        found = PolicySet(refs)
        if len(_session_sets) >= _CACHE_LIMIT:
            _session_sets.clear()
        _session_sets[s.policies] = found
    return found


# Session policies, indexed once per distinct set of texts: a session's requests
# then cost a dict lookup, not a parse or a digest of the texts.
_session_sets: dict[tuple[str, ...], PolicySet] = {}
