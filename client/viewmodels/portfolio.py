"""Portfolio: the child's value over time, holdings with average price (평균 단가: the label and its ⓘ
say the same word), value and profit; every trade with its outcome and reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from client.actions import cancel_order
from sync.journal import journal_of
from sync.records import HOLDING, Trade
from sync.search import SymbolIndex

from .base import Profile, Tools
from .errors import explain
from .glossary import Gloss, about_avg_cost, about_diversify, about_holding_return
from .market import entry_name
from .stock import StockVM
from .value_chart import ValueChartScreen

__all__ = ["HoldingRow", "PortfolioVM", "TradeRow"]


@dataclass(frozen=True)
class HoldingRow:
    symbol: str
    name: str
    shares: str
    avg_cost: str
    value: str
    profit: str
    tone: str
    avg_cost_gloss: Gloss | None = None  # 평균 단가 with this holding's numbers
    return_gloss: Gloss | None = None  # 수익률 with this holding's numbers


@dataclass(frozen=True)
class TradeRow:
    key: str
    title: str  # "삼성전자 3주 사기"
    status: str  # what happened, in words
    reason: str | None  # why, when the server changed or refused it
    waiting: bool
    cancellable: bool = False  # not sent yet, or waiting for the market to open or for a parent
    when: str = ""  # "주문한 때: 오늘 11:00", and when it was done if that was later
    journal: str | None = None  # "내가 적은 이유: …", the child's own sentence on why (trade journal)


class PortfolioVM(ValueChartScreen):
    def __init__(self, profile: Profile, tools: Tools, index: SymbolIndex) -> None:
        self.index = index
        super().__init__(profile, tools)

    def stock(self, symbol: str) -> StockVM:
        """The stock page's view-model for one holding (shown beside the portfolio on a wide screen)."""
        return StockVM(self.profile, self.tools, self.index, symbol)

    def _name(self, symbol: str) -> str:
        e = self.index.get(symbol)
        return entry_name(e, self.tools.tr.locale) if e else symbol

    def refresh(self) -> None:
        super().refresh()
        fmt, s = self.tools.fmt, self.summary()
        self.holdings = [
            HoldingRow(
                symbol=h.symbol,
                name=self._name(h.symbol),
                shares=fmt.shares(h.quantity),
                avg_cost=fmt.game(h.avg_cost),
                value=fmt.game(h.value),
                profit=fmt.game(h.unrealized, signed=True),
                tone="up" if h.unrealized > 0 else ("down" if h.unrealized < 0 else "flat"),
                avg_cost_gloss=about_avg_cost(self.tools, self._name(h.symbol), h),
                return_gloss=about_holding_return(self.tools, self._name(h.symbol), h),
            )
            for h in s.positions
        ]
        self.diversify_gloss = about_diversify(self.tools, [row.name for row in self.holdings])
        self.cash = fmt.game(s.cash)
        self.trades = self._trade_rows()

    def _trade_rows(self) -> list[TradeRow]:
        tr = self.tools.tr
        waiting = self.pending_trade_ids()
        dated = sorted(self.book.trades.values(), key=lambda t: t.created_at, reverse=True)
        refused: list[TradeRow] = []
        for o in self.view.outcomes:  # a refused order leaves no trade in the book: show it anyway
            trade_id = o.args.get("trade_id")
            if o.status != "rejected" or not o.name.startswith("trade.place") or trade_id in self.book.trades:
                continue
            a = o.args
            what = self._what(a.get("side", "buy"), a.get("symbol", ""), a.get("quantity"), a.get("amount"))
            when = self._ordered_at(o.created_at) if o.created_at is not None else ""
            refused.append(
                TradeRow(
                    o.mutation_id, what, tr("trade.status.rejected"), explain(tr, o.code), False, when=when,
                    journal=self._journal(a.get("journal")),
                )
            )  # fmt: skip
        # refusals first (the child must see them), then every order newest first
        return refused + [self._row(t, t.trade_id in waiting) for t in dated]

    def _what(self, side: str, symbol: str, quantity: int | None, amount: int | None) -> str:
        tr, fmt = self.tools.tr, self.tools.fmt
        size = fmt.shares(quantity) if quantity else fmt.game(amount or 0)
        return tr(f"portfolio.{side}_title", name=self._name(symbol), size=size)

    def _row(self, t: Trade, waiting: bool) -> TradeRow:
        tr, fmt = self.tools.tr, self.tools.fmt
        title = self._what(t.side, t.symbol, t.quantity or None, t.amount)
        reason = None
        if waiting:
            status = tr("trade.waiting")
        elif t.status == "filled" and t.fill_price is not None:
            status = tr(
                "portfolio.filled_at",
                price=fmt.price(t.symbol, t.fill_price, t.fx_rate),
                total=fmt.game(t.total),
            )
            if t.cited_price is not None and t.cited_price != t.fill_price:
                reason = tr("portfolio.adjusted_reason", price=fmt.price(t.symbol, t.cited_price))
        elif t.note == "declined":  # a parent said no: the child reads the parent's own reason
            status = tr("trade.status.declined")
            reason = tr("portfolio.declined_reason", reason=t.decision_reason or "")
        else:
            status = tr(f"trade.status.{t.status}")
            if t.status == "awaiting":  # what the parent's yes or no will do, in one sentence
                reason = tr("portfolio.awaiting_reason")
            if t.note:  # a rule's code, or why the server cancelled it (split, delisted, data_end)
                why = f"notify.why.{t.note}"
                reason = (
                    explain(tr, t.note) if tr.has(f"error.{t.note}") else tr(why) if tr.has(why) else t.note
                )
        cancellable = t.status in HOLDING or self._unsent(t.trade_id) is not None
        when, journal = self._when(t), self._journal(t.journal)
        return TradeRow(t.trade_id, title, status, reason, waiting, cancellable, when, journal)

    def _journal(self, text: Any) -> str | None:
        kept = journal_of(text) if isinstance(text, str) else None
        return self.tools.tr("trade.journal_line", text=kept) if kept else None

    def _when(self, t: Trade) -> str:
        """When the child ordered, in the viewer's zone; also when it was done, if that was later
        (a queued order fills when the market opens)."""
        tr, fmt, now = self.tools.tr, self.tools.fmt, self.tools.clock()
        text = self._ordered_at(t.created_at)
        if t.filled_at is not None and (t.filled_at - t.created_at).total_seconds() >= 60:
            text += " · " + tr("portfolio.done_at", when=fmt.when(t.filled_at, now))
        return text

    def _ordered_at(self, moment: datetime) -> str:
        return self.tools.tr("portfolio.ordered_at", when=self.tools.fmt.when(moment, self.tools.clock()))

    def _unsent(self, trade_id: str) -> Any:
        """The order's own pending mutation while it has not left this device (it can be undone)."""
        return next(
            (
                p
                for p in self.view.pending
                if p.name.startswith("trade.place") and p.args.get("trade_id") == trade_id and not p.sent
            ),
            None,
        )

    async def cancel(self, trade_id: str) -> None:
        """Undo an order that never left the device (C4); otherwise ask the server to cancel it.

        An order the server already filled cannot be cancelled: the server answers and the inbox
        explains it, like any other refusal.
        """
        unsent = self._unsent(trade_id)
        if unsent is None or not await self.profile.cancel_pending(unsent.seq):
            await self.profile.act(*cancel_order(trade_id))
        self.refresh()
        self.changed()
