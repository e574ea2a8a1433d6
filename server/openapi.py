"""The OpenAPI document, true and complete: what every route answers, in the shape it answers it.

Litestar documents a route's success response and its parameters; the rest is declared here once for
every route, from what the route is:

- every error is RFC 9457 ``application/problem+json`` (never Litestar's ``application/json`` 400);
- a route behind the bearer middleware can answer 401, and 403 when a guard or its service checks a
  role or a step-up; a route that names an object (a path parameter) or serves family data 404;
- a route with a body answers 400 for a body that is not JSON and 422 for one that does not fit, as
  does a route with parameters for a parameter that does not fit; every ``/api`` route can answer 429;
- a struct that refuses unknown fields says so (``additionalProperties: false``);
- every path and query parameter states the rules ``server.inbound`` enforces on all of them: text
  without control characters, integers within 2**53 - 1.

A route's own ``responses=documented(...)`` adds what only it can answer (409 conflicts, 502 from a
provider) and wins for a status both name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any, get_args

import msgspec
from litestar import Litestar, Request, Response
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin  # no public base
from litestar.constants import RESERVED_KWARGS
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIResponse, Operation, Schema
from litestar.params import ParameterKwarg
from litestar.typing import FieldDefinition

from .auth.guards import family_member
from .auth.middleware import AUTH_EXCLUDE
from .inbound import PARAMETER_INT_MAX
from .problems import documented
from .wire import NO_CONTROL

__all__ = ["StrictStructSchemaPlugin", "answer_options", "complete_openapi"]

_FAMILY_GUARDS = {family_member}


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's struct schemas, plus ``additionalProperties: false`` where the struct refuses unknown
    fields (tests/server/test_contract.py keeps this true across Litestar upgrades)."""

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if field_definition.type_.__struct_config__.forbid_unknown_fields and isinstance(schema, Schema):
            schema.additional_properties = False
        # rules between fields, which no field's type states (``TradeBody``: a quantity or an amount)
        across = getattr(field_definition.type_, "__openapi_across_fields__", None)
        if across is not None and isinstance(schema, Schema):
            for name, value in across.items():
                setattr(schema, name, value)
        if isinstance(schema, Schema):
            _state_zero_bounds(field_definition.type_, schema)
        # what a field's handler checks itself to answer with its own code (``sync.protocol``: the
        # protocol versions and mutation names this server speaks, else VERSION_NOT_SUPPORTED)
        stated = getattr(field_definition.type_, "__openapi_fields__", None)
        if stated is not None and isinstance(schema, Schema):
            for field, keywords in stated.items():
                target = (schema.properties or {}).get(field)
                if isinstance(target, Schema):
                    for name, value in keywords.items():
                        setattr(target, name, value)
        return schema


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusive_minimum", "lt": "exclusive_maximum"}


def _state_zero_bounds(struct: type, schema: Schema) -> None:
    """Litestar keeps a field's bound only when it is truthy: ``msgspec.Meta(ge=0)`` would document
    no minimum at all (a fee of -1 looking valid). State each bound of 0 the struct's fields carry."""
    for field in msgspec.structs.fields(struct):
        target = (schema.properties or {}).get(field.encode_name)
        if not isinstance(target, Schema):
            continue
        for meta in _metas(field.type):
            for key, attribute in _BOUNDS.items():
                if getattr(meta, key, None) == 0 and getattr(target, attribute) is None:
                    setattr(target, attribute, 0)


def _metas(annotation: Any) -> Iterator[msgspec.Meta]:
    """The ``msgspec.Meta`` of ``annotation`` and of the types a union or ``Annotated`` holds."""
    for part in get_args(annotation):
        if isinstance(part, msgspec.Meta):
            yield part
        else:
            yield from _metas(part)


@dataclasses.dataclass
class ProblemOperation(Operation):
    """An operation without the ``application/json`` 400 Litestar adds to every route with parameters:
    it describes a shape this server never sends (its errors are problem details, declared by
    :func:`complete_openapi`), and a route without a body never answers 400 at all."""

    def __post_init__(self) -> None:
        if self.responses and _plain_json(self.responses.get("400")):
            self.responses = {status: r for status, r in self.responses.items() if status != "400"}


