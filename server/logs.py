"""Structured JSON logs that never carry bodies, passwords, PINs, tokens or codes.

Only the request line's method and route, the status, the duration and the caller's opaque user id
are logged per request. A processor drops any field whose name looks secret, as a second line of
defence against a future ``log.info(..., password=...)``.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import structlog
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from .principal import Principal

__all__ = ["RequestLogMiddleware", "configure_logging", "drop_secrets", "get_logger"]

_SECRET_NAME = re.compile(
    r"password|passwd|pin|token|secret|authorization|cookie|^code$|pepper", re.IGNORECASE
)
_configured = False


def drop_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: remove every field whose name looks like a secret."""
    return {k: v for k, v in event.items() if k == "event" or not _SECRET_NAME.search(k)}


def configure_logging(level: int = logging.INFO) -> None:
    """Route structlog through the standard library as one JSON object per line (idempotent)."""
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            drop_secrets,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.getLogger("yongdon").setLevel(level)
    _configured = True


def get_logger(name: str) -> Any:
    configure_logging()
    return structlog.stdlib.get_logger(name)


class RequestLogMiddleware(ASGIMiddleware):
    """One line per request: method, route template, status, milliseconds, user id.

    A WebSocket logs once when it ends, as method ``WS`` with its close code (``101`` when the
    socket was accepted and closed without one).
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        websocket = scope["type"] == "websocket"
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
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
            get_logger("yongdon.http").info(
                "request",
                method="WS" if websocket else scope.get("method"),
                route=scope.get("path_template") or "?",
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                user_id=user.user_id if isinstance(user, Principal) else None,
            )
