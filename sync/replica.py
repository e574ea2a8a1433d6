"""A device's confirmed copy of the server state it may see, built from pull changes.

Pure: the device's store persists ``entities`` however it likes; this module applies pulls to them
and turns them into :class:`MemoryBook` s for the rebase and the screens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from .book import MemoryBook
from .market import Quote
from .protocol import Change
from .rebase import balances_checksum
from .records import Position, Request, Stats, Trade
from .rules import HouseRules

__all__ = ["Replica", "advance"]

# the entities a book is built from (the others, e.g. notifications, never change a book)
_BOOK_ENTITIES = frozenset({"balance", "position", "trade", "request", "stats", "rules", "quote", "member"})

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

    def copy(self) -> Replica:
        """A copy to apply a pull to: the tables are copied, the rows shared (``apply`` replaces or
        drops a row, it never changes one), so it costs the number of rows, not a deep copy of them."""
        return Replica(entities={entity: dict(rows) for entity, rows in self.entities.items()})

    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        return self.entities.get(entity, {})

    def children(self) -> list[str]:
        return sorted(
            {d["child_id"] for d in self.table("balance").values()}
            | {d["child_id"] for d in self.table("stats").values()}
        )

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


class _Rebuild(Exception):
    """Only a full :meth:`Replica.book` can say what the books are after these changes."""


def advance(books: Mapping[str, MemoryBook], changes: Iterable[Change]) -> dict[str, MemoryBook] | None:
    """The confirmed books after one pull's ``changes`` (not a reset), as ``Replica.book`` would
    build them from the changed replica, in time proportional to the changes: a child whose rows
    changed gets a fork of its book with them applied, the others keep theirs. ``None`` when only a
    full build can say (a deletion, a member change, a child not in ``books``)."""
    forks: dict[str, MemoryBook] = {}

    def fork(child: str) -> MemoryBook:
        if child not in books:
            raise _Rebuild
        if child not in forks:
            forks[child] = books[child].fork()
        return forks[child]

    quotes: list[Quote] = []
    try:
        for change in changes:
            if change.entity not in _BOOK_ENTITIES:
                continue
            if change.op != "put" or change.entity == "member":
                return None
            d = change.data or {}
            if change.entity == "balance":
                fork(d["child_id"]).set_balance(d["account"], int(d["balance"]))
            elif change.entity == "position":
                position = Position(symbol=d["symbol"], quantity=d["quantity"], cost=d["cost"])
                fork(d["child_id"]).put(position)
            elif change.entity == "trade":
                fork(d["child_id"]).put(msgspec.convert(d, Trade, strict=False))
            elif change.entity == "request":
                fork(d["child_id"]).put(msgspec.convert(d, Request, strict=False))
            elif change.entity == "stats":
                fork(change.id).put(msgspec.convert(d, Stats, strict=False))
            elif change.entity == "rules":
                fields = {k: v for k, v in d.items() if k not in ("child_id", "version")}
                fork(change.id).put(msgspec.convert(fields, HouseRules, strict=False))
            else:
                quotes.append(msgspec.convert(d, Quote, strict=False))
        for quote in sorted(quotes, key=lambda q: q.seq):
            for child in books:
                book = fork(child)
                served = book.newest_served_quote(quote.symbol)
                book.add_quote(quote, served=served is None or quote.seq >= served.seq)
    except _Rebuild:
        return None
    return {child: forks.get(child, book) for child, book in books.items()}
