"""A stock's page: price and its age, a chart, the kid-level description, and the fill-rule preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.book import Book
from sync.market import market_of
from sync.rules import TradeApproval
from sync.search import SymbolIndex

from .base import Profile, Tools
from .charts import (
    Change,
    ChartModel,
    Point,
    chart_model,
    last_move,
    load_series,
    move_text,
    price_source,
    range_move,
)
from .child import ChildScreen
from .errors import explain
from .glossary import Gloss, about_event, about_open_price, about_term
from .inbox import my_notifications
from .market import entry_name
from .market_hours import market_time, next_open
from .news import NewsModel, load_news
from .notices import word
from .predict import FillPreview, predict_fill

__all__ = ["StockVM", "approval_text", "known_ended", "preview_text"]

# the notifications of the child's own settled holding: the stock trades no more
_SETTLED = {"StockDelisted": "delisting", "PriceHistoryEnded": "data_end"}


def _settled_notice(view: Any, symbol: str) -> dict[str, Any] | None:
    """The notification that settled the child's own shares of ``symbol``, if it has one."""
    return next(
        (
            n
            for n in my_notifications(view)
            if n.get("event") in _SETTLED
            and ((n.get("data") or {}).get("facts") or {}).get("symbol") == symbol
        ),
        None,
    )


def known_ended(profile: Profile, view: Any, symbol: str) -> str | None:
    """How the app knows ``symbol`` trades no more ("delisting"/"data_end"), ``None`` while it does not:
    a chart answer of the server said so (of any range, kept for offline), or the notification that
    settled the child's own shares. The server decides every order (``SYMBOL_ENDED``); this only lets
    the app say so before asking."""
    for (chart_symbol, _), loaded in getattr(profile, "charts", {}).items():
        answer = getattr(loaded, "answer", None)
        if chart_symbol == symbol and isinstance(answer, dict) and isinstance(answer.get("ended"), dict):
            return str(answer["ended"].get("kind"))
    settled = _settled_notice(view, symbol)
    return _SETTLED.get(str(settled.get("event"))) if settled else None


def preview_text(preview: FillPreview, symbol: str, tools: Tools) -> str:
    tr, fmt = tools.tr, tools.fmt
    price = fmt.price(symbol, preview.price) if preview.price is not None else ""
    if preview.kind == "queued":
        assert preview.opens_at is not None
        return tr(
            "preview.queued", when=market_time(tools, market_of(symbol), preview.opens_at, tools.clock())
        )
    if preview.kind == "rejected":
        return explain(tr, preview.code)
    return tr(f"preview.{preview.kind}", price=price)


def approval_text(book: Book, tools: Tools) -> str | None:
    """The house rule that makes an order wait for a parent, said before the child starts one (the
    review says it again with the order's numbers). ``first`` is said only while it still applies."""
    rules = book.rules()
    mode = rules.trade_approval
    if mode is TradeApproval.OFF:
        return None
    if mode is TradeApproval.FIRST:
        left = rules.approval_first - book.filled_trades()
        return tools.tr("stock.approval.first", count=str(left)) if left > 0 else None
    return tools.tr(f"stock.approval.{mode.value}", amount=tools.fmt.game(rules.approval_above))


