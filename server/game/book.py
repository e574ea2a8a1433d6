"""``sync.Book`` over the server database: one child of one family, read inside the write transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import msgspec
from sqlalchemy import BigInteger, Connection, and_, bindparam, func, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from sync.book import Effects
from sync.context import KST, kst_day
from sync.market import Quote
from sync.records import Position, Request, Stats, Trade
from sync.rules import HouseRules, Market

from ..db.models import (
    Balance,
    ChildState,
    DeviceQuote,
    LedgerEntry,
    PositionRow,
    RequestRow,
    RulesVersion,
    TradeRow,
    User,
)
from ..market.clock import MarketClock
from ..market.listing import delisting_date, ended_given
from ..market.quotes import FX_SYMBOL, QuoteRow, quote_by_id, to_quote

__all__ = ["SqlBook", "current_rules"]

# Every read of a book is a Core statement built once, run on the transaction's connection: building
# a statement (and its cache key) and the ORM's loading cost several times what SQLite takes to run
# it, and a single pushed order reads a dozen facts under the family's write lock.
_CHILD = bindparam("child")
_RULES = (
    select(RulesVersion.data)
    .where(RulesVersion.child_id == _CHILD)
    .order_by(RulesVersion.version.desc())
    .limit(1)
)
_COUNTED_BETWEEN = (  # the trades that count against a day's limit
    TradeRow.child_id == _CHILD,
    TradeRow.status != "rejected",
    TradeRow.created_at >= bindparam("start"),
    TradeRow.created_at < bindparam("end"),
)
_TRADES_BETWEEN = select(func.count()).select_from(TradeRow).where(*_COUNTED_BETWEEN)
# The child's own state (its house rules, balances, positions, stats and orders placed today) in one
# statement, one row per fact: an order reads all of them, and each statement saved is a round trip
# under the family's write lock (and its Python on the lock holder).
_ZERO = literal_column("0", BigInteger)
_VERSIONS = RulesVersion.__table__.alias("versions")
_NEWEST_RULES = select(func.max(_VERSIONS.c.version)).where(_VERSIONS.c.child_id == _CHILD).scalar_subquery()
_OWN_STATE = union_all(
    # first: the union's last column is read as the rules' JSON
    select(literal_column("'r'"), literal_column("''"), _ZERO, _ZERO, _ZERO, RulesVersion.data).where(
        RulesVersion.child_id == _CHILD,
        RulesVersion.version == _NEWEST_RULES,  # no LIMIT: SQLite allows none in a union's part
    ),
    select(literal_column("'b'"), Balance.account, Balance.balance, _ZERO, _ZERO, null()).where(
        Balance.child_id == _CHILD
    ),
    select(
        literal_column("'p'"), PositionRow.symbol, PositionRow.quantity, PositionRow.cost, _ZERO, null()
    ).where(PositionRow.child_id == _CHILD),
    select(
        literal_column("'s'"),
        literal_column("''"),
        ChildState.invested,
        ChildState.realised,
        ChildState.converted,
        null(),
    ).where(ChildState.child_id == _CHILD),
    select(literal_column("'d'"), literal_column("''"), func.count(), _ZERO, _ZERO, null())
    .select_from(TradeRow)
    .where(*_COUNTED_BETWEEN),
)
_TRADE = select(TradeRow.data).where(TradeRow.trade_id == bindparam("trade"), TradeRow.child_id == _CHILD)
_REQUESTS = select(RequestRow.data).where(RequestRow.child_id == _CHILD)
# What an order reads of its symbol (its delisting, its newest quote, the newest served to the device)
# in one statement: three round trips fewer under the family's write lock. Quotes never change once
# recorded; these are read in the transaction as the separate statements were, only together.
_SYMBOL = bindparam("symbol")
_QUOTES = QuoteRow.__table__
_NEWEST, _SERVED_QUOTE = _QUOTES.alias("newest"), _QUOTES.alias("served")
_NEWEST_SEQ = select(func.max(_QUOTES.c.seq)).where(_QUOTES.c.symbol == _SYMBOL).scalar_subquery()
_SYMBOL_FACTS = select(
    delisting_date(_SYMBOL).scalar_subquery().label("ex_date"),
    *(c.label(f"n_{c.name}") for c in _NEWEST.c),
    *(c.label(f"v_{c.name}") for c in _SERVED_QUOTE.c),
).select_from(
    select(literal_column("1").label("one"))
    .subquery("one")
    .outerjoin(
        _NEWEST,
        and_(
            _NEWEST.c.symbol == _SYMBOL,
            _NEWEST.c.seq == _NEWEST_SEQ,
        ),
    )
    .outerjoin(
        _SERVED_QUOTE,
        _SERVED_QUOTE.c.quote_id
        == select(DeviceQuote.quote_id)
        .where(DeviceQuote.client_id == bindparam("client"), DeviceQuote.symbol == _SYMBOL)
        .scalar_subquery(),
    )
)


@dataclass(frozen=True)
class _SymbolFacts:
    ex_date: date | None
    newest: Quote | None
    served: Quote | None


def _quote_of(row: Any, prefix: str) -> Quote | None:
    values = {c.name: getattr(row, prefix + c.name) for c in _QUOTES.c}
    return to_quote(SimpleNamespace(**values)) if values["quote_id"] is not None else None


_FILLED = (
    select(func.count()).select_from(TradeRow).where(TradeRow.child_id == _CHILD, TradeRow.status == "filled")
)
_PARENTS = (
    select(func.count()).select_from(User).where(User.family_id == bindparam("family"), User.role == "parent")
)
_GRANT = (
    select(LedgerEntry.id)
    .where(
        LedgerEntry.child_id == _CHILD,
        LedgerEntry.kind == "family.grant",
        LedgerEntry.ref_id == bindparam("grant"),
    )
    .limit(1)
)


def current_rules(session: Session, child_id: str) -> HouseRules:
    data = session.connection().execute(_RULES, {"child": child_id}).scalar()
    return msgspec.convert(data, HouseRules) if data else HouseRules()


class SqlBook:
    """What the rules may read about ``child_id``, inside one write transaction.

    One book serves every mutation of a push for its child: reads are loaded once and kept, and
    :meth:`absorb` folds each decision's effects in after they were written, so the next decision
    sees them without asking the database again. Quotes and the quotes served to the device do not
    change inside a push (the device's pull, which serves them, is another transaction).
    """

    def __init__(
        self,
        session: Session,
        *,
        family_id: str,
        child_id: str,
        client_id: str | None,
        now: datetime,
        market_clock: MarketClock,
        market: Callable[[], Any] | None = None,
    ) -> None:
        self.session, self.family_id, self.child_id = session, family_id, child_id
        self.client_id, self.now, self.market_clock = client_id, now, market_clock
        # the app's provider chain (its history replay knows where a bundled history ends), asked
        # only when an order needs it; without one only recorded delistings end a stock's trading
        self.market = market
        self._balances: dict[str, int] | None = None
        self._positions: dict[str, Position] | None = None
        self._requests: dict[str, Request] | None = None
        self._trades: dict[str, Trade | None] = {}
        self._days: dict[str, int] = {}
        self._filled: int | None = None
        self._stats: Stats | None = None
        self._rules: HouseRules | None = None
        self._parents: int | None = None
        self._quotes: dict[str, Quote | None] = {}
        self._facts: dict[str, _SymbolFacts] = {}  # read together; _latest, _served: what was asked
        self._latest: dict[str, Quote | None] = {}
        self._served: dict[str, Quote | None] = {}
        self._open: dict[Market, bool] = {}
        self._ended: dict[str, bool] = {}
        self._grants: set[str] = set()
        self._connection: Connection | None = None

    # -- reads -----------------------------------------------------------------------------------
    def _read(self) -> Connection:
        # the session's connection, asked for once: each ask walks the ORM's transaction state
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    def _own_state(self) -> None:
        """House rules, balances, positions, stats and today's orders, each unless already known (a
        decision may have set one)."""
        balances: dict[str, int] = {}
        positions: dict[str, Position] = {}
        stats = Stats(child_id=self.child_id)
        rules, today = HouseRules(), kst_day(self.now)
        placed = 0
        for kind, key, a, b, c, data in self._read().execute(_OWN_STATE, self._day(today)):
            if kind == "b":
                balances[key] = a
            elif kind == "p":
                positions[key] = Position(symbol=key, quantity=a, cost=b)
            elif kind == "s":
                stats = Stats(child_id=self.child_id, invested=a, realised=b, converted=c)
            elif kind == "r":
                rules = msgspec.convert(data, HouseRules) if data else rules
            else:
                placed = a
        if self._balances is None:
            self._balances = balances
        if self._positions is None:
            self._positions = positions
        if self._stats is None:
            self._stats = stats
        if self._rules is None:
            self._rules = rules
        self._days.setdefault(today, placed)

    def _day(self, day: str) -> dict[str, Any]:
        start = datetime.fromisoformat(day).replace(tzinfo=KST)
        return {"child": self.child_id, "start": start, "end": start + timedelta(days=1)}

    def _symbol(self, symbol: str) -> _SymbolFacts:
        """The symbol's delisting, newest quote and newest quote served to the device, read once."""
        if symbol not in self._facts:
            row = self._read().execute(_SYMBOL_FACTS, {"symbol": symbol, "client": self.client_id}).one()
            facts = _SymbolFacts(row.ex_date, _quote_of(row, "n_"), _quote_of(row, "v_"))
            for quote in (facts.newest, facts.served):
                if quote is not None:  # an order cites one of these most often
                    self._quotes.setdefault(quote.quote_id, quote)
            self._facts[symbol] = facts
        return self._facts[symbol]

    def balance(self, account: str) -> int:
        if self._balances is None:
            self._own_state()
        assert self._balances is not None
        return self._balances.get(account, 0)

    def _position_map(self) -> dict[str, Position]:
        if self._positions is None:
            self._own_state()
        assert self._positions is not None
        return self._positions

    def position(self, symbol: str) -> Position:
        return self._position_map().get(symbol) or Position(symbol=symbol)

    def positions(self) -> list[Position]:
        return [p for p in self._position_map().values() if p.quantity]

    def trade(self, trade_id: str) -> Trade | None:
        if trade_id not in self._trades:
            data = self._read().execute(_TRADE, {"trade": trade_id, "child": self.child_id}).scalar()
            self._trades[trade_id] = msgspec.convert(data, Trade, strict=False) if data else None
        return self._trades[trade_id]

    def absent_trades(self, trade_ids: Iterable[str]) -> None:
        """Trades known to exist nowhere (``server.gateway.ids`` found no holder of these ids in this
        transaction): the rules' look-up of each answers none without asking the database."""
        for trade_id in trade_ids:
            self._trades.setdefault(trade_id, None)

    def _request_map(self) -> dict[str, Request]:
        if self._requests is None:
            rows = self._read().execute(_REQUESTS, {"child": self.child_id}).scalars()
            requests = [msgspec.convert(data, Request, strict=False) for data in rows]
            self._requests = {r.request_id: r for r in requests}
        return self._requests

    def request(self, request_id: str) -> Request | None:
        return self._request_map().get(request_id)

    def requests(self) -> list[Request]:
        return list(self._request_map().values())

    def stats(self) -> Stats:
        if self._stats is None:
            self._own_state()
        assert self._stats is not None
        return self._stats

    def rules(self) -> HouseRules:
        if self._rules is None:
            self._own_state()
        assert self._rules is not None
        return self._rules

    def quote(self, quote_id: str) -> Quote | None:
        if quote_id not in self._quotes:
            self._quotes[quote_id] = quote_by_id(self.session, quote_id)
        return self._quotes[quote_id]

    def latest_quote(self, symbol: str) -> Quote | None:
        if symbol not in self._latest:
            self._latest[symbol] = self._symbol(symbol).newest
        return self._latest[symbol]

    def newest_served_quote(self, symbol: str) -> Quote | None:
        if self.client_id is None:
            return None
        if symbol not in self._served:
            self._served[symbol] = self._symbol(symbol).served
        return self._served[symbol]

    def fx_quote(self) -> Quote | None:
        return self.latest_quote(FX_SYMBOL)

    def market_open(self, market: Market) -> bool:
        if market not in self._open:
            self._open[market] = self.market_clock.is_open(market, self.now)
        return self._open[market]

    def trading_ended(self, symbol: str) -> bool:
        if symbol not in self._ended:
            provider = self.market() if self.market is not None else None
            ended = ended_given(self._symbol(symbol).ex_date, provider, symbol, self.now)
            self._ended[symbol] = ended is not None
        return self._ended[symbol]

    def trades_on_day(self, day: str) -> int:
        if day not in self._days and day == kst_day(self.now):
            self._own_state()  # not read yet: today's count comes with the rules that limit it
        if day not in self._days:
            self._days[day] = self._read().execute(_TRADES_BETWEEN, self._day(day)).scalar() or 0
        return self._days[day]

    def filled_trades(self) -> int:
        if self._filled is None:
            count = self._read().execute(_FILLED, {"child": self.child_id}).scalar()
            self._filled = count or 0
        return self._filled

    def parent_count(self) -> int:
        if self._parents is None:
            count = self._read().execute(_PARENTS, {"family": self.family_id}).scalar()
            self._parents = count or 0
        return self._parents

    def grant_exists(self, grant_id: str) -> bool:
        if grant_id in self._grants:
            return True
        found = self._read().execute(_GRANT, {"child": self.child_id, "grant": grant_id}).scalar()
        return found is not None

    def inputs(self) -> dict[str, Any]:
        """What this book answered from outside the child's own state: the quotes it found newest
        and served, the markets it found open, the stocks it found ended, the number of parents.
        Stored with each decision, so replaying the mutation log decides again on the same facts
        (``server.replication.replay``)."""

        def ids(quotes: dict[str, Quote | None]) -> dict[str, str | None]:
            return {symbol: q.quote_id if q else None for symbol, q in quotes.items()}

        inputs: dict[str, Any] = {"latest": ids(self._latest), "served": ids(self._served)}
        inputs["open"] = {market.value: is_open for market, is_open in self._open.items()}
        if self._ended:
            inputs["ended"] = dict(self._ended)
        if self._parents is not None:
            inputs["parents"] = self._parents
        return inputs

    # -- after a decision was written ------------------------------------------------------------
    def absorb(self, effects: Effects) -> None:
        """Fold in effects that are now written, exactly as the writer wrote them."""
        if self._balances is not None:
            for entry in effects.entries:
                self._balances[entry.account] = self._balances.get(entry.account, 0) + entry.amount
        for record in effects.records:
            if isinstance(record, Position):
                self._position_map()[record.symbol] = record
            elif isinstance(record, Trade):
                self._count_trade(self._trades.get(record.trade_id), record)
                self._trades[record.trade_id] = record
            elif isinstance(record, Request):
                self._request_map()[record.request_id] = record
            elif isinstance(record, Stats):
                self._stats = record
            elif isinstance(record, HouseRules):
                self._rules = record
        self._grants.update(effects.grants)

    def _count_trade(self, before: Trade | None, after: Trade) -> None:
        if self._filled is not None:
            was = before is not None and before.status == "filled"
            self._filled += (after.status == "filled") - was
        day = kst_day(after.created_at)
        if day in self._days:
            counted = (before is not None and before.status != "rejected", after.status != "rejected")
            self._days[day] += {(False, True): 1, (True, False): -1}.get(counted, 0)
