"""Tagging every taggable IAM resource the same way.

AWS (IAM User Guide, "Tagging IAM resources" and the quotas page): at most 50
tags per resource; keys 1-128 and values 0-256 characters (length and pattern are
checked by the protocol layer from the model); keys are unique regardless of
case; the "aws:" prefix is reserved. Each Tag*/Untag*/List*Tags operation is a
three-line wrapper around these functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from gatehold.services.iam.errors import invalid_input, limit_exceeded
from gatehold.store import tags as tag_store

MAX_TAGS = 50


def tag_pairs(tags: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return [(t["Key"], t["Value"]) for t in tags or []]


def request_tag_context(tags: list[dict[str, Any]] | None) -> dict[str, tuple[str, ...]]:
    """aws:RequestTag/<key> and aws:TagKeys for a request that carries tags."""
    pairs = tag_pairs(tags)
    if not pairs:
        return {}
    values: dict[str, tuple[str, ...]] = {f"aws:RequestTag/{k}": (v,) for k, v in pairs}
    values["aws:TagKeys"] = tuple(k for k, _ in pairs)
    return values


def untag_context(keys: list[str]) -> dict[str, tuple[str, ...]]:
    return {"aws:TagKeys": tuple(keys)} if keys else {}


def resource_tag_context(pairs: list[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """aws:ResourceTag/<key> (and its iam: alias) for a resource that has tags."""
    values: dict[str, tuple[str, ...]] = {}
    for k, v in pairs:
        values[f"aws:ResourceTag/{k}"] = (v,)
        values[f"iam:ResourceTag/{k}"] = (v,)
    return values


def check_new_tags(pairs: list[tuple[str, str]]) -> None:
    lowered = [k.lower() for k, _ in pairs]
    if len(set(lowered)) != len(lowered):
        raise invalid_input(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    for key, _ in pairs:
        if key.lower().startswith("aws:"):
            raise invalid_input(
                "User is not authorized to perform tag operations with the aws: prefix."
            )


def apply(
    db: Connection, resource_type: str, resource_id: str, pairs: list[tuple[str, str]]
) -> None:
    """Tag a resource, enforcing the 50-tag quota on the result."""
    check_new_tags(pairs)
    existing = {k.lower() for k, _ in tag_store.get(db, resource_type, resource_id)}
    total = len(existing | {k.lower() for k, _ in pairs})
    if total > MAX_TAGS:
        raise limit_exceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    tag_store.put(db, resource_type, resource_id, pairs)


def listed(db: Connection, resource_type: str, resource_id: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tag_store.get(db, resource_type, resource_id)]
