"""Reading a child's game for the REST API: portfolio, trades, ledger, performance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.errors import Code
from sync.ledger import position_account
from sync.market import Quote
from sync.portfolio import Summary, summarise, time_weighted_return
from sync.records import Position, Trade

from ..cache import Cache
from ..db import Database
from ..db.models import LedgerEntry, QuoteRow, TradeRow
from ..errors import DomainError
from ..market.clock import WeekdayMarketClock
from ..market.providers import ProviderChain
from ..market.quotes import to_quote
from ..principal import Principal
from .benchmark import benchmark_for
from .book import SqlBook
from .schemas import LedgerLine, Performance, Portfolio, ValuePoint
from .scope import visible_child, visible_child_head

__all__ = ["PORTFOLIO_TTL", "RANGES", "ledger", "performance", "portfolio", "trade_of", "trades"]

PORTFOLIO_TTL = timedelta(seconds=30)  # the seed's tier; balances are never stale (see portfolio)
_PORTFOLIO = msgspec.msgpack.Decoder(Portfolio)
_PERFORMANCE = msgspec.msgpack.Decoder(Performance)

RANGES = {
    "1W": timedelta(days=7),
    "1M": timedelta(days=30),
    "3M": timedelta(days=91),
    "1Y": timedelta(days=365),
    "ALL": None,
}


def _book_of(session: Session, family_id: str, child_id: str, now: datetime) -> SqlBook:
    return SqlBook(
        session,
        family_id=family_id,
        child_id=child_id,
        client_id=None,
        now=now,
        market_clock=WeekdayMarketClock(),
    )


def portfolio(
    db: Database, principal: Principal, user_id: str, now: datetime, cache: Cache | None = None
) -> Portfolio:
    """The child's summary, valued at ``now`` or, from ``cache``, at most :data:`PORTFOLIO_TTL` ago.

    The cached entry is keyed by the family's change-log head, read in the same snapshot as the
    summary: every commit that changes a balance, a position, a trade or a request appends to the
    family's log (whichever path wrote it: a push, a REST call, a fill at the open, a mission, a
    corporate action), so after it the old entry is never found again. A stale balance cannot be
    served by construction; only prices may be up to 30 s old (``as_of`` says when it was valued).
    Access is checked on every read, hit or miss, and the key names the family and the child.
    """
    with db.read() as session:
        family, head = visible_child_head(session, principal, user_id)
        key = f"portfolio:{family}:{user_id}:{head}"
        if cache is not None and (kept := cache.get(key, now)) is not None:
            return _PORTFOLIO.decode(kept)
        summary = summarise(_book_of(session, family, user_id, now))
    answer = Portfolio(**msgspec.structs.asdict(summary), as_of=now)
    if cache is not None:
        cache.put(key, msgspec.msgpack.encode(answer), PORTFOLIO_TTL, now)
    return answer


def trade_of(db: Database, trade_id: str) -> Trade | None:
    """A trade as stored (the caller has just decided it, in the caller's family)."""
    with db.read() as session:
        row = session.get(TradeRow, trade_id)
        return msgspec.convert(row.data, Trade, strict=False) if row else None


def order_child(db: Database, principal: Principal, trade_id: str) -> str:
    """The child whose order ``trade_id`` is, if the caller's family holds it (else ``NOT_FOUND``:
    another family's order does not exist for the caller)."""
    with db.read() as session:
        row = session.get(TradeRow, trade_id)
        if row is None or principal.family_id is None or row.family_id != principal.family_id:
            raise DomainError(Code.NOT_FOUND, "no such order")
        return row.child_id


def trades(
    db: Database, principal: Principal, user_id: str, *, limit: int, before: str | None
) -> list[Trade]:
    with db.read() as session:
        visible_child(session, principal, user_id)
        query = select(TradeRow).where(TradeRow.child_id == user_id)
        if before:
            query = query.where(TradeRow.trade_id < before)
        rows = session.scalars(
            query.order_by(TradeRow.created_at.desc(), TradeRow.trade_id.desc()).limit(limit)
        )
        return [msgspec.convert(row.data, Trade, strict=False) for row in rows]


def ledger(
    db: Database, principal: Principal, user_id: str, *, limit: int, before: int | None
) -> list[LedgerLine]:
    with db.read() as session:
        visible_child(session, principal, user_id)
        query = select(LedgerEntry).where(LedgerEntry.child_id == user_id)
        if before:
            query = query.where(LedgerEntry.id < before)
        rows = session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit))
        return [
            LedgerLine(
                id=e.id,
                txn_id=e.txn_id,
                account=e.account,
                amount=e.amount,
                actor_id=e.actor_id,
                kind=e.kind,
                ref_id=e.ref_id,
                reason=e.reason,
                created_at=e.created_at,
            )
            for e in rows
        ]


