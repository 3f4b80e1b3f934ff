"""A compiled set of policies, indexed by service prefix.

A principal can carry hundreds of policies, but a request names one action.
Each statement is filed under the exact action names its Action list holds
("s3:getobject"), or under its service prefix when a name has wildcards
("s3:Get*"); statements that can match any service (``*``, ``NotAction``, a
wildcard in the prefix) go to a shared list. A decision then looks only at the
statements that can match its action, so cost follows the relevant statements,
not the total.

Build a ``PolicySet`` once per principal/policy version and reuse it: compiling is
O(statements); evaluating against it is O(candidate statements).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gatehold.policy.model import MatchedStatement, PolicyRef, Statement

_CACHE_MAX = 4096  # action names can come from simulator input: bound the cache


@dataclass(frozen=True, eq=False)
class Bound:
    """A statement together with the policy it came from."""

    ref: PolicyRef
    stmt: Statement
    order: int
    # (lower, as written) for every condition and variable key: for MissingContextValues.
    keys: tuple[tuple[str, str], ...]
    _reports: dict[str, MatchedStatement] = field(default_factory=dict, repr=False)

    def report(self, policy_type: str) -> MatchedStatement:
        """The simulator's view of this statement, built once per policy type."""
        got = self._reports.get(policy_type)
        if got is None:
            stmt = self.stmt
            got = MatchedStatement(
                source_id=self.ref.source_id,
                source_type=self.ref.source_type,
                policy_type=policy_type,
                statement_index=stmt.index,
                sid=stmt.sid,
                effect=stmt.effect,
                start=stmt.start,
                end=stmt.end,
            )
            self._reports[policy_type] = got
        return got


def _keys_of(stmt: Statement) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for cond in stmt.conditions:
        seen.setdefault(cond.key_lower, cond.key)
        for key in cond.variable_keys:
            seen.setdefault(key.lower(), key)
    if stmt.resources is not None:
        for key in stmt.resources.variable_keys:
            seen.setdefault(key.lower(), key)
    return tuple(seen.items())


class PolicySet:
    __slots__ = ("_by_action", "_by_service", "_cache", "_wild", "refs")

    def __init__(self, refs: Iterable[PolicyRef]) -> None:
        self.refs: tuple[PolicyRef, ...] = tuple(refs)
        # Three buckets: exact action names ("s3:getobject"), services whose
        # patterns have wildcards in the name ("s3" for "s3:Get*"), and statements
        # that may match any service.
        by_action: dict[str, list[Bound]] = {}
        by_service: dict[str, list[Bound]] = {}
        wild: list[Bound] = []
        order = 0
        for ref in self.refs:
            for stmt in ref.policy.statements:
                bound = Bound(ref, stmt, order, _keys_of(stmt))
                order += 1
                actions = stmt.actions
                if stmt.not_action or actions.services is None:
                    wild.append(bound)
                    continue
                for name in actions.exact:
                    by_action.setdefault(name, []).append(bound)
                for service in {p.split(":", 1)[0] for p in actions.glob_patterns}:
                    by_service.setdefault(service, []).append(bound)
        self._by_action = {k: tuple(v) for k, v in by_action.items()}
        self._by_service = {k: tuple(v) for k, v in by_service.items()}
        self._wild = tuple(wild)
        self._cache: dict[str, tuple[Bound, ...]] = {}

    def __len__(self) -> int:
        return len(self.refs)

    def candidates(self, action: str) -> tuple[Bound, ...]:
        """Statements that might match ``action`` (lower-cased), in policy order."""
        got = self._cache.get(action)
        if got is None:
            service = action.split(":", 1)[0]
            groups = [
                g
                for g in (
                    self._by_action.get(action, ()),
                    self._by_service.get(service, ()),
                    self._wild,
                )
                if g
            ]
            if not groups:
                got = ()
            elif len(groups) == 1:
                got = groups[0]
            else:
                merged = {id(b): b for g in groups for b in g}  # a statement may be in two
                got = tuple(sorted(merged.values(), key=lambda b: b.order))
            if len(self._cache) < _CACHE_MAX:
                self._cache[action] = got
        return got


_EMPTY = PolicySet(())
_RECENT: OrderedDict[tuple[int, ...], tuple[tuple[PolicyRef, ...], PolicySet]] = OrderedDict()
_RECENT_MAX = 256
_SMALL = 16  # sequences up to this length are recognised by the identity of their items


def as_policy_set(refs: PolicySet | Sequence[PolicyRef] | None) -> PolicySet:
    """Accept a compiled set or a sequence of refs; recently seen ones are reused.

    A tuple is recognised by its own identity; a short list (a boundary, a few
    session policies) by the identity of its items, which stay alive in the
    cache entry so the ids cannot be reused. Why not hash the contents: hashing
    1,000 refs on every call would cost more than the decision. Long lists are
    compiled on each call: pass a ``PolicySet`` (or the same tuple) instead.
    """
    if refs is None:
        return _EMPTY
    if isinstance(refs, PolicySet):
        return refs
    if not refs:
        return _EMPTY
    if isinstance(refs, tuple):
        key: tuple[int, ...] = (id(refs),)
    elif len(refs) <= _SMALL:
        key = (0, *map(id, refs))
    else:
        return PolicySet(refs)
    hit = _RECENT.get(key)
    # The entry keeps its items (and tuple) alive, so matching ids mean the same objects.
    if hit is not None:
        # try/except, not contextlib.suppress: this is every decision's path, and the
        # context manager costs several times the call it guards.
        try:  # noqa: SIM105
            _RECENT.move_to_end(key)
        except KeyError:  # evicted by another thread meanwhile; still a valid set
            pass
        return hit[1]
    compiled = PolicySet(refs)
    _RECENT[key] = (refs if isinstance(refs, tuple) else tuple(refs), compiled)
    if len(_RECENT) > _RECENT_MAX:
        with contextlib.suppress(KeyError):
            _RECENT.popitem(last=False)
    return compiled
