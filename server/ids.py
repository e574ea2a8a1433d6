"""Server-made identifiers: UUIDv7 (time-ordered, so indexes stay compact)."""

from __future__ import annotations

import uuid_utils

__all__ = ["new_id"]


def new_id() -> str:
    return str(uuid_utils.uuid7())
