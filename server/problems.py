"""Every error leaves as RFC 9457 ``application/problem+json`` with a stable ``code``.

Litestar's own exceptions are translated here once: validation errors (including unknown fields in a
body) become 422 ``INVALID_ARGS``; a body that is not JSON at all is 400 ``INVALID_ARGS``
(``server.inbound``); a value the database refuses (a NUL in text, a number beyond its column) is 422
``INVALID_ARGS`` as a backstop behind the schemas; anything unexpected becomes a bare 500 ``INTERNAL``
whose body says nothing about the internals (the traceback goes to the log only, without the text of
a database error, which quotes row values).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import DataError

from sync.errors import Code, ProtocolCode

from .auth.middleware import refused_standing
from .db import TemporaryFailure
from .errors import DomainError, ProblemError
from .logs import safe_traceback

__all__ = ["EXCEPTION_HANDLERS", "STATUS", "Problem", "documented", "problem_response", "status_of"]

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("yongdon.errors")

_CODE_OF_STATUS = {
    401: ProtocolCode.UNAUTHENTICATED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    409: ProtocolCode.CONFLICT,
    429: ProtocolCode.RATE_LIMITED,
    503: ProtocolCode.UNAVAILABLE,
}


STATUS: dict[str, int] = {
    # who is asking, and may they
    ProtocolCode.UNAUTHENTICATED: 401,
    Code.FORBIDDEN: 403,
    ProtocolCode.STEP_UP_REQUIRED: 403,
    ProtocolCode.ACCOUNT_DISABLED: 403,  # the operator disabled the family: no sign-in, no refresh
    Code.NOT_FOUND: 404,  # also another family's object: it does not exist for the caller
    # what they sent
    Code.INVALID_ARGS: 422,
    ProtocolCode.VERSION_NOT_SUPPORTED: 400,
    ProtocolCode.GAP: 409,
    ProtocolCode.CLIENT_STATE_DIVERGED: 409,
    ProtocolCode.CONFLICT: 409,
    # how often, and whether now
    Code.RATE_LIMITED: 429,
    ProtocolCode.UNAVAILABLE: 503,
    ProtocolCode.PROVIDER_FAILED: 502,
    Code.INTERNAL: 500,
    # a parent's sign-in through an OpenID Connect provider
    ProtocolCode.OIDC_PENDING: 409,
    ProtocolCode.OIDC_STATE_INVALID: 400,
    ProtocolCode.OIDC_TOKEN_INVALID: 401,
    ProtocolCode.OIDC_CANCELLED: 403,
    ProtocolCode.OIDC_EMAIL_UNVERIFIED: 403,
    ProtocolCode.OIDC_NO_PARENT: 403,
    # a parent's phone number for SMS
    ProtocolCode.PHONE_CODE_WRONG: 422,
    ProtocolCode.PHONE_CODE_EXPIRED: 409,
}
"""The one map from a stable code to its HTTP status. Every other rejection code (a rule of the
game said no: ``INSUFFICIENT_FUNDS``, ``REQUEST_CHANGED``, …) is a 409: the request was
understood and is refused in the state the family's books are in."""
RULE_REFUSED = 409

ABSENT_ON_READ: frozenset[str] = frozenset({Code.SYMBOL_UNKNOWN, Code.QUOTE_UNKNOWN})
"""Codes that a read (``GET``) answers when what it asks for does not exist: 404. A change refused
with them (an order for a symbol without a price) is a rule's answer: 409, as above."""


def status_of(code: str, *, read: bool = False) -> int:
    if read and code in ABSENT_ON_READ:
        return 404
    return STATUS.get(code, RULE_REFUSED)


class Problem(msgspec.Struct):
    """RFC 9457 problem details with our stable ``code`` (extra members depend on the code)."""

    type: str
    title: str
    status: int
    code: str
    detail: str


