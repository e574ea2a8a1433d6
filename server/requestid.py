"""The id of the request being served, carried into the work it leaves for later.

The request log middleware sets it for each request (taking a well-formed ``X-Request-ID`` from the
proxy, else making one); sync handlers run in worker threads that inherit it. An outbox event
records it (the column's default), so the background job that delivers the event logs the same id.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from contextvars import ContextVar

__all__ = ["REQUEST_ID", "current_request_id", "request_id_from"]

REQUEST_ID: ContextVar[str | None] = ContextVar("yongdon_request_id", default=None)
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,40}$")


def current_request_id() -> str | None:
    return REQUEST_ID.get()


# A made id is this process's random prefix and a counter (32 hex digits): unique across processes
# and restarts without reading the system's randomness on every request (an id names, it guards nothing)
_PREFIX = secrets.token_hex(8)
_NEXT = itertools.count()


def _new_prefix() -> None:
    global _PREFIX
    _PREFIX = secrets.token_hex(8)  # a forked child must not repeat its parent's ids


os.register_at_fork(after_in_child=_new_prefix)


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is a plain token of 8–40 characters, else a new one."""
    if header and _WELL_FORMED.match(header):
        return header
    return f"{_PREFIX}{next(_NEXT):016x}"