class StockVM(ChildScreen):
    def __init__(self, profile: Profile, tools: Tools, index: SymbolIndex, symbol: str) -> None:
        self.symbol = symbol
        self.entry = index.get(symbol)
        self.chart: list[Point] = []
        self.chart_note: str | None = tools.tr("home.chart_loading")
        self.range_ = "1M"
        self.day_move: Change | None = None
        self.move: Change | None = None
        self.chart_source: str | None = None  # the bars' own source, once loaded
        self.model: ChartModel | None = None
        self.today_text = self.range_text = ""
        self.news = NewsModel([], tools.tr("news.loading"))
        self._ended: dict[str, Any] | None = None  # the history route's ``ended``, once loaded
        super().__init__(profile, tools)

    def refresh(self) -> None:
        super().refresh()
        tr, fmt, now = self.tools.tr, self.tools.fmt, self.server_now()
        e = self.entry
        self.name = entry_name(e, tr.locale) if e else self.symbol
        self.description = (e.describe(tr.locale) if e else "") or tr("stock.no_description")
        self.sector = e.sector if e else ""
        q = self.quote(self.symbol)
        fx = self.book.fx_quote()
        self.price = fmt.price(self.symbol, q.price, fx.price if fx else None) if q else tr("stock.no_price")
        self.quote_age = tr("stock.quote_age", ago=fmt.ago(now - q.as_of)) if q else ""
        # where the price comes from, always in words (a 2012 replay price must not pass for today's)
        self.source = price_source(q.source, q.as_of, self.tools) if q else (self.chart_source or "")
        self.held = self.book.position(self.symbol).quantity
        self.held_text = fmt.shares(self.held) if self.held else ""
        opens = next_open(market_of(self.symbol), now)
        self.preview = predict_fill(
            symbol=self.symbol, quote=q, rules=self.book.rules(), now=now, opens_at=opens
        )
        self.preview_text = preview_text(self.preview, self.symbol, self.tools)
        self.approval_text = approval_text(self.book, self.tools)
        self.preview_gloss = None  # the open price explained, when the order would wait for it
        if self.preview.kind == "queued" and q is not None and self.preview.opens_at is not None:
            when = market_time(self.tools, market_of(self.symbol), self.preview.opens_at, self.tools.clock())
            self.preview_gloss = about_open_price(self.tools, self.name, self.price, when)
        self.allowed = market_of(self.symbol) in self.book.rules().markets
        self.ended_text, self.ended_gloss = self._trading_ended()
        self.can_trade = q is not None and self.allowed and self.ended_text is None

    def _trading_ended(self) -> tuple[str | None, Gloss | None]:
        """The stock trades no more: said by the server's chart answer, or (offline) by the
        notification that settled the child's own shares. 상장 폐지 has its ⓘ (with the child's
        numbers when it settled their shares); our price history ending is no delisting."""
        tr = self.tools.tr
        settled = _settled_notice(self.view, self.symbol)
        kind = str(self._ended["kind"]) if self._ended else _SETTLED.get(str((settled or {}).get("event")))
        if kind not in ("delisting", "data_end"):
            return None, None
        day = self._ended.get("last_session") if self._ended else None
        text = tr(f"stock.ended.{kind}", day=day) if day else tr(f"stock.ended.{kind}_undated")
        if kind != "delisting":
            return text, None
        if settled is not None and settled.get("event") == "StockDelisted":
            return text, about_event(self.tools, "StockDelisted", word(settled, "child", self.tools)[1])
        return text, about_term(self.tools, "delisting")

    def money(self, amount: int, signed: bool = False) -> str:
        """An amount of this stock's price in its own currency ("+1,200원", "-US$0.35")."""
        text = self.tools.fmt.price(self.symbol, abs(amount))
        return ("-" if amount < 0 else "+" if signed and amount > 0 else "") + text

    async def follow_price(self) -> None:
        """Live prices for this stock while its page is open (kept by the core, like pulled ones)."""
        follow = getattr(self.profile, "follow", None)
        if follow is not None:
            await follow([self.symbol])

    async def load_news(self) -> None:
        """The stock's headlines from the server; offline, a sentence saying there is no news."""
        self.news = await load_news(
            lambda: self.profile.api.news(self.symbol), self.tools, self.tools.clock()
        )
        self.changed()

    async def load_chart(self, range_: str | None = None) -> None:
        """The price history over the chosen range; offline, the last one loaded (and says so)."""
        self.range_ = range_ or self.range_
        self.busy = True
        self.changed()
        try:
            loaded = await load_series(
                self.profile,
                (self.symbol, self.range_),
                lambda: self.profile.api.history(self.symbol, self.range_),
                _bar_points,
                self.tools,
            )
        finally:
            self.busy = False
        self.chart, self.chart_note = loaded.points, loaded.note
        self.day_move, self.move = last_move(self.chart), range_move(self.chart)
        tr = self.tools.tr
        self.model = chart_model(self.chart, self.money, self.tools) if len(self.chart) > 1 else None
        self.today_text = move_text(tr("chart.today"), self.day_move, self.money, self.tools)
        self.range_text = move_text(tr("chart.in_range"), self.move, self.money, self.tools)
        answer = loaded.answer
        if isinstance(answer, dict):
            ended = answer.get("ended")
            self._ended = ended if isinstance(ended, dict) else None
        if isinstance(answer, dict) and answer.get("source"):
            to = answer.get("to")
            when = datetime.fromisoformat(f"{to}T12:00:00+00:00") if isinstance(to, str) else None
            self.chart_source = price_source(str(answer["source"]), when, self.tools)
        self.refresh()
        self.changed()


def _bar_points(answer: Any) -> list[Point]:
    rows = answer.get("bars", []) if isinstance(answer, dict) else answer
    return [Point(_moment(b["t"]), int(b["c"])) for b in rows]


def _moment(t: Any) -> datetime:
    return datetime.fromisoformat(t) if isinstance(t, str) else t