def _plain_json(response: Any) -> bool:
    return isinstance(response, OpenAPIResponse) and list(response.content or {}) == ["application/json"]


def complete_openapi(app: Litestar) -> None:
    """Give every HTTP route of ``app`` the error responses it can answer and the parameter rules it
    enforces (see the module doc), before the document is first built.

    The handlers are the app's own copies (Litestar copies each handler it registers); what is set
    depends only on the handler, so it is the same for every app.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler) and handler.include_in_schema:
                statuses = _standard_statuses(handler, route.path)
                handler.responses = {**documented(*statuses), **(handler.responses or {})}
                handler.operation_class = ProblemOperation
                _state_parameter_rules(handler)


def _state_parameter_rules(handler: HTTPRouteHandler) -> None:
    """Document the inbound rules on each parameter that does not state a tighter one itself.

    Litestar reads the parameters' documentation from the handler's parsed signature (a dict it
    updates itself for unconsumed path parameters); the enforcement is ``server.inbound``'s.
    """
    fields = handler.parsed_fn_signature.parameters
    for name, field in list(fields.items()):
        kwarg = field.kwarg_definition
        if name in RESERVED_KWARGS or field.is_di_field or field.is_literal:
            continue
        if isinstance(kwarg, ParameterKwarg) and kwarg.param_type in (ParamType.HEADER, ParamType.COOKIE):
            continue
        stated = kwarg if isinstance(kwarg, ParameterKwarg) else ParameterKwarg()
        if _is(field, str) and stated.pattern is None:
            stated = dataclasses.replace(stated, pattern=NO_CONTROL)
        elif _is(field, int) and not _is(field, bool) and stated.ge is None and stated.le is None:
            stated = dataclasses.replace(stated, ge=-PARAMETER_INT_MAX, le=PARAMETER_INT_MAX)
        if stated is not kwarg and stated != ParameterKwarg():
            fields[name] = dataclasses.replace(field, kwarg_definition=stated)


def _is(field: FieldDefinition, kind: type) -> bool:
    return field.is_subclass_of(kind) or field.has_inner_subclass_of(kind)


def _standard_statuses(handler: HTTPRouteHandler, path: str) -> list[int]:
    parameters = handler.parsed_fn_signature.parameters
    named_object = "{" in path
    authenticated = not handler.opt.get("exclude_from_auth") and not any(
        re.search(pattern, path) for pattern in AUTH_EXCLUDE
    )
    guards = set(handler.resolve_guards())
    statuses = []
    if "data" in parameters:
        statuses.append(400)
    if authenticated:
        statuses.append(401)
        # a guard checks a role or a step-up; a service does for a route that names an object or
        # takes a body (the object's family first, then the caller's role: server.gateway.accounts)
        if guards - _FAMILY_GUARDS or named_object or "data" in parameters:
            statuses.append(403)
        if guards & _FAMILY_GUARDS or named_object:
            statuses.append(404)
    if any(
        name not in RESERVED_KWARGS - {"data"} and not field.is_di_field for name, field in parameters.items()
    ):
        statuses.append(422)
    if path.startswith("/api/"):
        statuses.append(429)
    return statuses


def answer_options(request: Request[Any, Any, Any]) -> Response[None] | None:
    """``OPTIONS`` lists every method of the path in ``Allow``.

    Litestar's automatic OPTIONS lists only the first handler's methods when several handlers share
    a path (litestar#4169, fixed in v3): ``GET`` without ``PUT`` on ``/api/payment/account``. A CORS
    preflight is left to the CORS middleware.
    """
    if request.method != "OPTIONS" or "access-control-request-method" in request.headers:
        return None
    methods = request.app.route_handler_method_map
    allowed = {m for path in request.route_handler.paths for m in methods.get(path, ())}
    if not allowed:
        return None
    return Response(None, status_code=204, headers={"Allow": ", ".join(sorted(allowed))})
