"""The client-side rebase: confirmed state ⊕ replay(pending), with the same rules as the server."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .book import MemoryBook
from .context import Context
from .errors import Rejected
from .handlers import decide, target_child
from .ledger import nonzero
from .records import Actor

__all__ = ["Pending", "Replayed", "balances_checksum", "rebase"]


@dataclass(frozen=True)
class Pending:
    seq: int
    mutation_id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Replayed:
    """The predicted outcome of one pending mutation: ``at_risk`` when the rules say no locally."""

    seq: int
    at_risk: bool
    code: str | None = None


def rebase(
    confirmed: Mapping[str, MemoryBook], pending: Iterable[Pending], actor: Actor, now: datetime
) -> tuple[dict[str, MemoryBook], list[Replayed]]:
    """Replay ``pending`` (in seq order) over forks of the confirmed books.

    A mutation that fails locally is kept and marked at risk: only the server decides. The confirmed
    books are never changed, and must not change while the returned view is in use (the view reads
    through to them: its cost is what is pending, not the history).
    """
    view = {child: book.fork() for child, book in confirmed.items()}
    outcomes: list[Replayed] = []
    for item in sorted(pending, key=lambda p: p.seq):
        child = target_child(item.name, item.args, actor)
        book = view.get(child) if child else None
        if book is None:
            outcomes.append(
                Replayed(item.seq, at_risk=child is not None, code="NOT_FOUND" if child else None)
            )
            continue
        try:
            book.apply(decide(item.name, item.args, book, Context(actor, child or "", now, item.mutation_id)))
        except Rejected as rejected:
            outcomes.append(Replayed(item.seq, at_risk=True, code=rejected.code.value))
        except (KeyError, ValueError):
            outcomes.append(Replayed(item.seq, at_risk=True, code="INVALID_ARGS"))
        else:
            outcomes.append(Replayed(item.seq, at_risk=False))
    return view, outcomes


def balances_checksum(balances: Mapping[str, int]) -> str:
    """SHA-256 of a child's non-zero balances in canonical JSON: what server and device compare."""
    canonical = json.dumps(nonzero(balances), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
