"""Hostile input stops at the door, the same way on every route.

- A body that cannot be read as JSON (bytes that are not UTF-8, broken syntax, nesting deeper than the
  decoder's stack allows) is 400 ``INVALID_ARGS``: :class:`GuardedRequest`.
- An integer in a body is a signed 64-bit integer (the database's ``bigint``), and an integer path or
  query parameter is at most 2**53 - 1 in magnitude (what every JSON number, and so the OpenAPI
  document, states exactly): a larger one is 422 ``INVALID_ARGS`` before any handler or query sees it.
- A path or query string carrying control characters (``%00`` …) is 422 ``INVALID_ARGS``: no id,
  symbol or search word has one, and PostgreSQL refuses NUL in text.

Text fields of bodies are validated by their struct types (``server.text``); mutation arguments by
``sync.protocol`` so that one bad mutation is rejected without blocking a device's queue.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.enums import ParamType
from litestar.exceptions import SerializationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg

from sync.errors import Code

from .errors import DomainError, ProblemError
from .wire import CONTROL

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "PARAMETER_INT_MAX",
    "GuardedRequest",
    "check_parameters",
    "has_wide_integer",
]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PARAMETER_INT_MAX = 2**53 - 1
_CONTROL = re.compile(f"[{CONTROL}]")


class GuardedRequest(Request[Any, Any, Any]):
    """A request whose JSON body is refused with a stable problem instead of a 500."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except UnicodeDecodeError as error:  # msgspec raises it (not DecodeError) inside a string
            raise _unreadable("the request body is not valid UTF-8") from error
        except RecursionError as error:
            raise _unreadable("the request body is nested too deeply") from error
        except SerializationException as error:
            raise _unreadable("the request body is not valid JSON") from error
        if has_wide_integer(value):
            raise _invalid("an integer in the request body does not fit in 64 bits")
        return value


def check_parameters(request: Request[Any, Any, Any]) -> None:
    """Refuse control characters in the path or query, and integer parameters beyond 2**53 - 1."""
    if _CONTROL.search(request.scope["path"]) or any(
        _CONTROL.search(key) or _CONTROL.search(value) for key, value in request.query_params.multi_items()
    ):
        raise _invalid("the address contains control characters")
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return
    for where, name in _integer_parameters(handler):
        raw = request.path_params.get(name) if where == "path" else request.query_params.get(name)
        if raw is None:
            continue
        try:
            number = int(raw)
        except (TypeError, ValueError):
            continue  # not a number at all: the handler's own validation answers 422
        if abs(number) > PARAMETER_INT_MAX:
            raise _invalid(f"the parameter {name!r} is out of range")


def _integer_parameters(handler: HTTPRouteHandler) -> list[tuple[str, str]]:
    """``(where, name)`` of the handler's integer path and query parameters (its parsed signature is
    cached by Litestar, so this is a walk over a handful of fields)."""
    in_path = {name for path in handler.paths for name in re.findall(r"\{(\w+)", path)}
    found = []
    for name, field in handler.parsed_fn_signature.parameters.items():
        if field.is_subclass_of(bool) or not (field.is_subclass_of(int) or field.has_inner_subclass_of(int)):
            continue
        kwarg = field.kwarg_definition
        if isinstance(kwarg, ParameterKwarg) and kwarg.param_type in (ParamType.HEADER, ParamType.COOKIE):
            continue
        alias = kwarg.name if isinstance(kwarg, ParameterKwarg) and kwarg.name else name
        found.append(("path" if name in in_path else "query", alias))
    return found


def has_wide_integer(value: Any) -> bool:
    stack = [value]  # iterative: a body may be nested as deep as the decoder allowed
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if not INT64_MIN <= item <= INT64_MAX:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _unreadable(detail: str) -> ProblemError:
    # the one status not the map's: INVALID_ARGS is 422 for a body read and refused, and 400 here,
    # for one that cannot be read at all (the OpenAPI document states both)
    return ProblemError(400, Code.INVALID_ARGS, detail)


def _invalid(detail: str) -> DomainError:
    return DomainError(Code.INVALID_ARGS, detail)
