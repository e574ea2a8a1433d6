"""What a mutation handler may read about one child, and an in-memory implementation.

The server implements :class:`Book` over its database (scoped to one child of one family), the
device over its local view tables; :class:`MemoryBook` is the in-memory twin used by the client's
rebase, by tests and by the replay oracle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from .context import kst_day
from .ledger import Entry, apply_entries
from .market import Quote
from .records import Position, Request, Stats, Trade
from .rules import HouseRules, Market

__all__ = ["Book", "MemoryBook"]


class Book(Protocol):
    """Read access to one child's state, as of the moment a mutation is decided."""

    child_id: str

    def balance(self, account: str) -> int: ...
    def position(self, symbol: str) -> Position: ...
    def positions(self) -> list[Position]: ...
    def trade(self, trade_id: str) -> Trade | None: ...
    def request(self, request_id: str) -> Request | None: ...
    def requests(self) -> list[Request]: ...
    def stats(self) -> Stats: ...
    def rules(self) -> HouseRules: ...
    def quote(self, quote_id: str) -> Quote | None: ...
    def latest_quote(self, symbol: str) -> Quote | None: ...
    def newest_served_quote(self, symbol: str) -> Quote | None: ...
    def fx_quote(self) -> Quote | None: ...
    def market_open(self, market: Market) -> bool: ...
    def trades_on_day(self, day: str) -> int: ...
    def parent_count(self) -> int: ...
    def grant_exists(self, grant_id: str) -> bool: ...


@dataclass
class MemoryBook:
    """A child's state in plain dictionaries; ``apply`` posts a handler's effects."""

    child_id: str
    rules_: HouseRules = field(default_factory=HouseRules)
    balances: dict[str, int] = field(default_factory=dict)
    positions_: dict[str, Position] = field(default_factory=dict)
    trades: dict[str, Trade] = field(default_factory=dict)
    requests_: dict[str, Request] = field(default_factory=dict)
    stats_: Stats | None = None
    quotes: dict[str, Quote] = field(default_factory=dict)
    served: dict[str, Quote] = field(default_factory=dict)
    open_markets: set[Market] = field(default_factory=lambda: {Market.KRX, Market.US})
    parents: int = 1
    grants: set[str] = field(default_factory=set)
    fx_symbol: str = "USDKRW=X"

    def balance(self, account: str) -> int:
        return self.balances.get(account, 0)

    def position(self, symbol: str) -> Position:
        return self.positions_.get(symbol) or Position(symbol=symbol)

    def positions(self) -> list[Position]:
        return [p for p in self.positions_.values() if p.quantity]

    def trade(self, trade_id: str) -> Trade | None:
        return self.trades.get(trade_id)

    def request(self, request_id: str) -> Request | None:
        return self.requests_.get(request_id)

    def requests(self) -> list[Request]:
        return list(self.requests_.values())

    def stats(self) -> Stats:
        return self.stats_ or Stats(child_id=self.child_id)

    def rules(self) -> HouseRules:
        return self.rules_

    def quote(self, quote_id: str) -> Quote | None:
        return self.quotes.get(quote_id)

    def latest_quote(self, symbol: str) -> Quote | None:
        candidates = [q for q in self.quotes.values() if q.symbol == symbol]
        return max(candidates, key=lambda q: (q.seq, q.as_of), default=None)

    def newest_served_quote(self, symbol: str) -> Quote | None:
        return self.served.get(symbol)

    def fx_quote(self) -> Quote | None:
        return self.latest_quote(self.fx_symbol)

    def market_open(self, market: Market) -> bool:
        return market in self.open_markets

    def trades_on_day(self, day: str) -> int:
        """Orders not rejected whose Korean calendar day (``kst_day``) is ``day``, as the server counts."""
        return sum(
            1
            for t in self.trades.values()
            if t.status != "rejected" and kst_day(t.created_at) == day
        )

    def parent_count(self) -> int:
        return self.parents

    def grant_exists(self, grant_id: str) -> bool:
        return grant_id in self.grants

    def add_quote(self, quote: Quote, *, served: bool = True) -> None:
        self.quotes[quote.quote_id] = quote
        if served:
            self.served[quote.symbol] = quote

    def apply(self, effects: Effects) -> None:
        """Post entries and store records (raises ``ValueError`` on a broken invariant)."""
        apply_entries(self.balances, effects.entries)
        for record in effects.records:
            self.put(record)
        self.grants.update(effects.grants)

    def put(self, record: Position | Trade | Request | Stats | HouseRules) -> None:
        if isinstance(record, Position):
            self.positions_[record.symbol] = record
        elif isinstance(record, Trade):
            self.trades[record.trade_id] = record
        elif isinstance(record, Request):
            self.requests_[record.request_id] = record
        elif isinstance(record, Stats):
            self.stats_ = record
        else:
            self.rules_ = record


@dataclass
class Effects:
    """What deciding one mutation changes: entries, new record versions and domain events."""

    entries: list[Entry] = field(default_factory=list)
    records: list[Position | Trade | Request | Stats | HouseRules] = field(default_factory=list)
    events: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    grants: list[str] = field(default_factory=list)
    adjusted: bool = False
    detail: dict[str, object] = field(default_factory=dict)
    at: datetime | None = None

    def extend(self, entries: Iterable[Entry]) -> None:
        self.entries.extend(entries)
