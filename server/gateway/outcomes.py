"""A processed mutation's outcome as stored in the log, and as a device or a REST caller reads it."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.protocol import MutationResult, Outcome

from ..db.models import MutationRow

__all__ = ["OUTCOME_COLUMNS", "StoredOutcome", "args_hash", "mutation_at", "stored_result"]


def args_hash(name: str, args: dict[str, Any]) -> str:
    """What makes two sends of one mutation id the same mutation (a retry), or a reuse."""
    canonical = json.dumps([name, args], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class StoredOutcome(Protocol):
    """What an outcome is built from: a mutation row, an alias row, or just their outcome columns."""

    mutation_id: str
    seq: int
    status: str
    code: str | None
    detail: dict[str, Any] | None
    server_seq: int | None


OUTCOME_COLUMNS = ("mutation_id", "seq", "status", "code", "detail", "server_seq")
"""The columns :func:`stored_result` reads, to select them alone (a pull reads a thousand)."""


def stored_result(row: StoredOutcome) -> MutationResult:
    return MutationResult(
        seq=row.seq,
        id=row.mutation_id,
        status=Outcome(row.status),
        code=row.code,
        detail=row.detail,
        server_seq=row.server_seq,
    )


def mutation_at(session: Session, client_id: str, seq: int) -> MutationRow | None:
    return session.scalars(
        select(MutationRow).where(MutationRow.client_id == client_id, MutationRow.seq == seq)
    ).first()
