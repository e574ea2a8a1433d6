"""Prices for tests, the way a family's server gets them: from its provider chain, Yahoo first.

A test says "Samsung trades at 70,000 won now" and the server's own code does the rest, exactly as on
a live server: :class:`ScriptedYahoo` stands where ``YahooProvider`` stands (same name, same calls,
answers in the same integer units, labelled ``yahoo``) and :class:`ScriptedMarket` puts it at the head
of the live chain the server builds itself (``build_chain``: then ``snapshot``, the bundled history,
the simulation). The price then reaches the quote table only through the product: the refresher's
pass (:func:`server.market.refresher.record_quotes`, which records a quote only when the price
moved or a session opened since the stored one), the rate's refresh
(:func:`server.market.fx.refresh_fx`) or the pricer's first quote when a request names a symbol
(:class:`server.market.pricer.Pricer`).

Only the network behind Yahoo is faked. Yahoo's own parsing of its HTTP answers is tested at the HTTP
boundary in ``tests/server/test_providers_yahoo.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from server.db import Database
from server.market.fx import refresh_fx
from server.market.providers import FX_SYMBOL, ProviderChain, build_chain
from server.market.providers.base import (
    Action,
    Bar,
    Headline,
    Health,
    ProviderError,
    ProviderQuote,
    day_start,
)
from server.market.providers.yahoo import yahoo_headlines
from server.market.quotes import latest_quotes
from server.market.refresher import record_quotes
from sync.market import Quote

__all__ = ["ScriptedMarket", "ScriptedYahoo", "story"]


@dataclass
class ScriptedYahoo:
    """Yahoo as the test scripts it: the prices it quotes now, the dividends and splits it reports,
    and whether it answers at all (``down``: every call fails, as a rate limit or an outage does)."""

    name = "yahoo"
    prices: dict[str, int] = field(default_factory=dict)
    corporate: dict[str, list[Action]] = field(default_factory=dict)
    down: bool = False
    asked: list[list[str]] = field(default_factory=list)  # every quotes call, for tests that count them
    closes: dict[str, dict[date, int]] = field(default_factory=dict)  # daily closes its history answers
    # what yfinance's ``Ticker.get_news`` returns for a symbol (its JSON items, as Yahoo sends them)
    stories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    news_asked: list[str] = field(default_factory=list)

    def closed_at(self, symbol: str, days: dict[date, int]) -> None:
        """``symbol``'s daily closes (an index's points in micro-units, as Yahoo's history gives them)."""
        self.closes.setdefault(symbol, {}).update(days)

    def trades_at(self, symbol: str, price: int) -> None:
        """``symbol`` trades at ``price`` (won, micro-dollars, micro-won per dollar) from now on."""
        if price <= 0:
            raise ValueError("a quoted price is positive")
        self.prices[symbol] = price

    def _answer(self) -> None:
        if self.down:
            raise ProviderError("yahoo is down (scripted)")

    def today(self, now: datetime) -> date:
        return now.date()

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        self._answer()
        self.asked.append(sorted(symbols))
        return {s: ProviderQuote(s, self.prices[s], now, self.name) for s in symbols if s in self.prices}

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        self._answer()
        if interval != "1d":
            return []
        # nothing scripted: charts come from what the server stored or the bundled history
        days = sorted(d for d in self.closes.get(symbol, {}) if start <= d <= end)
        return [Bar(day_start(d), self.closes[symbol][d], source=self.name) for d in days]

    def actions(self, symbol: str) -> list[Action]:
        self._answer()
        return list(self.corporate.get(symbol, []))

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        return self.quotes([FX_SYMBOL], now).get(FX_SYMBOL)

    def reports(self, symbol: str, *stories: dict[str, Any]) -> None:
        """Yahoo's news stream for ``symbol`` is ``stories`` (see :func:`story`)."""
        self.stories[symbol] = list(stories)

    def headlines(self, symbol: str, now: datetime, limit: int = 10) -> list[Headline]:
        """Parsed by the real provider's own parser, from items shaped like yfinance's."""
        self._answer()
        self.news_asked.append(symbol)
        return yahoo_headlines(self.stories.get(symbol, [])[:limit], limit)

    def health(self, now: datetime) -> Health:
        return Health(False, "scripted outage") if self.down else Health()


