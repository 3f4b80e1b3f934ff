"""Which service and operation a request calls.

Rules, in order:

1. An ``X-Amz-Target: <targetPrefix>.<Operation>`` header names a JSON-protocol
   service and operation.
2. An ``Action`` parameter (URL query or form body) names a query-protocol operation
   (IAM, STS). The service is the SigV4 credential scope's when that is a query
   service; otherwise the ``Version`` parameter decides (2010-05-08 is IAM,
   2011-06-15 is STS), then which model has the action.
3. Anything else is matched against the method and ``requestUri`` templates of the
   rest-json services: only the scope's service when the request is signed for one,
   else all of them (the OIDC device flow and the portal calls are unsigned; their
   paths are unique across the three services).

Failures raise RoutingError with the AWS code each protocol answers, and the
protocol to answer in. route() does not check that the credential scope names the
routed service: that is the signature check's job (``route.service.signing_name``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gatehold.errors import AwsError, invalid_action, missing_action, unknown_operation
from gatehold.protocol import models
from gatehold.protocol.errors import RoutingError
from gatehold.protocol.request import HttpRequest, header
from gatehold.protocol.rest_routes import RestTable
from gatehold.protocol.urlencoded import form_params, is_form, parse_query

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from gatehold.protocol.models import ServiceSpec

# Coral-based query services name the missing version this way.
NO_VERSION = "NO_VERSION_SPECIFIED"


@dataclass(frozen=True)
class Route:
    service: ServiceSpec
    operation: OperationModel
    # What routing already decoded, handed on so parsing does not decode it twice.
    form: dict[str, str] | None = field(default=None, compare=False, repr=False)
    query: dict[str, list[str]] | None = field(default=None, compare=False, repr=False)
    uri_params: dict[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def protocol(self) -> str:
        return self.service.protocol

    @property
    def name(self) -> str:
        name: str = self.operation.name
        return name

    @property
    def unsigned_allowed(self) -> bool:
        """botocore sends this operation unsigned (the model's authtype is 'none')."""
        return bool(self.operation.auth_type == "none")


def route(req: HttpRequest, scope_service: str | None) -> Route:
    """The service and operation ``req`` calls; RoutingError if none."""
    try:
        return _route(req, _scope_spec(scope_service))
    except AwsError as err:
        raise wrap(err, req) from None


def _route(req: HttpRequest, scope: ServiceSpec | None) -> Route:
    target = header(req.headers, "x-amz-target")
    if target is not None:
        return _route_json(target)
    if scope is not None and scope.protocol == "json":
        raise RoutingError(unknown_operation(400), "json", scope)
    form = form_params(req)
    action = form.get("Action")
    if action is not None or (scope is not None and scope.protocol == "query"):
        return _route_query(form, action, scope)
    if is_form(req) and scope is None:
        raise RoutingError(missing_action(), "query", None)
    return _route_rest(req, scope)


def _scope_spec(scope_service: str | None) -> ServiceSpec | None:
    if not scope_service:
        return None
    return models.service_by_signing_name(scope_service)


def _route_json(target: str) -> Route:
    prefix, _, op_name = target.rpartition(".")
    service = models.service_by_target_prefix(prefix) if prefix else None
    if service is None:
        raise RoutingError(unknown_operation(400), "json", None)
    op = service.operation(op_name)
    if op is None:
        raise RoutingError(unknown_operation(400), "json", service)
    return Route(service, op)


def _route_query(form: dict[str, str], action: str | None, scope: ServiceSpec | None) -> Route:
    version = form.get("Version")
    service = scope if scope is not None and scope.protocol == "query" else None
    if service is None:
        service = _guess_query_service(action, version)
    if not action:
        raise RoutingError(missing_action(), "query", service)
    op = service.operation(action) if version == service.api_version else None
    if op is None:
        shown = version if version else NO_VERSION
        err = invalid_action(action, f" for version {shown}")
        raise RoutingError(err, "query", service)
    return Route(service, op, form=form)


def _guess_query_service(action: str | None, version: str | None) -> ServiceSpec:
    specs = [models.get_service(n) for n in models.QUERY_SERVICES]
    for spec in specs:
        if version == spec.api_version:
            return spec
    for spec in specs:
        if action and action in spec.operation_names:
            return spec
    return specs[0]


_tables: dict[str, RestTable] = {}


def _table(service: ServiceSpec) -> RestTable:
    table = _tables.get(service.name)
    if table is None:
        table = _tables[service.name] = RestTable(service)
    return table


def _route_rest(req: HttpRequest, scope: ServiceSpec | None) -> Route:
    if scope is not None and scope.protocol == "rest-json":
        candidates = [scope]
    else:
        candidates = [models.get_service(n) for n in models.REST_JSON_SERVICES]
    query = parse_query(req.raw_query)
    method = req.method.upper()
    for service in candidates:
        try:
            match = _table(service).match(method, req.raw_path, query)
        except UnicodeDecodeError:
            raise RoutingError(unknown_operation(404), "rest-json", service) from None
        if match is not None:
            return Route(service, match.operation, query=query, uri_params=match.uri_params)
    only = candidates[0] if len(candidates) == 1 else None
    raise RoutingError(unknown_operation(404), "rest-json", only)


def error_protocol(req: HttpRequest) -> str:
    """The protocol to answer an error in when nothing is known but the request."""
    if header(req.headers, "x-amz-target") is not None:
        return "json"
    if is_form(req) or "Action=" in req.raw_query:
        return "query"
    return "rest-json"


def wrap(err: AwsError, req: HttpRequest) -> RoutingError:
    """``err`` raised before routing finished, with the protocol to answer it in."""
    if isinstance(err, RoutingError):
        return err
    return RoutingError(err, error_protocol(req), None)


_FORM_ACTION = re.compile(rb"(?:^|(?<=&))Action=([A-Za-z0-9]+)(?=&|$)")


def operation_hint(req: HttpRequest) -> str | None:
    """The operation a request names, read cheaply and trusted for nothing but
    scheduling (the request is routed and authenticated properly afterwards)."""
    target = header(req.headers, "x-amz-target")
    if target is not None:
        return target.rpartition(".")[2] or None
    # Exactly one Action, or no hint: with duplicates the parser keeps the last one,
    # and a hint must never call a write cheap.
    found = _FORM_ACTION.findall(req.body) if len(req.body) <= 4096 else []
    return found[0].decode("ascii") if len(found) == 1 else None
