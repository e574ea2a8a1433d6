"""The background refresh: ask the provider chain for the symbols people hold or watch, and record a
new immutable quote only where the price moved.

Replay and sim are local and cheap, so in replay mode every pass asks for every symbol (the replay
clock decides when prices move). In live mode a market is refreshed only while it is open, at most
once per ``live_every`` (Yahoo rate-limits hard), and never while closed; after a market's session
its watched symbols' daily bars are stored once a day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.datastructures import State
from sqlalchemy import select, union
from sqlalchemy.orm import Session

from sync.market import Quote, market_of
from sync.rules import Market

from ..background import Periodic
from ..db import Database
from ..db.models import PositionRow, QuoteRow
from .clock import MarketClock, WeekdayMarketClock
from .fx import refresh_fx
from .history import store_bars
from .providers import ProviderChain, build_chain
from .providers.base import FX_SYMBOL
from .quotes import latest_quotes, record_quote

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["Refresher", "attach_refresher", "provide_market_chain", "record_quotes", "watched_symbols"]


def watched_symbols(session: Session) -> list[str]:
    """Every symbol someone holds or that was ever quoted (a quote is asked for because it is watched)."""
    rows = session.execute(union(select(QuoteRow.symbol), select(PositionRow.symbol)))
    return sorted(symbol for (symbol,) in rows)


def record_quotes(db: Database, chain: ProviderChain, symbols: Iterable[str], now: datetime) -> list[Quote]:
    """Ask the chain and record what it answers where the price changed, each quote with its source."""
    answers = chain.quotes(list(symbols), now)
    with db.read() as session:  # most passes change nothing: no write lock for them
        current = latest_quotes(session, answers)
    # unchanged prices get no new row: it would only make every device download it again
    moved = [a for s, a in answers.items() if s not in current or current[s].price != a.price]
    recorded: list[Quote] = []
    if moved:
        with db.write() as session:
            for answer in moved:
                recorded.append(
                    record_quote(session, answer.symbol, answer.price, answer.as_of, source=answer.source)
                )
    return recorded


class Refresher(Periodic):
    """Refreshes the quotes of watched symbols every ``interval`` seconds (see the module doc)."""

    thread_name = "yongdon-prices"

    def __init__(
        self,
        db: Database,
        chain: ProviderChain,
        clock: Callable[[], datetime],
        market_clock: MarketClock | None = None,
        *,
        interval: float = 5.0,
        live_every: timedelta = timedelta(minutes=1),
    ) -> None:
        self.db, self.chain, self.clock = db, chain, clock
        self.market_clock = market_clock or WeekdayMarketClock()
        self.interval, self.live_every = interval, live_every
        self._last_live: dict[str, datetime] = {}
        self._bars_on: dict[Market, date] = {}
        super().__init__()

    @property
    def live(self) -> bool:
        return self.chain.providers[0].name == "yahoo"

    def due(self, symbols: list[str], now: datetime) -> list[str]:
        if not self.live:
            return symbols
        picked = []
        for symbol in symbols:
            if symbol == FX_SYMBOL:
                market, open_now = "FX", now.weekday() < 5
            else:
                market, open_now = market_of(symbol).value, self.market_clock.is_open(market_of(symbol), now)
            last = self._last_live.get(market)
            if open_now and (last is None or now - last >= self.live_every):
                picked.append(symbol)
        for symbol in picked:
            self._last_live["FX" if symbol == FX_SYMBOL else market_of(symbol).value] = now
        return picked

    def store_daily_bars(self, symbols: list[str], now: datetime) -> int:
        """Live mode: once a UTC day per market, after its session, store the last month of Yahoo's daily
        bars of the watched symbols — what ``snapshot`` charts from when Yahoo is down later."""
        written = 0
        for market in Market:
            if self.market_clock.is_open(market, now) or self._bars_on.get(market) == now.date():
                continue
            self._bars_on[market] = now.date()
            for symbol in (s for s in symbols if s != FX_SYMBOL and market_of(s) is market):
                bars = self.chain.history(symbol, now.date() - timedelta(days=31), now.date())
                written += store_bars(self.db, symbol, "1d", [b for b in bars if b.source == "yahoo"])
        return written

    def run_once(self) -> list[Quote]:
        now = self.clock()
        with self.db.read() as session:
            symbols = watched_symbols(session)
        if self.live:
            self.store_daily_bars(symbols, now)
        due = self.due(symbols, now)
        if FX_SYMBOL in due:  # the rate has its own fallback (the bundled ECB rates) in server.market.fx
            due.remove(FX_SYMBOL)
            refresh_fx(self.db, now, self.chain)
        return record_quotes(self.db, self.chain, due, now) if due else []



def provide_market_chain(state: State) -> ProviderChain:
    """DI provider: the app's chain; built on first use in the stored mode (replay unless chosen)."""
    chain = state.get("market_chain")
    if chain is None:
        settings: Settings = state.settings
        chain = build_chain(state.db, settings.data_dir, state.clock())
        state.market_chain = chain
        if state.get("market_provider") is None:
            state.market_provider = chain  # what GET /api/market/status reports the health of
    return chain


def attach_refresher(app: Litestar) -> Refresher:
    """Run the refresher with ``app`` (the CLI's servers do; tests drive ``run_once`` themselves)."""
    chain = provide_market_chain(app.state)
    refresher = Refresher(app.state.db, chain, app.state.clock, app.state.get("market_clock"))
    app.on_startup.append(lambda _app: refresher.start())
    app.on_shutdown.insert(0, lambda _app: refresher.stop())  # before the database is disposed
    return refresher
