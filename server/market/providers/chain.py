"""The fallback chain: ask each provider in order, and the next one only for what is still missing.

A provider that raises is skipped for this call (its own ``health`` records why and when to retry);
nothing a provider does can make the chain raise, so trading never waits on Yahoo. A request that
must answer at once wraps the network provider in :class:`Bounded`, so a slow Yahoo counts as a
failed one for that call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVar

from .base import Action, Bar, Health, MarketDataProvider, ProviderError, ProviderQuote

if TYPE_CHECKING:
    from ..calendar import MarketCalendars

__all__ = ["Bounded", "ProviderChain"]

T = TypeVar("T")

log = logging.getLogger(__name__)


class ProviderChain:
    def __init__(self, providers: Sequence[MarketDataProvider]) -> None:
        if not providers:
            raise ValueError("a chain needs at least one provider")
        self.providers = list(providers)
        self.name = "→".join(p.name for p in self.providers)

    @property
    def live(self) -> bool:
        """Live mode: Yahoo comes first (replay mode starts with the local replay)."""
        return self.providers[0].name == "yahoo"

    def bounded(self, seconds: float) -> ProviderChain:
        """This chain with its live provider awaited at most ``seconds`` per call (itself in replay
        mode, where every provider is local)."""
        if not self.live:
            return self
        return ProviderChain([Bounded(self.providers[0], seconds), *self.providers[1:]])

    @property
    def calendars(self) -> MarketCalendars:
        """The sessions this chain trades on: in replay mode the replayed years' on the replay clock
        (the first provider's), else today's exchange calendars."""
        from ..calendar import LazyCalendars, market_calendars, replayed

        first = self.providers[0]
        replay = getattr(first, "clock", None) if first.name == "replay" else None
        if replay is None:
            return LazyCalendars(market_calendars)
        return LazyCalendars(lambda: replayed(market_calendars(), replay))

    def provider(self, name: str) -> MarketDataProvider | None:
        return next((p for p in self.providers if p.name == name), None)

    def today(self, now: datetime) -> date:
        """The date the family is "at": the first provider's (the replay date in replay mode)."""
        return self.providers[0].today(now)

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        found: dict[str, ProviderQuote] = {}
        for provider in self.providers:
            missing = [s for s in dict.fromkeys(symbols) if s not in found]
            if not missing:
                break
            try:
                found.update(provider.quotes(missing, now))
            except Exception as error:  # any failure means "ask the next one"
                log.warning("market provider %s failed for quotes: %s", provider.name, type(error).__name__)
        return found

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        for provider in self.providers:
            try:
                bars = provider.history(symbol, start, end, interval)
            except Exception as error:
                log.warning("market provider %s failed for history: %s", provider.name, type(error).__name__)
                continue
            if bars:
                return bars
        return []

    def actions(self, symbol: str) -> list[Action]:
        for provider in self.providers:
            try:
                return provider.actions(symbol)
            except Exception:  # noqa: S112  (the next provider answers)
                continue
        return []

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        for provider in self.providers:
            try:
                quote = provider.fx(pair, now)
            except Exception:  # noqa: S112
                continue
            if quote is not None:
                return quote
        return None

    def health(self, now: datetime) -> Health:
        """The first provider's health (the one the family is meant to see), every provider in ``detail``."""
        reports = {p.name: p.health(now) for p in self.providers}
        first = reports[self.providers[0].name]
        detail = {name: "ok" if r.healthy else f"failing: {r.last_error}" for name, r in reports.items()}
        for report in reports.values():
            detail.update(report.detail)  # e.g. the replay date
        return Health(first.healthy, first.last_error, first.retry_at, first.failures, detail)


class Bounded:
    """``inner`` with its answers awaited at most ``seconds``: past that the call fails with
    :class:`ProviderError` (the chain asks the next provider) and the late answer is left to the
    provider (Yahoo keeps it in its batch, where the refresher's next ask finds it).

    The call runs on a daemon thread: a request never waits longer, and a hung connection never holds
    up the server's exit."""

    def __init__(self, inner: MarketDataProvider, seconds: float) -> None:
        self.inner, self.seconds, self.name = inner, seconds, inner.name

    def _within(self, call: Callable[[], T]) -> T:
        done = threading.Event()
        outcome: list[T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                outcome.append(call())
            except BaseException as error:  # noqa: BLE001 - handed to the caller below
                failure.append(error)
            finally:
                done.set()

        threading.Thread(target=run, name=f"yongdon-{self.name}-now", daemon=True).start()
        if not done.wait(self.seconds):
            raise ProviderError(f"{self.name} did not answer within {self.seconds:g} s")
        if failure:
            raise failure[0]
        return outcome[0]

    def today(self, now: datetime) -> date:
        return self.inner.today(now)

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        return self._within(lambda: self.inner.quotes(symbols, now))

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        return self._within(lambda: self.inner.history(symbol, start, end, interval))

    def actions(self, symbol: str) -> list[Action]:
        return self._within(lambda: self.inner.actions(symbol))

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        return self._within(lambda: self.inner.fx(pair, now))

    def health(self, now: datetime) -> Health:
        return self.inner.health(now)