def documented(*statuses: int, codes: Iterable[str] = ()) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses`` for the problem statuses a route can answer; ``codes`` are stable codes
    only this route answers, each named in the description of its status (``status_of``)."""
    named: dict[int, list[str]] = {}
    for code in codes:
        named.setdefault(status_of(code), []).append(str(code))
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=HTTPStatus(status).phrase
            + (f" (code: {', '.join(named[status])})" if status in named else ""),
            generate_examples=False,
        )
        for status in sorted({*statuses, *named})
    }


def problem_response(
    status: int,
    code: str,
    detail: str = "",
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {"type": "about:blank", "title": title, "status": status, "code": str(code), "detail": detail}
    body.update(extra or {})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


Handler = Callable[[Request[Any, Any, Any], Any], Response[dict[str, Any]]]


def _problem(_: Request[Any, Any, Any], error: ProblemError) -> Response[dict[str, Any]]:
    return problem_response(error.status, error.code, error.detail, extra=error.extra, headers=error.headers)


def _domain(request: Request[Any, Any, Any], error: DomainError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    status = status_of(error.code, read=request.method in ("GET", "HEAD"))
    return problem_response(status, error.code, error.detail, extra=error.extra, headers=headers)


def _validation(_: Request[Any, Any, Any], error: ValidationException) -> Response[dict[str, Any]]:
    issues = [
        {"key": item.get("key"), "message": item.get("message")}
        for item in (error.extra if isinstance(error.extra, list) else [])
        if isinstance(item, dict)
    ]
    # "display_name: Expected `str` matching …": which field, then why, as the services' own refusals say
    detail = "; ".join(f"{i['key']}: {i['message']}" if i["key"] else str(i["message"]) for i in issues)
    detail = detail or "the request is not valid"
    return problem_response(422, Code.INVALID_ARGS, detail, extra={"errors": issues})


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    status = error.status_code
    if status >= 500:
        return _internal(request, error)
    code = _CODE_OF_STATUS.get(status, Code.INVALID_ARGS)
    headers = {k: v for k, v in (error.headers or {}).items() if k.lower() in {"allow", "retry-after"}}
    # 400 covers malformed JSON and bad parameters: the same contract as a validation error
    if status == 400:
        return problem_response(422, Code.INVALID_ARGS, "the request is not valid")
    return problem_response(
        status, code, str(error.detail) if status != 404 else "not found", headers=headers
    )


def _temporary(_: Request[Any, Any, Any], error: TemporaryFailure) -> Response[dict[str, Any]]:
    return problem_response(503, ProtocolCode.UNAVAILABLE, "busy, try again", headers={"Retry-After": "1"})


def _refused_by_database(request: Request[Any, Any, Any], error: DataError) -> Response[dict[str, Any]]:
    # the schemas should have refused the value first: worth a line, without the value
    _log.warning(
        "the database refused a value on %s %s: %s",
        request.method,
        _route(request),
        type(error.orig).__name__,
    )
    return problem_response(422, Code.INVALID_ARGS, "a value in the request is not acceptable")


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    _log.error("unhandled error on %s %s\n%s", request.method, _route(request), safe_traceback(error))
    return problem_response(500, Code.INTERNAL, "something went wrong on the server")


def _route(request: Request[Any, Any, Any]) -> str:
    """The route template, not the path: a path's parameters are the request's, and stay out of logs."""
    return str(request.scope.get("path_template") or "?")


def _standing_first(handler: Handler) -> Handler:
    """``handler``, unless it refuses the request as bad input (400, 422) before the route's handler
    confirmed the caller still stands (``server.auth.middleware.STANDING_IN_HANDLER``: a body that
    did not parse) and the caller does not: then the 401. A revoked device must hear "sign in again"
    before anything about its request, as from every other route. The read runs in the event loop,
    and only for such refusals: not for a rate limit's 429 (refusing a flood stays cheap), nor after
    a handler that confirmed standing (nothing left to read)."""

    def answer(request: Request[Any, Any, Any], error: Any) -> Response[dict[str, Any]]:
        response = handler(request, error)
        if response.status_code in (400, 422) and (refused := refused_standing(request)) is not None:
            return _problem(request, refused)
        return response

    return answer


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    ProblemError: _standing_first(_problem),
    DomainError: _standing_first(_domain),
    ValidationException: _standing_first(_validation),
    HTTPException: _standing_first(_http),
    TemporaryFailure: _temporary,
    DataError: _refused_by_database,
    Exception: _internal,
}
