"""The id of the request being served, carried into the work it leaves for later.

The request log middleware sets it for each request (taking a well-formed ``X-Request-ID`` from the
proxy, else making one); sync handlers run in worker threads that inherit it. An outbox event
records it (the column's default), so the background job that delivers the event logs the same id.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

__all__ = ["REQUEST_ID", "current_request_id", "request_id_from"]

REQUEST_ID: ContextVar[str | None] = ContextVar("yongdon_request_id", default=None)
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,40}$")


def current_request_id() -> str | None:
    return REQUEST_ID.get()


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is a plain token of 8–40 characters, else a new one."""
    if header and _WELL_FORMED.match(header):
        return header
    return uuid.uuid4().hex
