"""Structured JSON logs that never carry bodies, request parameters, passwords, PINs, tokens or codes.

Only the request line's method and route, the status, the duration and the caller's opaque user id
are logged per request. Behind that, three lines of defence against a future slip:

- a structlog processor drops any field whose name looks secret and blanks values that look like one
  (an Argon2 hash, a JWT, an e-mail address) wherever they appear;
- :class:`LogScrubber`, a filter on the process's log handlers, does the same to every stdlib record;
- a logged traceback keeps its frames but not the text of a database error, which carries row values
  (PostgreSQL's ``DETAIL: Key (email)=(…)``); SQLAlchemy never renders parameters (``hide_parameters``).
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
import sys
import time
import traceback
from types import TracebackType
from typing import Any

import structlog
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.exc import StatementError

from .principal import Principal
from .requestid import REQUEST_ID, request_id_from

__all__ = [
    "LogScrubber",
    "RequestLogMiddleware",
    "configure_logging",
    "drop_secrets",
    "get_logger",
    "safe_traceback",
    "scrub",
    "scrub_handlers",
]

_SECRET_NAME = re.compile(
    r"password|passwd|pin|token|secret|authorization|cookie|^code$|pepper|email", re.IGNORECASE
)
_SECRET_VALUE = re.compile(
    r"\$argon2\w*\$\S*"  # a password or PIN hash
    r"|eyJ[\w-]{8,}\.[\w-]*\.?[\w-]*"  # a JWT (its header always starts with '{"')
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # an e-mail address
)
REDACTED = "[redacted]"
_configured = False


def scrub(text: str) -> str:
    """``text`` with every value that looks like a hash, a token or an e-mail address blanked."""
    return _SECRET_VALUE.sub(REDACTED, text)


def drop_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: remove every field whose name looks like a secret, blank secret-looking
    values in the others, and render a traceback without database error text."""
    kept: dict[str, Any] = {}
    for key, value in event.items():
        if key != "event" and _SECRET_NAME.search(key):
            continue
        if key == "exc_info" and value:
            key, value = "exception", safe_traceback(value)
        kept[key] = scrub(value) if isinstance(value, str) else value
    return kept


def _is_database_error(error: BaseException) -> bool:
    module = type(error).__module__
    return isinstance(error, StatementError | sqlite3.Error) or module.split(".")[0] == "psycopg"


def safe_traceback(exc_info: Any) -> str:
    """A traceback (causes included) whose database errors show their type and SQLSTATE, never their
    text: a driver's message quotes the values of the row (``Key (email)=(…) already exists``)."""
    if exc_info is True:
        exc_info = sys.exc_info()
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if not isinstance(error, BaseException):
        return ""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(_one_exception(current, current.__traceback__))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n\nwhile handling the above, or because of it:\n".join(reversed(parts))


def _one_exception(error: BaseException, tb: TracebackType | None) -> str:
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    if _is_database_error(error):
        orig = getattr(error, "orig", None)
        state = getattr(orig if orig is not None else error, "sqlstate", None)
        detail = f"{name} ({type(orig).__module__}.{type(orig).__qualname__})" if orig is not None else name
        message = f"{detail}{f' SQLSTATE {state}' if state else ''}: [database error text not logged]"
    else:
        message = scrub("".join(traceback.format_exception_only(type(error), error)).strip())
    return "Traceback (most recent call last):\n" + "".join(traceback.format_tb(tb)) + message


class LogScrubber(logging.Filter):
    """A handler filter: the record's message and traceback as :func:`scrub` and :func:`safe_traceback`
    leave them, so a value logged by any library never reaches the log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = safe_traceback(record.exc_info)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """Route structlog through the standard library as one JSON object per line (idempotent)."""
    scrub_handlers()  # every call: the CLI adds its handler after some module may have logged
    _configure_structlog(level)


def _configure_structlog(level: int = logging.INFO) -> None:
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            drop_secrets,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.getLogger("yongdon").setLevel(level)
    # httpx logs each request's full URL at INFO; a Toss billing charge's URL carries the card's
    # billing key (server.payment.billing), so its request lines stay below the server's level
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _configured = True


def scrub_handlers(logger: logging.Logger | None = None) -> None:
    """Put a :class:`LogScrubber` on every handler of ``logger`` (the root logger), once each."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, LogScrubber) for f in handler.filters):
            handler.addFilter(LogScrubber())


def get_logger(name: str) -> Any:
    _configure_structlog()
    return structlog.stdlib.get_logger(name)


@functools.cache
def _http_log() -> Any:
    """The request log's logger, made once: structlog caches its processors on first use."""
    return get_logger("yongdon.http")


class RequestLogMiddleware(ASGIMiddleware):
    """One line per request: method, route template, status, milliseconds, user id, request id.

    A WebSocket logs once when it ends, as method ``WS`` with its close code (``101`` when the
    socket was accepted and closed without one). The request id (the proxy's ``X-Request-ID`` when
    well formed) is bound for everything the request logs or leaves behind (:mod:`server.requestid`)
    and sent back in ``X-Request-ID``.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        websocket = scope["type"] == "websocket"
        status = 500
        proxied = next((v for k, v in scope.get("headers") or () if k == b"x-request-id"), b"")
        request_id = request_id_from(proxied.decode("latin-1"))
        token = REQUEST_ID.set(request_id)
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            elif kind == "websocket.accept":
                status = 101
            elif kind == "websocket.close":
                status = message.get("code", 1000)
            await send(message)

        try:
            await next_app(scope, receive, send_wrapper)
        except Exception as error:
            # raised by an inner middleware (auth, rate limit): the outer handler turns it into a response
            status = getattr(error, "status", None) or getattr(error, "status_code", 500)
            raise
        finally:
            user = scope.get("user")
            _http_log().info(
                "request",
                method="WS" if websocket else scope.get("method"),
                route=scope.get("path_template") or "?",
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                user_id=user.user_id if isinstance(user, Principal) else None,
            )
            structlog.contextvars.reset_contextvars(**bound)
            REQUEST_ID.reset(token)
