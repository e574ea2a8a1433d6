"""Every error leaves as RFC 9457 ``application/problem+json`` with a stable ``code``.

Litestar's own exceptions are translated here once: validation errors (including unknown fields in a
body) become 422 ``INVALID_ARGS``; anything unexpected becomes a bare 500 ``INTERNAL`` whose body says
nothing about the internals (the traceback goes to the log only).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from sync.errors import Code, ProtocolCode

from .db import TemporaryFailure
from .errors import ProblemError

__all__ = ["EXCEPTION_HANDLERS", "Problem", "documented", "problem_response"]

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


class Problem(msgspec.Struct):
    """RFC 9457 problem details with our stable ``code`` (extra members depend on the code)."""

    type: str
    title: str
    status: int
    code: str
    detail: str


def documented(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses`` for the problem statuses a route can answer."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=HTTPStatus(status).phrase,
            generate_examples=False,
        )
        for status in statuses
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


def _problem(_: Request[Any, Any, Any], error: ProblemError) -> Response[dict[str, Any]]:
    return problem_response(error.status, error.code, error.detail, extra=error.extra, headers=error.headers)


def _validation(_: Request[Any, Any, Any], error: ValidationException) -> Response[dict[str, Any]]:
    issues = [
        {"key": item.get("key"), "message": item.get("message")}
        for item in (error.extra if isinstance(error.extra, list) else [])
        if isinstance(item, dict)
    ]
    return problem_response(422, Code.INVALID_ARGS, "the request is not valid", extra={"errors": issues})


def _http(_: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    status = error.status_code
    if status >= 500:
        return _internal(_, error)
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


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(500, Code.INTERNAL, "something went wrong on the server")


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    ProblemError: _problem,
    ValidationException: _validation,
    HTTPException: _http,
    TemporaryFailure: _temporary,
    Exception: _internal,
}
