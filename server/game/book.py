"""``sync.Book`` over the server database: one child of one family, read inside the write transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select
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
from ..market.listing import ended_in
from ..market.quotes import FX_SYMBOL, latest_quotes, quote_by_id

__all__ = ["SqlBook", "current_rules"]


def current_rules(session: Session, child_id: str) -> HouseRules:
    row = session.scalars(
        select(RulesVersion)
        .where(RulesVersion.child_id == child_id)
        .order_by(RulesVersion.version.desc())
        .limit(1)
    ).first()
    return msgspec.convert(row.data, HouseRules) if row else HouseRules()


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
        self._latest: dict[str, Quote | None] = {}
        self._served: dict[str, Quote | None] = {}
        self._open: dict[Market, bool] = {}
        self._ended: dict[str, bool] = {}
        self._grants: set[str] = set()

    # -- reads -----------------------------------------------------------------------------------
    def balance(self, account: str) -> int:
        if self._balances is None:
            rows = self.session.execute(
                select(Balance.account, Balance.balance).where(Balance.child_id == self.child_id)
            )
            self._balances = {account: balance for account, balance in rows}
        return self._balances.get(account, 0)

    def _position_map(self) -> dict[str, Position]:
        if self._positions is None:
            rows = self.session.execute(
                select(PositionRow.symbol, PositionRow.quantity, PositionRow.cost).where(
                    PositionRow.child_id == self.child_id
                )
            )
            self._positions = {sym: Position(symbol=sym, quantity=qty, cost=cost) for sym, qty, cost in rows}
        return self._positions

    def position(self, symbol: str) -> Position:
        return self._position_map().get(symbol) or Position(symbol=symbol)

    def positions(self) -> list[Position]:
        return [p for p in self._position_map().values() if p.quantity]

    def trade(self, trade_id: str) -> Trade | None:
        if trade_id not in self._trades:
            data = self.session.scalar(
                select(TradeRow.data).where(TradeRow.trade_id == trade_id, TradeRow.child_id == self.child_id)
            )
            self._trades[trade_id] = msgspec.convert(data, Trade, strict=False) if data else None
        return self._trades[trade_id]

    def prefetch_trades(self, trade_ids: Iterable[str]) -> None:
        """Look up many trades in one query (a batched push names the ids it is about to place)."""
        wanted = [t for t in trade_ids if t not in self._trades]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.session.execute(
                select(TradeRow.trade_id, TradeRow.data).where(
                    TradeRow.trade_id.in_(chunk), TradeRow.child_id == self.child_id
                )
            )
            found = {trade_id: data for trade_id, data in rows}
            for trade_id in chunk:
                data = found.get(trade_id)
                self._trades[trade_id] = msgspec.convert(data, Trade, strict=False) if data else None

    def _request_map(self) -> dict[str, Request]:
        if self._requests is None:
            rows = self.session.scalars(select(RequestRow.data).where(RequestRow.child_id == self.child_id))
            requests = [msgspec.convert(data, Request, strict=False) for data in rows]
            self._requests = {r.request_id: r for r in requests}
        return self._requests

    def request(self, request_id: str) -> Request | None:
        return self._request_map().get(request_id)

    def requests(self) -> list[Request]:
        return list(self._request_map().values())

    def stats(self) -> Stats:
        if self._stats is None:
            row = self.session.get(ChildState, self.child_id)
            self._stats = (
                Stats(child_id=self.child_id)
                if row is None
                else Stats(
                    child_id=self.child_id,
                    invested=row.invested,
                    realised=row.realised,
                    converted=row.converted,
                )
            )
        return self._stats

    def rules(self) -> HouseRules:
        if self._rules is None:
            self._rules = current_rules(self.session, self.child_id)
        return self._rules

    def quote(self, quote_id: str) -> Quote | None:
        if quote_id not in self._quotes:
            self._quotes[quote_id] = quote_by_id(self.session, quote_id)
        return self._quotes[quote_id]

    def latest_quote(self, symbol: str) -> Quote | None:
        if symbol not in self._latest:
            self._latest[symbol] = latest_quotes(self.session, [symbol]).get(symbol)
        return self._latest[symbol]

    def newest_served_quote(self, symbol: str) -> Quote | None:
        if self.client_id is None:
            return None
        if symbol not in self._served:
            quote_id = self.session.scalar(
                select(DeviceQuote.quote_id).where(
                    DeviceQuote.client_id == self.client_id, DeviceQuote.symbol == symbol
                )
            )
            self._served[symbol] = self.quote(quote_id) if quote_id else None
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
            self._ended[symbol] = ended_in(self.session, provider, symbol, self.now) is not None
        return self._ended[symbol]

    def trades_on_day(self, day: str) -> int:
        if day not in self._days:
            start = datetime.fromisoformat(day).replace(tzinfo=KST)
            count = self.session.scalar(
                select(func.count())
                .select_from(TradeRow)
                .where(
                    TradeRow.child_id == self.child_id,
                    TradeRow.status != "rejected",
                    TradeRow.created_at >= start,
                    TradeRow.created_at < start + timedelta(days=1),
                )
            )
            self._days[day] = count or 0
        return self._days[day]

    def filled_trades(self) -> int:
        if self._filled is None:
            count = self.session.scalar(
                select(func.count())
                .select_from(TradeRow)
                .where(TradeRow.child_id == self.child_id, TradeRow.status == "filled")
            )
            self._filled = count or 0
        return self._filled

    def parent_count(self) -> int:
        if self._parents is None:
            count = self.session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.family_id == self.family_id, User.role == "parent")
            )
            self._parents = count or 0
        return self._parents

    def grant_exists(self, grant_id: str) -> bool:
        if grant_id in self._grants:
            return True
        found = self.session.scalar(
            select(LedgerEntry.id)
            .where(
                LedgerEntry.child_id == self.child_id,
                LedgerEntry.kind == "family.grant",
                LedgerEntry.ref_id == grant_id,
            )
            .limit(1)
        )
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
