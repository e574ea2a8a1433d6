"""The background refresh: ask the provider chain for the watched symbols (:mod:`.watch`: asked for,
held, and the rate), and record a new immutable quote only where the price moved, or where a
session has opened since the stored quote (its opening price; see :func:`.watch.is_news`).

Each pass first re-reads the stored market setting (:func:`follow_stored_market`): an operator's
``yongdon market use`` or the console's switch is another process's write to the database, and a
running server follows it within a pass instead of at its next restart.

Replay and sim are local and cheap, so in replay mode every pass asks for every symbol (the replay
clock decides when prices move). In live mode a market is refreshed only while it is open, at most
once per ``live_every`` (Yahoo rate-limits hard), and never while closed; after a market's session
its watched symbols' daily bars are stored once a day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.datastructures import State

from sync.market import Quote, market_of
from sync.rules import Market

from ..background import Periodic
from ..db import Database
from .clock import MarketClock, WeekdayMarketClock
from .fx import refresh_fx
from .history import store_bars
from .providers import MarketConfig, ProviderChain, build_chain, load_config
from .providers.base import FX_SYMBOL
from .quotes import latest_quotes
from .watch import is_news, record_answers, watched_symbols

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["Refresher", "attach_refresher", "follow_stored_market", "provide_market_chain", "record_quotes"]

_log = logging.getLogger("yongdon.market")


def record_quotes(db: Database, chain: ProviderChain, symbols: Iterable[str], now: datetime) -> list[Quote]:
    """Ask the chain and record what it answers where the price changed or a session opened since the
    stored quote, each quote with its source (a symbol quoted for the first time is watched from now
    on)."""
    answers = chain.quotes(list(symbols), now)
    calendars = chain.calendars
    with db.read() as session:  # most passes change nothing: no write lock for them
        current = latest_quotes(session, answers)
    # unchanged prices get no new row (every device would download it again), except a session's
    # first: a queued order needs an opening price even when the stock opens where it closed
    news = [a for s, a in answers.items() if is_news(current.get(s), a, calendars)]
    if not news:
        return []
    with db.write() as session:
        return record_answers(session, news, now, calendars)


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
        follow: Callable[[], ProviderChain] | None = None,
    ) -> None:
        self.db, self.chain, self.clock = db, chain, clock
        self.follow = follow  # the chain of the stored setting, asked at each pass (the server's own)
        self.market_clock = market_clock or WeekdayMarketClock()
        self.interval, self.live_every = interval, live_every
        self._last_live: dict[str, datetime] = {}
        self._bars_on: dict[Market, date] = {}
        super().__init__()

    @property
    def live(self) -> bool:
        return self.chain.live

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
        if self.follow is not None:
            self.chain = self.follow()
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


_building = threading.Lock()


def provide_market_chain(state: State) -> ProviderChain:
    """DI provider: the app's chain; built on first use in the stored mode (replay unless chosen)."""
    with _building:  # the first requests may come together: one chain (one Yahoo backoff) per app
        chain = state.get("market_chain")
        if chain is None:
            chain = _build(state, load_config(state.db, state.clock()))
    return chain


def follow_stored_market(state: State) -> ProviderChain:
    """The app's chain for the market setting stored now: rebuilt (and put where requests, the
    status and the market jobs find it) when the operator switched mode, start or speed since it was
    built; the same chain otherwise, so a live chain keeps its Yahoo backoff."""
    chain = provide_market_chain(state)
    stored = load_config(state.db, state.clock())
    if stored == state.get("market_config"):
        return chain
    with _building:
        if stored == state.get("market_config"):  # another thread followed it first
            return state.market_chain  # type: ignore[no-any-return]
        fresh = _build(state, stored)
    clock = stored.replay
    _log.info("market: now %s, replay from %s at %g days per day", stored.mode, clock.start, clock.speed)
    return fresh


def _build(state: State, config: MarketConfig) -> ProviderChain:
    """Build the chain of ``config`` and make it the app's (under ``_building``). The config is read
    before the chain: a switch in between shows as a change at the next follow, never as none."""
    settings: Settings = state.settings
    old = state.get("market_chain")
    chain = build_chain(state.db, settings.data_dir, state.clock())
    state.market_chain, state.market_config = chain, config
    if state.get("market_provider") in (None, old):
        state.market_provider = chain  # what GET /api/market/status reports the health of
    return chain


def attach_refresher(app: Litestar) -> Refresher:
    """Run the refresher with ``app`` (the CLI's servers do; tests drive ``run_once`` themselves)."""
    chain = provide_market_chain(app.state)
    refresher = Refresher(
        app.state.db,
        chain,
        app.state.clock,
        app.state.get("market_clock"),
        follow=lambda: follow_stored_market(app.state),
    )
    app.on_startup.append(lambda _app: refresher.start())
    app.on_shutdown.insert(0, lambda _app: refresher.stop())  # before the database is disposed
    return refresher
