"""A stock's page: price and its age, a chart, the kid-level description, and the fill-rule preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.market import market_of
from sync.search import SymbolIndex

from .base import Tools
from .child import ChildScreen
from .errors import code_of, explain
from .home import Point
from .market import entry_name
from .market_hours import next_open
from .predict import FillPreview, predict_fill

__all__ = ["StockVM", "preview_text"]


def preview_text(preview: FillPreview, symbol: str, tools: Tools) -> str:
    tr, fmt = tools.tr, tools.fmt
    price = fmt.price(symbol, preview.price) if preview.price is not None else ""
    if preview.kind == "queued":
        assert preview.opens_at is not None
        return tr("preview.queued", when=fmt.when(preview.opens_at, tools.clock()))
    if preview.kind == "rejected":
        return explain(tr, preview.code)
    return tr(f"preview.{preview.kind}", price=price)


class StockVM(ChildScreen):
    def __init__(self, profile: Any, tools: Tools, index: SymbolIndex, symbol: str) -> None:
        self.symbol = symbol
        self.entry = index.get(symbol)
        self.chart: list[Point] = []
        self.chart_note: str | None = tools.tr("home.chart_loading")
        super().__init__(profile, tools)

    def refresh(self) -> None:
        super().refresh()
        tr, fmt, now = self.tools.tr, self.tools.fmt, self.server_now()
        e = self.entry
        self.name = entry_name(e, tr.locale) if e else self.symbol
        self.description = (e.description or tr("stock.no_description")) if e else tr("stock.no_description")
        self.sector = e.sector if e else ""
        q = self.quote(self.symbol)
        self.price = fmt.price(self.symbol, q.price) if q else tr("stock.no_price")
        self.quote_age = tr("stock.quote_age", ago=fmt.ago(now - q.as_of)) if q else ""
        self.held = self.book.position(self.symbol).quantity
        self.held_text = fmt.shares(self.held) if self.held else ""
        opens = next_open(market_of(self.symbol), now)
        self.preview = predict_fill(
            symbol=self.symbol, quote=q, rules=self.book.rules(), now=now, opens_at=opens
        )
        self.preview_text = preview_text(self.preview, self.symbol, self.tools)
        self.allowed = market_of(self.symbol) in self.book.rules().markets
        self.can_trade = q is not None and self.allowed

    async def follow_price(self) -> None:
        """Live prices for this stock while its page is open (kept by the core, like pulled ones)."""
        follow = getattr(self.profile, "follow", None)
        if follow is not None:
            await follow([self.symbol])

    async def load_chart(self) -> None:
        try:
            bars: Any = await self.profile.api.history(self.symbol, "1M")
        except Exception as exc:  # ApiError: offline or a server problem, explained
            code = code_of(exc)
            self.chart = []
            self.chart_note = (
                self.tools.tr("home.chart_offline") if code == "OFFLINE" else explain(self.tools.tr, code)
            )
        else:
            rows = bars.get("bars", []) if isinstance(bars, dict) else bars
            self.chart = [Point(_moment(b["t"]), int(b["c"])) for b in rows]
            self.chart_note = None if len(self.chart) > 1 else self.tools.tr("home.chart_empty")
        self.changed()


def _moment(t: Any) -> datetime:
    return datetime.fromisoformat(t) if isinstance(t, str) else t
