"""``sync.Book`` over the server database: one child of one family, read inside the write transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.context import KST
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
    """What the rules may read about ``child_id``; every read sees the transaction's own writes."""

    def __init__(
        self,
        session: Session,
        *,
        family_id: str,
        child_id: str,
        client_id: str | None,
        now: datetime,
        market_clock: MarketClock,
    ) -> None:
        self.session, self.family_id, self.child_id = session, family_id, child_id
        self.client_id, self.now, self.market_clock = client_id, now, market_clock

    def balance(self, account: str) -> int:
        value = self.session.scalar(
            select(Balance.balance).where(Balance.child_id == self.child_id, Balance.account == account)
        )
        return value or 0

    def position(self, symbol: str) -> Position:
        row = self.session.get(PositionRow, (self.child_id, symbol))
        return (
            Position(symbol=symbol, quantity=row.quantity, cost=row.cost) if row else Position(symbol=symbol)
        )

    def positions(self) -> list[Position]:
        rows = self.session.scalars(
            select(PositionRow).where(PositionRow.child_id == self.child_id, PositionRow.quantity != 0)
        )
        return [Position(symbol=r.symbol, quantity=r.quantity, cost=r.cost) for r in rows]

    def trade(self, trade_id: str) -> Trade | None:
        row = self.session.get(TradeRow, trade_id)
        if row is None or row.child_id != self.child_id:
            return None
        return msgspec.convert(row.data, Trade, strict=False)

    def request(self, request_id: str) -> Request | None:
        row = self.session.get(RequestRow, request_id)
        if row is None or row.child_id != self.child_id:
            return None
        return msgspec.convert(row.data, Request, strict=False)

    def requests(self) -> list[Request]:
        rows = self.session.scalars(select(RequestRow).where(RequestRow.child_id == self.child_id))
        return [msgspec.convert(r.data, Request, strict=False) for r in rows]

    def stats(self) -> Stats:
        row = self.session.get(ChildState, self.child_id)
        if row is None:
            return Stats(child_id=self.child_id)
        return Stats(
            child_id=self.child_id, invested=row.invested, realised=row.realised, converted=row.converted
        )

    def rules(self) -> HouseRules:
        return current_rules(self.session, self.child_id)

    def quote(self, quote_id: str) -> Quote | None:
        return quote_by_id(self.session, quote_id)

    def latest_quote(self, symbol: str) -> Quote | None:
        return latest_quotes(self.session, [symbol]).get(symbol)

    def newest_served_quote(self, symbol: str) -> Quote | None:
        if self.client_id is None:
            return None
        quote_id = self.session.scalar(
            select(DeviceQuote.quote_id).where(
                DeviceQuote.client_id == self.client_id, DeviceQuote.symbol == symbol
            )
        )
        return quote_by_id(self.session, quote_id) if quote_id else None

    def fx_quote(self) -> Quote | None:
        return self.latest_quote(FX_SYMBOL)

    def market_open(self, market: Market) -> bool:
        return self.market_clock.is_open(market, self.now)

    def trades_on_day(self, day: str) -> int:
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
        return count or 0

    def parent_count(self) -> int:
        count = self.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.family_id == self.family_id, User.role == "parent")
        )
        return count or 0

    def grant_exists(self, grant_id: str) -> bool:
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
