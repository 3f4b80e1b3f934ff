"""The AWS services gatehold serves, each described by botocore's service model.

botocore's JSON models are the single source of truth for operation names, shapes,
HTTP bindings and constraints. Loading a model costs milliseconds to tens of
milliseconds, so each one is loaded once, on first use, and kept.

The routing keys (signing name, X-Amz-Target prefix, protocol) are repeated in the
small table below so that routing a request loads only the model it needs; a unit
test checks the table against the models.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel


@dataclass(frozen=True)
class _Key:
    name: str
    protocol: str
    signing_name: str
    target_prefix: str | None


# name, protocol, signing name (SigV4 credential scope), X-Amz-Target prefix
_KEYS: tuple[_Key, ...] = (
    _Key("iam", "query", "iam", None),
    _Key("sts", "query", "sts", None),
    _Key("organizations", "json", "organizations", "AWSOrganizationsV20161128"),
    _Key(
        "cloudtrail",
        "json",
        "cloudtrail",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
    ),
    _Key("identitystore", "json", "identitystore", "AWSIdentityStore"),
    _Key("sso-admin", "json", "sso", "SWBExternalService"),
    _Key("sso", "rest-json", "awsssoportal", None),
    _Key("sso-oidc", "rest-json", "sso-oauth", None),
    _Key("accessanalyzer", "rest-json", "access-analyzer", None),
)

SERVICE_NAMES: tuple[str, ...] = tuple(k.name for k in _KEYS)
QUERY_SERVICES: tuple[str, ...] = tuple(k.name for k in _KEYS if k.protocol == "query")
REST_JSON_SERVICES: tuple[str, ...] = tuple(k.name for k in _KEYS if k.protocol == "rest-json")

_BY_NAME = {k.name: k for k in _KEYS}
_BY_SIGNING_NAME = {k.signing_name: k for k in _KEYS}
_BY_TARGET_PREFIX = {k.target_prefix: k for k in _KEYS if k.target_prefix}


@dataclass(frozen=True, eq=False)
class ServiceSpec:
    """One AWS service as gatehold serves it."""

    name: str
    model: ServiceModel = field(repr=False)
    protocol: str
    signing_name: str
    endpoint_prefix: str
    target_prefix: str | None
    api_version: str
    json_version: str | None
    xml_namespace: str | None

    def operation(self, name: str) -> OperationModel | None:
        """The operation called ``name`` exactly, or None."""
        if name not in self.operation_names:
            return None
        return self.model.operation_model(name)

    @cached_property
    def operation_names(self) -> frozenset[str]:
        return frozenset(self.model.operation_names)

    @property
    def json_content_type(self) -> str:
        return f"application/x-amz-json-{self.json_version or '1.1'}"


_lock = threading.Lock()
_specs: dict[str, ServiceSpec] = {}
_session: Any = None


def _botocore_session() -> Any:
    global _session
    if _session is None:
        import botocore.session

        _session = botocore.session.get_session()
    return _session


def _load(key: _Key) -> ServiceSpec:
    model = _botocore_session().get_service_model(key.name)
    md = model.metadata
    return ServiceSpec(
        name=key.name,
        model=model,
        protocol=model.protocol,
        signing_name=model.signing_name,
        endpoint_prefix=md["endpointPrefix"],
        target_prefix=md.get("targetPrefix"),
        api_version=md["apiVersion"],
        json_version=md.get("jsonVersion"),
        xml_namespace=md.get("xmlNamespace"),
    )


def get_service(name: str) -> ServiceSpec:
    """The service called ``name`` (botocore's name, e.g. 'sso-admin'); KeyError if unknown."""
    spec = _specs.get(name)
    if spec is not None:
        return spec
    key = _BY_NAME[name]
    with _lock:
        spec = _specs.get(name)
        if spec is None:
            spec = _load(key)
            _specs[name] = spec
    return spec


def service_by_signing_name(signing_name: str) -> ServiceSpec | None:
    """The service whose SigV4 credential scope names ``signing_name``, or None."""
    key = _BY_SIGNING_NAME.get(signing_name)
    return get_service(key.name) if key else None


def service_by_target_prefix(prefix: str) -> ServiceSpec | None:
    """The JSON-protocol service whose X-Amz-Target starts with ``prefix``, or None."""
    key = _BY_TARGET_PREFIX.get(prefix)
    return get_service(key.name) if key else None


def protocol_of(name: str) -> str:
    """The wire protocol of service ``name`` without loading its model."""
    return _BY_NAME[name].protocol


def routing_keys() -> tuple[tuple[str, str, str, str | None], ...]:
    """(name, protocol, signing name, target prefix) of every service, for tests."""
    return tuple((k.name, k.protocol, k.signing_name, k.target_prefix) for k in _KEYS)
