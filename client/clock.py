"""Time and ids made on the device: UTC ``now`` and UUIDv7 (time-ordered, so ids sort by creation)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["new_id", "utcnow", "uuid7"]


def utcnow() -> datetime:
    """The device clock, aware UTC. Only for display and staleness hints: order comes from ``seq``."""
    return datetime.now(UTC)


def uuid7() -> uuid.UUID:
    """RFC 9562 UUIDv7 in pure Python: 48-bit Unix milliseconds, then 74 random bits.

    The fallback where ``uuid-utils`` (a compiled wheel) is missing, e.g. a mobile build.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits; 74 are used
    value = (millis & (2**48 - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand & (2**62 - 1)  # rand_b, 62 bits
    return uuid.UUID(int=value)


_make: Callable[[], object]
try:
    from uuid_utils import uuid7 as _make
except ImportError:  # pragma: no cover - exercised on platforms without the wheel
    _make = uuid7


def new_id() -> str:
    """A fresh UUIDv7 string: client ids, mutation ids, trade/request/grant ids."""
    return str(_make())
