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

import atexit
import functools
import logging
import queue
import re
import sqlite3
import sys
import time
import traceback
from logging.handlers import QueueHandler, QueueListener
from types import TracebackType
from typing import Any

import structlog
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.exc import StatementError

from .principal import Principal
from .requestid import REQUEST_ID, request_id_from

__all__ = [
    "LogHandoff",
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
    # each shape holds one of these: a line without any (a request's, nearly always) is left as it
    # is without the pattern's scan, which was a third of a request line's cost (16 µs of ~48)
    if "@" not in text and "$argon2" not in text and "eyJ" not in text:
        return text
    return _SECRET_VALUE.sub(REDACTED, text)


@functools.lru_cache(maxsize=1024)
def _secret_name(key: str) -> bool:
    """Whether a field's name looks secret (a few dozen names, each looked at once, not per line)."""
    return _SECRET_NAME.search(key) is not None


def drop_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: remove every field whose name looks like a secret, blank secret-looking
    values in the others, and render a traceback without database error text."""
    kept: dict[str, Any] = {}
    for key, value in event.items():
        if key != "event" and _secret_name(key):
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


class _Handoff(QueueHandler):
    """The root logger's one handler while a :class:`LogHandoff` runs: a record is queued for the
    writer thread, or (once stopped) handed to the writing handlers at once."""

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord], listener: QueueListener) -> None:
        super().__init__(records)
        self.listener = listener
        self.direct = False
        # before the record is queued: a traceback is rendered here, from the record's exc_info
        self.addFilter(LogScrubber())

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # a request's line (structlog renders it before the record exists) is a finished string:
        # queued as it is, not copied and formatted here; arguments, a traceback or a stack are
        # rendered now (from objects that may change or be gone by the time the writer gets to them)
        if type(record.msg) is str and not record.args and not record.exc_info and not record.stack_info:
            return record
        return super().prepare(record)

    def emit(self, record: logging.LogRecord) -> None:
        if self.direct:
            self.listener.handle(record)
        else:
            super().emit(record)


class LogHandoff:
    """Log lines written by one thread of their own, not by the thread that logs them.

    A request's line was written to the log file (or the terminal) in the event loop: a system call
    per request on the loop every request waits for (bench ``m``: 4 % of the server process at 300
    requests/s). While it runs (:meth:`start` to :meth:`stop`, the app's lifespan), the root logger's
    handlers are fed from a queue by a thread, in the order the lines were logged; the scrubbing
    (:class:`LogScrubber`) happens before a record is queued. :meth:`stop` writes every line still
    queued and puts the handlers back; a line logged meanwhile waits for those, so none is lost or
    overtaken. Lines logged after it (or at exit without it) are written by the thread that logs them.
    """

    def __init__(self) -> None:
        self._handoff: _Handoff | None = None
        self._handlers: list[logging.Handler] = []

    def start(self) -> None:
        root = logging.getLogger()
        if self._handoff is not None or not root.handlers:
            return
        scrub_handlers(root)
        self._handlers = list(root.handlers)
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        listener = QueueListener(records, *self._handlers, respect_handler_level=True)
        self._handoff = _Handoff(records, listener)
        listener.start()
        for handler in self._handlers:
            root.removeHandler(handler)
        root.addHandler(self._handoff)
        atexit.register(self.stop)  # an exit that skips the lifespan's end still writes the queue

    def stop(self) -> None:
        handoff, self._handoff = self._handoff, None
        if handoff is None:
            return
        atexit.unregister(self.stop)
        handoff.listener.stop()  # every line queued so far is written
        records = handoff.queue
        with handoff.lock:  # held by a thread while it queues a line (Handler.handle)
            while True:  # lines queued after the listener's last one
                try:
                    handoff.listener.handle(records.get_nowait())
                except queue.Empty:
                    break
            handoff.direct = True
        root = logging.getLogger()
        root.removeHandler(handoff)
        for handler in self._handlers:
            root.addHandler(handler)


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