def story(
    title: str,
    publisher: str,
    published: str,
    url: str,
    *,
    content_type: str = "STORY",
    click_through: str | None = None,
) -> dict[str, Any]:
    """One item of yfinance 1.x's ``Ticker.news``, with the fields Yahoo's stream carries (a summary
    and thumbnail the app must never show among them)."""
    uid = str(uuid.uuid5(uuid.NAMESPACE_URL, url))
    return {
        "id": uid,
        "content": {
            "id": uid,
            "contentType": content_type,
            "title": title,
            "description": "",
            "summary": f"Summary of {title} (not for the app)",
            "pubDate": published,
            "displayTime": published,
            "isHosted": True,
            "bypassModal": False,
            "previewUrl": None,
            "thumbnail": {"originalUrl": "https://media.zenfs.com/x.jpg", "originalWidth": 800},
            "provider": {"displayName": publisher, "url": "http://www.example-publisher.com/"},
            "canonicalUrl": {"url": url, "site": "finance", "region": "US", "lang": "en-US"},
            "clickThroughUrl": {"url": click_through} if click_through else None,
            "metadata": {"editorsPick": False},
            "finance": {"premiumFinance": {"isPremiumNews": False, "isPremiumFreeNews": False}},
            "storyline": None,
        },
    }


class ScriptedMarket:
    """A server's market with :class:`ScriptedYahoo` live: prices set by the test, fetched by the server.

    ``attach(app)`` gives a (test-built) app the live chain before its first request and again after a
    restart; the same Yahoo keeps its script across restarts, as the real one would.
    """

    def __init__(self, clock: Callable[[], datetime], yahoo: ScriptedYahoo | None = None) -> None:
        self.clock = clock
        self.yahoo = yahoo or ScriptedYahoo()
        self._db: Database | None = None
        self._chain: ProviderChain | None = None

    # -- wiring ----------------------------------------------------------------------------------
    def attach(self, app: Any) -> ScriptedMarket:
        """Make the app's provider chain the live one with this Yahoo at its head (what the pricer, the
        price routes, the refresher and ``GET /api/market/status`` use)."""
        state = app.state
        self._db = state.db
        self._chain = build_chain(
            state.db, Path(state.settings.data_dir), self.clock(), mode="live", live=self.yahoo
        )
        state.market_chain = state.market_provider = self._chain  # the pricer asks for it on each use
        return self

    def attach_db(self, db: Database, data_dir: Path) -> ScriptedMarket:
        """The same for a server in another process, through its database: the test's refresher here
        records what Yahoo quotes, as the server's own refresher would have."""
        self._db = db
        self._chain = build_chain(db, data_dir, self.clock(), mode="live", live=self.yahoo)
        return self

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("attach the market to a server first")
        return self._db

    @property
    def chain(self) -> ProviderChain:
        if self._chain is None:
            raise RuntimeError("attach the market to a server first")
        return self._chain

    # -- what a test says ------------------------------------------------------------------------
    def trades(
        self, symbol: str, price: int, *, at: datetime | None = None, age: timedelta = timedelta(0)
    ) -> Quote:
        """``symbol`` trades at ``price``; the server's refresh pass at ``at`` (default: now, less
        ``age``) fetches it. Returns the symbol's newest quote: a new one when the price moved, the
        one the server already had when it did not (the refresher records changes, and a session's
        first quote, only)."""
        self.yahoo.trades_at(symbol, price)
        if symbol == FX_SYMBOL:
            return self.rate(price, at=at, age=age)
        [quote] = self.refresh([symbol], at=at, age=age).values()
        return quote

    def rate(
        self, micro_won_per_usd: int, *, at: datetime | None = None, age: timedelta = timedelta(0)
    ) -> Quote:
        """The dollar trades at ``micro_won_per_usd``; the server's rate refresh fetches it."""
        self.yahoo.trades_at(FX_SYMBOL, micro_won_per_usd)
        when = (at or self.clock()) - age
        quote = refresh_fx(self.db, when, self.chain)
        if quote is None or quote.price != micro_won_per_usd:
            raise AssertionError(f"the server kept its rate {quote} (a newer one than {when.isoformat()}?)")
        return quote

    def refresh(
        self, symbols: Iterable[str], *, at: datetime | None = None, age: timedelta = timedelta(0)
    ) -> dict[str, Quote]:
        """One refresh pass of the server over ``symbols`` at ``at``; their newest quotes after it."""
        symbols = list(symbols)
        record_quotes(self.db, self.chain, symbols, (at or self.clock()) - age)
        with self.db.read() as session:
            found = latest_quotes(session, symbols)
        missing = [s for s in symbols if s not in found]
        if missing:
            raise AssertionError(f"no provider priced {missing}")
        return found


def refreshed_in(
    database_url: str, prices: dict[str, int], *, now: datetime | None = None, data_dir: Path | None = None
) -> dict[str, Quote]:
    """For a server running in another process (it cannot be handed a scripted Yahoo): Yahoo quotes
    ``prices`` and one pass of the server's refresher, run here on the server's database, records
    them, exactly as the server's own refresher would have. Returns each symbol's newest quote."""
    from datetime import UTC

    moment = now or datetime.now(UTC)
    db = Database(database_url)
    try:
        market = ScriptedMarket(lambda: moment).attach_db(db, data_dir or Path("."))
        for symbol, price in prices.items():
            market.yahoo.trades_at(symbol, price)
        return market.refresh(prices)
    finally:
        db.dispose()
