"""Every policy that applies to a principal, compiled, with where each came from.

AWS (access_policies.html, SimulatePrincipalPolicy): a user's permissions are its
inline policies, the managed policies attached to it, and the inline and managed
policies of every group it belongs to; a role has its own inline and managed
policies; a user or role may also have one permissions boundary (a managed
policy). Groups have no boundary.

Each policy comes back as a ``PolicyRef`` whose ``source_id``/``source_type`` are
what the simulator reports in ``MatchedStatements``. Real AWS answers (an AWS CLI
example and answers quoted in public issues) show ``SourcePolicyType`` "IAM Policy"
for every identity policy, although the API reference lists user/group/role/
aws-managed/user-managed; and ``SourcePolicyId`` is the managed policy's name, or
``<type>_<entity name>_<policy name>`` for an inline policy (seen for a role:
"role_<role>_<policy>"; the user and group forms follow it, unconfirmed).

Documents are parsed once per (source, version or content hash) and the compiled
``Policy`` is shared by every principal and request in the process.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection

from gatehold.policy import MalformedPolicy, Policy, PolicyKind, PolicyRef, parse_policy
from gatehold.store import managed_policies, policy_sources
from gatehold.store import tags as tag_store
from gatehold.store.policy_sources import Entity, Owner

IAM_POLICY = "IAM Policy"

# PolicyExclusionList's PolicyType names, used as our categories too.
INLINE = "inline"
AWS_MANAGED = "aws-managed"
USER_MANAGED = "user-managed"
BOUNDARY = "permission-boundary"

_PARSED_LIMIT = 8192


class StoredPolicyUnreadable(Exception):
    """A stored policy no longer parses: a bug or a tampered store. Never skipped
    silently, since a lost Deny would grant more than the owner meant."""


@dataclass(frozen=True)
class Origin:
    category: str  # INLINE | AWS_MANAGED | USER_MANAGED | BOUNDARY
    policy_name: str
    policy_arn: str | None = None  # managed policies and boundaries
    attachment_type: str | None = None  # inline: "user" | "group" | "role"
    attachment_name: str | None = None  # inline: the entity's name


@dataclass(frozen=True)
class SourcedPolicy:
    ref: PolicyRef
    origin: Origin


@dataclass(frozen=True)
class PrincipalPolicies:
    entity: Entity
    identity: tuple[SourcedPolicy, ...]
    boundary: SourcedPolicy | None
    # The entity's own tags (users and roles): AWS offers them as aws:PrincipalTag/*.
    tags: tuple[tuple[str, str], ...] = ()

    def identity_refs(self) -> list[PolicyRef]:
        return [p.ref for p in self.identity]

    def boundary_refs(self) -> list[PolicyRef] | None:
        return [self.boundary.ref] if self.boundary else None

    def all(self) -> Iterator[SourcedPolicy]:
        yield from self.identity
        if self.boundary:
            yield self.boundary


# --- the parse cache -----------------------------------------------------------------

_parsed: OrderedDict[Hashable, Policy] = OrderedDict()
_parsed_lock = threading.Lock()


def _lookup(full_key: Hashable) -> Policy | None:
    with _parsed_lock:
        hit = _parsed.get(full_key)
        if hit is not None:
            _parsed.move_to_end(full_key)
        return hit


def _remember(full_key: Hashable, policy: Policy) -> None:
    with _parsed_lock:
        _parsed[full_key] = policy
        if len(_parsed) > _PARSED_LIMIT:
            _parsed.popitem(last=False)


def compiled(key: Hashable, text: str, kind: PolicyKind) -> Policy:
    """A stored ``text`` parsed as ``kind``, cached under ``key`` (which must change
    whenever the text does: a version ID, or a digest of the text)."""
    full_key = (key, kind)
    policy = _lookup(full_key)
    if policy is None:
        try:
            policy = parse_policy(text, kind=kind)
        except MalformedPolicy as exc:
            raise StoredPolicyUnreadable(f"stored policy {key!r} does not parse: {exc}") from exc
        _remember(full_key, policy)
    return policy


def parse_cached(text: str, kind: PolicyKind) -> Policy:
    """A caller's policy text (simulator, CLI), cached by content; raises MalformedPolicy."""
    full_key = (("text", _digest(text)), kind)
    policy = _lookup(full_key)
    if policy is None:
        policy = parse_policy(text, kind=kind)
        _remember(full_key, policy)
    return policy


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- gathering -------------------------------------------------------------------------


