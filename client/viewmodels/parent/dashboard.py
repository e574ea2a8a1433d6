"""The family dashboard: each child's value, profit, recent trades and pending requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sync.book import Book
from sync.market import Quote
from sync.portfolio import summarise
from sync.records import RequestStatus
from sync.search import SymbolIndex

from ..base import Profile, Tools
from ..market import entry_name
from .base import ParentRuntime, ParentScreen

__all__ = ["ChildCard", "DashboardVM", "RecentTrade"]

RECENT = 3


@dataclass(frozen=True)
class RecentTrade:
    text: str  # "삼성전자 1주 샀어요 · 완료"
    journal: str | None = None  # 이유: “…”, the child's own sentence on why (trade journal)


@dataclass(frozen=True)
class ChildCard:
    child_id: str
    name: str
    value: str
    profit: str  # "+12,000 G₩ (+1.20%)"
    tone: str  # up | down | flat
    trades: list[RecentTrade]  # the newest few, in words, each with the child's reason
    pending_requests: int
    awaiting_trades: int  # orders waiting for a parent's approval
    to_pay: int  # approved, not yet paid


class DashboardVM(ParentScreen):
    def __init__(
        self,
        profile: Profile,
        tools: Tools,
        runtime: ParentRuntime | None = None,
        index: SymbolIndex | None = None,
    ):
        self.index = index
        super().__init__(profile, tools, runtime)

    def _name(self, symbol: str) -> str:
        entry = self.index.get(symbol) if self.index is not None else None
        return entry_name(entry, self.tools.tr.locale) if entry else symbol

    def _quotes_for(self, book: Book) -> Callable[[str], Quote | None]:
        """The newest quote the device has for a symbol, else the child's book's own last one."""
        return lambda symbol: self.view.quotes.get(symbol) or book.latest_quote(symbol)

    def refresh(self) -> None:
        super().refresh()
        tr, fmt = self.tools.tr, self.tools.fmt
        cards: list[ChildCard] = []
        for child in self.children():
            book = child.book
            s = summarise(book, self._quotes_for(book))
            newest = sorted(book.trades.values(), key=lambda t: (t.created_at, t.trade_id), reverse=True)
            trades = newest[:RECENT]
            lines = [
                RecentTrade(
                    tr(
                        # past tense only once it filled: a waiting order was not bought yet
                        f"parent.dash.trade.{t.side}" + ("" if t.status == "filled" else "_order"),
                        symbol=self._name(t.symbol),
                        shares=fmt.shares(t.quantity) if t.quantity else fmt.game(t.amount or 0),
                        status=tr(f"parent.trade.{t.status}"),
                    ),
                    tr("parent.dash.journal", text=t.journal) if t.journal else None,
                )
                for t in trades
            ]
            requests = book.requests()
            cards.append(
                ChildCard(
                    child_id=child.child_id,
                    name=child.name,
                    value=fmt.game(s.total_value),
                    profit=f"{fmt.game(s.profit, signed=True)} ({fmt.pct(s.profit_pct)})",
                    tone="up" if s.profit > 0 else ("down" if s.profit < 0 else "flat"),
                    trades=lines,
                    pending_requests=sum(r.status == RequestStatus.PENDING for r in requests),
                    awaiting_trades=sum(t.status == "awaiting" for t in book.trades.values()),
                    to_pay=sum(r.status == RequestStatus.APPROVED for r in requests),
                )
            )
        self.cards = cards
        self.waiting_total = sum(c.pending_requests + c.awaiting_trades for c in cards)
        self.to_pay_total = sum(c.to_pay for c in cards)
