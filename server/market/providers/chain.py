"""The fallback chain: ask each provider in order, and the next one only for what is still missing.

A provider that raises is skipped for this call (its own ``health`` records why and when to retry);
nothing a provider does can make the chain raise, so trading never waits on Yahoo.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from .base import Action, Bar, Health, MarketDataProvider, ProviderQuote

__all__ = ["ProviderChain"]

log = logging.getLogger(__name__)


class ProviderChain:
    def __init__(self, providers: Sequence[MarketDataProvider]) -> None:
        if not providers:
            raise ValueError("a chain needs at least one provider")
        self.providers = list(providers)
        self.name = "→".join(p.name for p in self.providers)

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