class _Gatherer:
    """Resolves managed policy ARNs and builds refs for one principal."""

    def __init__(self, db: Connection, managed_arns: set[str]) -> None:
        customer = [a for a in managed_arns if managed_policies.get(a) is None]
        self.customer = policy_sources.customer_policies(db, customer)

    def managed(self, arn: str, kind: PolicyKind = PolicyKind.IDENTITY) -> SourcedPolicy | None:
        aws = managed_policies.get(arn)
        if aws is not None:
            key: Hashable = ("aws", arn, aws.default_version_id)
            policy = compiled(key, aws.document_text, kind)
            name, category = aws.name, AWS_MANAGED
        else:
            doc = self.customer.get(arn)
            if doc is None:  # detached or deleted meanwhile: nothing to apply
                return None
            policy = compiled(("customer", doc.policy_id, doc.version_id), doc.document, kind)
            name, category = doc.name, USER_MANAGED
        if kind is PolicyKind.BOUNDARY:
            category = BOUNDARY
        return SourcedPolicy(PolicyRef(policy, name, IAM_POLICY), Origin(category, name, arn))

    @staticmethod
    def inline(owner: Entity, name: str, document: str) -> SourcedPolicy:
        key = ("inline", owner.kind, owner.entity_id, name, _digest(document))
        policy = compiled(key, document, PolicyKind.IDENTITY)
        source_id = f"{owner.kind}_{owner.name}_{name}"
        origin = Origin(INLINE, name, None, owner.kind, owner.name)
        return SourcedPolicy(PolicyRef(policy, source_id, IAM_POLICY), origin)


def gather(db: Connection, entity: Entity) -> PrincipalPolicies:
    """The identity policies and boundary of a user (with its groups), group or role."""
    owners: list[Entity] = [entity]
    if entity.kind == policy_sources.USER:
        owners += policy_sources.groups_of_user(db, entity.entity_id)
    keys: list[Owner] = [o.owner for o in owners]
    attached = policy_sources.attached_arns(db, keys)
    inline = policy_sources.inline_documents(db, keys)
    wanted = {arn for arns in attached.values() for arn in arns}
    if entity.boundary_arn:
        wanted.add(entity.boundary_arn)
    gatherer = _Gatherer(db, wanted)

    identity: list[SourcedPolicy] = []
    for owner in owners:
        for name, document in inline.get(owner.owner, []):
            identity.append(gatherer.inline(owner, name, document))
        for arn in attached.get(owner.owner, []):
            sourced = gatherer.managed(arn)
            if sourced is not None:
                identity.append(sourced)
    boundary = None
    if entity.boundary_arn:
        boundary = gatherer.managed(entity.boundary_arn, PolicyKind.BOUNDARY)
        if boundary is None:
            boundary = _unresolved_boundary(entity.boundary_arn)
    tags: tuple[tuple[str, str], ...] = ()
    if entity.kind != policy_sources.GROUP:
        tags = tuple(tag_store.get(db, entity.kind, entity.entity_id))
    return PrincipalPolicies(entity, tuple(identity), boundary, tags)


# A boundary that names a policy we cannot find must still bound: treating it as
# "no boundary" would grant everything the identity policies allow. It allows nothing.
_ALLOWS_NOTHING = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Action":"gatehold:NoActionMatchesThis","Resource":"*"}]}'
)


def _unresolved_boundary(arn: str) -> SourcedPolicy:
    policy = compiled(("unresolved-boundary",), _ALLOWS_NOTHING, PolicyKind.BOUNDARY)
    name = arn.rsplit("/", 1)[-1]
    return SourcedPolicy(PolicyRef(policy, name, IAM_POLICY), Origin(BOUNDARY, name, arn))


def for_user(db: Connection, user_id: str) -> PrincipalPolicies | None:
    user = policy_sources.entity_by_id(db, policy_sources.USER, user_id)
    return gather(db, user) if user else None
