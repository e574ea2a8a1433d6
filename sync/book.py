"""What a mutation handler may read about one child, and an in-memory implementation.

The server implements :class:`Book` over its database (scoped to one child of one family), the
device over its local view tables; :class:`MemoryBook` is the in-memory twin used by the client's
rebase, by tests and by the replay oracle.

A rebase replays what is pending over a child's whole history, so a :class:`MemoryBook` answers the
handlers' questions without scanning that history: trades per Korean day and the latest quote per
symbol are indexes kept up to date by ``put`` and ``add_quote``, and :meth:`MemoryBook.fork` gives
the rebase a copy-on-write copy: its containers are shared until it first writes to them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Self

from .context import kst_day
from .ledger import Entry, apply_entries
from .market import Quote
from .records import Position, Request, Stats, Trade
from .rules import HouseRules, Market

__all__ = ["Book", "MemoryBook", "Written"]

# containers a fork shares with its parent until it first writes to them (copy-on-write)
_COPIED_ON_WRITE = frozenset(
    {"balances", "positions_", "trades", "requests_", "quotes", "served", "grants", "_latest"}
)


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
    def trading_ended(self, symbol: str) -> bool: ...
    def trades_on_day(self, day: str) -> int: ...
    def filled_trades(self) -> int: ...
    def parent_count(self) -> int: ...
    def grant_exists(self, grant_id: str) -> bool: ...


@dataclass
class MemoryBook:
    """A child's state in plain dictionaries; ``apply`` posts a handler's effects.

    Records are frozen, so copies share them. Change a book through ``apply``, ``put`` and
    ``add_quote`` (filling the dictionaries directly is fine before the first question): they keep
    the indexes that let a rebase cost what is pending rather than what is history.
    """

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
    # symbols that trade no more (a delisting begun, a replay's history ended): what the holder knows
    ended: frozenset[str] = frozenset()
    parents: int = 1
    grants: set[str] = field(default_factory=set)
    fx_symbol: str = "USDKRW=X"
    # indexes, built on the first question and then kept up to date by put/add_quote
    _days: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)
    _latest: dict[str, Quote] | None = field(default=None, init=False, repr=False, compare=False)
    _filled: int | None = field(default=None, init=False, repr=False, compare=False)
    _shared: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _wrote: tuple[set[str], set[str]] | None = field(default=None, init=False, repr=False, compare=False)

    def fork(self) -> Self:
        """A copy for a rebase or a trial decision that costs what it writes, not what the book holds.

        Containers are shared until the fork first writes to one of them (then that one is copied:
        a C-level copy of a dict, ~2 ms for 60,000 trades); the day index is copied (a few hundred
        days). This book must not change while the fork is in use; the fork may change freely.
        """
        child = copy.copy(self)
        child._days = dict(self._day_counts())
        child._filled = self.filled_trades()
        child._latest = self._latest_quotes()
        child._shared = _COPIED_ON_WRITE
        child._wrote = (set(), set())
        return child

    def written(self) -> Written:
        """What this fork wrote since :meth:`fork` (for a book that is no fork: all it holds), so a
        device can rewrite only the rows a rebase changed."""
        trades, requests = self._wrote or (self.trades, self.requests_)
        return Written(
            accounts=() if "balances" in self._shared else tuple(self.balances),
            symbols=() if "positions_" in self._shared else tuple(self.positions_),
            trades=tuple(trades),
            requests=tuple(requests),
        )

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        """An independent copy: the containers are copied, the frozen records shared."""
        clone = copy.copy(self)
        clone.balances = dict(self.balances)
        clone.positions_ = dict(self.positions_)
        clone.trades = dict(self.trades)
        clone.requests_ = dict(self.requests_)
        clone.quotes = dict(self.quotes)
        clone.served = dict(self.served)
        clone.open_markets = set(self.open_markets)
        clone.grants = set(self.grants)
        clone._days = dict(self._days) if self._days is not None else None
        clone._latest = dict(self._latest) if self._latest is not None else None
        clone._shared = frozenset()
        clone._wrote = (set(self._wrote[0]), set(self._wrote[1])) if self._wrote else None
        return clone

    def _own(self, name: str) -> None:
        """Copy a container this fork still shares with its parent, before writing to it."""
        if name in self._shared:
            setattr(self, name, copy.copy(getattr(self, name)))
            self._shared = self._shared - {name}

    def _day_counts(self) -> dict[str, int]:
        if self._days is None:
            days: dict[str, int] = {}
            for trade in self.trades.values():
                if trade.status != "rejected":
                    day = kst_day(trade.created_at)
                    days[day] = days.get(day, 0) + 1
            self._days = days
        return self._days

    def _latest_quotes(self) -> dict[str, Quote]:
        if self._latest is None:
            latest: dict[str, Quote] = {}
            for quote in self.quotes.values():
                _keep_latest(latest, quote)
            self._latest = latest
        return self._latest

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
        """The quote with the highest ``(seq, as_of)`` for ``symbol`` (the first stored on a tie)."""
        return self._latest_quotes().get(symbol)

    def newest_served_quote(self, symbol: str) -> Quote | None:
        return self.served.get(symbol)

    def fx_quote(self) -> Quote | None:
        return self.latest_quote(self.fx_symbol)

    def market_open(self, market: Market) -> bool:
        return market in self.open_markets

    def trading_ended(self, symbol: str) -> bool:
        return symbol in self.ended

    def trades_on_day(self, day: str) -> int:
        """Orders not rejected whose Korean calendar day (``kst_day``) is ``day``, as the server counts."""
        return self._day_counts().get(day, 0)

    def filled_trades(self) -> int:
        """The child's filled trades, ever (the ``first`` mode of trade approval counts them)."""
        if self._filled is None:
            self._filled = sum(1 for t in self.trades.values() if t.status == "filled")
        return self._filled

    def parent_count(self) -> int:
        return self.parents

    def grant_exists(self, grant_id: str) -> bool:
        return grant_id in self.grants

    def set_balance(self, account: str, amount: int) -> None:
        """A confirmed balance as the server sent it (a device applying a pull; handlers post entries)."""
        self._own("balances")
        self.balances[account] = amount

    def add_quote(self, quote: Quote, *, served: bool = True) -> None:
        self._own("quotes")
        self.quotes[quote.quote_id] = quote
        if self._latest is not None:
            self._own("_latest")
            _keep_latest(self._latest, quote)
        if served:
            self._own("served")
            self.served[quote.symbol] = quote

    def apply(self, effects: Effects) -> None:
        """Post entries and store records (raises ``ValueError`` on a broken invariant)."""
        self._own("balances")
        apply_entries(self.balances, effects.entries)
        for record in effects.records:
            self.put(record)
        if effects.grants:
            self._own("grants")
            self.grants.update(effects.grants)

    def put(self, record: Position | Trade | Request | Stats | HouseRules) -> None:
        if isinstance(record, Position):
            self._own("positions_")
            self.positions_[record.symbol] = record
        elif isinstance(record, Trade):
            if self._days is not None:
                _count(self._days, self.trades.get(record.trade_id), -1)
                _count(self._days, record, +1)
            if self._filled is not None:
                before = self.trades.get(record.trade_id)
                self._filled += (record.status == "filled") - (
                    before is not None and before.status == "filled"
                )
            self._own("trades")
            self.trades[record.trade_id] = record
            if self._wrote is not None:
                self._wrote[0].add(record.trade_id)
        elif isinstance(record, Request):
            self._own("requests_")
            self.requests_[record.request_id] = record
            if self._wrote is not None:
                self._wrote[1].add(record.request_id)
        elif isinstance(record, Stats):
            self.stats_ = record
        else:
            self.rules_ = record


def _count(days: dict[str, int], trade: Trade | None, step: int) -> None:
    if trade is not None and trade.status != "rejected":
        day = kst_day(trade.created_at)
        days[day] = days.get(day, 0) + step


def _keep_latest(latest: dict[str, Quote], quote: Quote) -> None:
    held = latest.get(quote.symbol)
    if held is None or (quote.seq, quote.as_of) > (held.seq, held.as_of):
        latest[quote.symbol] = quote


@dataclass(frozen=True)
class Written:
    """Keys a fork wrote: accounts (balances), symbols (positions), trade and request ids."""

    accounts: tuple[str, ...]
    symbols: tuple[str, ...]
    trades: tuple[str, ...]
    requests: tuple[str, ...]


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
