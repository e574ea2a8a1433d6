"""A device's confirmed copy of the server state it may see, built from pull changes.

Pure: the device's store persists ``entities`` however it likes; this module applies pulls to them
and turns them into :class:`MemoryBook` s for the rebase and the screens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from .book import MemoryBook
from .market import Quote
from .protocol import Change
from .rebase import balances_checksum
from .records import Position, Request, Stats, Trade
from .rules import HouseRules

__all__ = ["Replica"]

Entities = dict[str, dict[str, dict[str, Any]]]


@dataclass
class Replica:
    """Entity name → id → data, exactly as the server sent them."""

    entities: Entities = field(default_factory=dict)

    def apply(self, changes: Iterable[Change], *, reset: bool) -> None:
        """Apply one pull's changes; a reset replaces everything (quotes are kept: they are immutable)."""
        if reset:
            self.entities = {"quote": self.entities.get("quote", {})}
        for change in changes:
            table = self.entities.setdefault(change.entity, {})
            if change.op == "del":
                table.pop(change.id, None)
            else:
                table[change.id] = change.data or {}

    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        return self.entities.get(entity, {})

    def children(self) -> list[str]:
        return sorted({d["child_id"] for d in self.table("balance").values()} |
                      {d["child_id"] for d in self.table("stats").values()})

    def balances(self, child_id: str) -> dict[str, int]:
        rows = self.table("balance").values()
        return {d["account"]: int(d["balance"]) for d in rows if d["child_id"] == child_id}

    def checksums(self) -> dict[str, str]:
        return {child: balances_checksum(self.balances(child)) for child in self.children()}

    def quotes(self) -> dict[str, Quote]:
        return {qid: msgspec.convert(d, Quote, strict=False) for qid, d in self.table("quote").items()}

    def book(self, child_id: str) -> MemoryBook:
        """The child's confirmed state as a book the shared rules can decide against."""
        quotes = self.quotes()
        book = MemoryBook(child_id=child_id, balances=self.balances(child_id))
        for d in self.table("position").values():
            if d["child_id"] == child_id:
                position = Position(symbol=d["symbol"], quantity=d["quantity"], cost=d["cost"])
                book.positions_[d["symbol"]] = position
        for d in self.table("trade").values():
            if d["child_id"] == child_id:
                book.trades[d["trade_id"]] = msgspec.convert(d, Trade, strict=False)
        for d in self.table("request").values():
            if d["child_id"] == child_id:
                book.requests_[d["request_id"]] = msgspec.convert(d, Request, strict=False)
        stats = self.table("stats").get(child_id)
        book.stats_ = msgspec.convert(stats, Stats, strict=False) if stats else None
        rules = self.table("rules").get(child_id)
        if rules:
            fields = {k: v for k, v in rules.items() if k not in ("child_id", "version")}
            book.rules_ = msgspec.convert(fields, HouseRules, strict=False)
        for quote in sorted(quotes.values(), key=lambda q: q.seq):
            book.add_quote(quote)
        book.parents = sum(1 for d in self.table("member").values() if d.get("role") == "parent")
        return book