class _HistoryBook:
    """The child's book as it stood at one moment: balances from entries, prices from quotes then."""

    def __init__(
        self, live: SqlBook, balances: dict[str, int], costs: dict[str, int], quotes: dict[str, Quote]
    ) -> None:
        self._live, self._balances, self._costs, self._quotes = live, balances, costs, quotes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)

    def balance(self, account: str) -> int:
        return self._balances.get(account, 0)

    def positions(self) -> list[Position]:
        held = {a.split(":", 1)[1] for a in self._balances if a.startswith(("position:", "reserved:"))}
        out = []
        for symbol in sorted(held):
            quantity = self.balance(position_account(symbol)) + self.balance(f"reserved:{symbol}")
            if quantity:
                out.append(Position(symbol=symbol, quantity=quantity, cost=self._costs.get(symbol, 0)))
        return out

    def latest_quote(self, symbol: str) -> Quote | None:
        return self._quotes.get(symbol)

    def fx_quote(self) -> Quote | None:
        return self._quotes.get("USDKRW=X")


def performance(
    db: Database,
    principal: Principal,
    user_id: str,
    range_: str,
    now: datetime,
    chain: ProviderChain,
    cache: Cache | None = None,
) -> Performance:
    """Value after every change of the child's game, the money put in, the headline profit, TWR and
    the market line beside it (:mod:`server.game.benchmark`).

    Positions are valued with the newest quote known at each moment (their cost before any quote).
    Kept in ``cache`` like :func:`portfolio` (under the family's change-log head, 30 s): it reads every
    entry of the child and every quote, the heaviest read a child's app makes.
    """
    window = RANGES[range_]
    with db.read() as session:
        family, head = visible_child_head(session, principal, user_id)
        key = f"performance:{family}:{user_id}:{head}:{range_}"
        if cache is not None and (kept := cache.get(key, now)) is not None:
            return _PERFORMANCE.decode(kept)
        live = _book_of(session, family, user_id, now)
        entries = list(
            session.scalars(
                select(LedgerEntry).where(LedgerEntry.child_id == user_id).order_by(LedgerEntry.id)
            )
        )
        quote_rows = list(session.scalars(select(QuoteRow).order_by(QuoteRow.as_of, QuoteRow.seq)))
        headline: Summary = summarise(live)
        balances: dict[str, int] = {}
        costs = {p.symbol: p.cost for p in live.positions()}  # current cost basis (history approximated)
        series: list[dict[str, Any]] = []
        flows: list[int] = []
        qi, quotes = 0, {}
        txns: dict[str, list[LedgerEntry]] = {}
        order: list[str] = []
        for e in entries:
            if e.txn_id not in txns:
                order.append(e.txn_id)
                txns[e.txn_id] = []
            txns[e.txn_id].append(e)
        for txn in order:
            group = txns[txn]
            at = group[0].created_at
            while qi < len(quote_rows) and quote_rows[qi].as_of <= at:
                quotes[quote_rows[qi].symbol] = to_quote(quote_rows[qi])
                qi += 1
            flow = 0
            for e in group:
                balances[e.account] = balances.get(e.account, 0) + e.amount
                if e.account in ("grants", "conversion_sink"):
                    flow -= e.amount  # grants (negative side) put money in; conversions take it out
            value = summarise(_HistoryBook(live, balances, costs, quotes)).total_value
            series.append({"t": at.isoformat(), "value": value})
            flows.append(flow)
    if window is not None:
        start = now - window
        keep = [i for i, point in enumerate(series) if datetime.fromisoformat(point["t"]) >= start]
        series, flows = [series[i] for i in keep], [flows[i] for i in keep]
    if series:
        series.append({"t": now.isoformat(), "value": headline.total_value})
        flows.append(0)
    values = [p["value"] for p in series]
    twr = time_weighted_return(values, flows) if len(series) > 1 else 0.0
    moments = [datetime.fromisoformat(p["t"]) for p in series]
    market = benchmark_for(db, chain, moments, values, flows, headline.positions)
    answer = Performance(
        range=range_,
        series=[ValuePoint(t, v) for t, v in zip(moments, values, strict=True)],
        total_value=headline.total_value,
        invested=headline.invested,
        profit=headline.profit,
        profit_pct=headline.profit_pct,
        twr_pct=round(twr * 100, 2),
        benchmark=[ValuePoint(t, v) for t, v in zip(moments, market.values, strict=False)],
        benchmark_indices=market.indices,
        benchmark_pct=market.index_pct,
        beat_pct=market.beat_pct,
        benchmark_missing=market.missing,
        benchmark_source=market.source,
    )
    if cache is not None:
        cache.put(key, msgspec.msgpack.encode(answer), PORTFOLIO_TTL, now)
    return answer
