"""Per-shape plans, built once per shape and kept.

A plan is keyed by what makes the shape what it is: its model, name, serialization
traits and constraints. botocore creates a new Shape object each time a member is
resolved, so identity alone would never stop on a recursive shape (organizations'
HandshakeResource contains HandshakeResources); the structural key does, and the
Shape objects of the (cached) operation models are also remembered by identity for
a fast lookup per request. A recursive shape's plan is registered before its
children are built, so the recursion finds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from botocore.model import Shape

T = TypeVar("T")


def _freeze(d: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in d.items()))


def shape_key(shape: Shape) -> tuple[Any, ...]:
    resolver = getattr(shape, "_shape_resolver", None)
    return (id(resolver), shape.name, _freeze(shape.serialization), _freeze(shape.metadata))


class PlanCache:
    """shape -> plan, one cache per kind of plan (query reader, JSON writer, ...).

    Plans under construction live in ``_building`` and are published together when
    the outermost build returns, so another thread never sees a half-built plan.
    """

    def __init__(self) -> None:
        self._by_object: dict[Any, Any] = {}
        self._plans: dict[tuple[Any, ...], Any] = {}
        self._building: dict[tuple[Any, ...], Any] = {}
        self._depth = 0
        self._lock = threading.RLock()

    def get(self, shape: Shape, build: Callable[[Shape], T]) -> T:
        plan = self._by_object.get(shape)
        if plan is not None:
            return plan  # type: ignore[no-any-return]
        key = shape_key(shape)
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                plan = self._building.get(key)
            if plan is not None:
                if self._depth == 0:
                    self._by_object[shape] = plan
                return plan  # type: ignore[no-any-return]
            self._depth += 1
            done = False
            try:
                plan = build(shape)
                self._building[key] = plan
                done = True
            finally:
                self._depth -= 1
                if self._depth == 0:
                    if done:
                        self._plans.update(self._building)
                    self._building.clear()
            if self._depth == 0:
                self._by_object[shape] = plan
            return plan

    def put(self, shape: Shape, plan: object) -> None:
        """Record a plan before building its children, so a recursive shape finds it."""
        self._building[shape_key(shape)] = plan


def wire_name(member: Shape, default: str) -> str:
    name = member.serialization.get("name")
    return name if name else default


def lower_first(name: str) -> str:
    """The member name as AWS validation messages write it: 'UserName' -> 'userName'."""
    return name[:1].lower() + name[1:]
