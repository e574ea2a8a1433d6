"""The store's rows as the rest of the client sees them (plain frozen dataclasses)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.errors import Code

__all__ = ["IdentityRow", "InvalidMutation", "PendingRow", "StoredOutcome", "dumps", "parse_time"]


class InvalidMutation(ValueError):
    """A screen asked for a mutation this build cannot express (unknown name or bad arguments)."""

    code = Code.INVALID_ARGS.value


@dataclass(frozen=True)
class IdentityRow:
    client_id: str
    user_id: str
    role: str
    family_id: str
    display_name: str
    server_url: str


@dataclass(frozen=True)
class PendingRow:
    seq: int
    mutation_id: str
    name: str
    args: dict[str, Any]
    base_cursor: int
    created_at: datetime
    first_sent_at: datetime | None
    local_status: str
    at_risk: bool
    code: str | None


@dataclass(frozen=True)
class StoredOutcome:
    mutation_id: str
    seq: int
    name: str
    args: dict[str, Any]
    status: str
    code: str | None
    detail: dict[str, Any] | None
    server_seq: int | None
    seen: bool
    created_at: datetime | None = None  # when it was made on the device (None: recorded before 0004)


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
