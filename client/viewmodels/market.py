"""Market: offline symbol search, whether each market is open (and when it opens), the watchlist."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sync.market import market_of
from sync.rules import Market
from sync.search import SymbolEntry, SymbolIndex, entries_from_json

from .base import Profile, Tools
from .child import ChildScreen
from .market_hours import is_open, market_time, next_open, remember
from .prefs import Prefs

__all__ = ["MarketVM", "Row", "load_index"]


@cache
def load_index(path: Path) -> SymbolIndex:
    """The bundled directory (assets/market/symbols.json), indexed once per process."""
    return SymbolIndex(entries_from_json(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Row:
    symbol: str
    name: str
    detail: str  # code · market
    price: str | None
    watched: bool


def entry_name(entry: SymbolEntry, locale: str) -> str:
    return entry.name_ko if locale == "ko" or not entry.name_en else entry.name_en


class MarketVM(ChildScreen):
    def __init__(self, profile: Profile, tools: Tools, index: SymbolIndex, prefs: Prefs) -> None:
        self.index, self.prefs, self.query = index, prefs, ""
        super().__init__(profile, tools)

    def refresh(self) -> None:
        super().refresh()
        now, tr = self.server_now(), self.tools.tr
        self.markets = []
        for market in Market:
            if is_open(market, now):
                text = tr("market.open", market=tr(f"market.name.{market.value}"))
            else:
                when = market_time(self.tools, market, next_open(market, now), self.tools.clock())
                text = tr("market.closed", market=tr(f"market.name.{market.value}"), when=when)
            self.markets.append((market.value, is_open(market, now), text))
        self.results = self._rows(self._search())
        self.watchlist = self._rows([e for s in self.prefs.watchlist if (e := self.index.get(s))])
        self.empty_note = tr("market.no_results") if self.query.strip() and not self.results else None
        # a house rule explains itself: stocks it hides are named as hidden by the parent, not missing
        self.rule_note = self._hidden_note()

    def _matches(self) -> list[SymbolEntry]:
        q = self.query.strip()
        return [m.entry for m in self.index.search(q, limit=20)] if q else []

    def _search(self) -> list[SymbolEntry]:
        allowed = set(self.book.rules().markets)
        return [e for e in self._matches() if market_of(e.symbol) in allowed]

    def _hidden_note(self) -> str | None:
        allowed, tr = set(self.book.rules().markets), self.tools.tr
        hidden = sorted({market_of(e.symbol) for e in self._matches()} - allowed, key=lambda m: m.value)
        if not hidden:
            return None
        names = ", ".join(tr(f"market.name.{m.value}") for m in hidden)
        return tr("market.hidden_by_rule", markets=names)

    def _rows(self, entries: list[SymbolEntry]) -> list[Row]:
        rows = []
        fx = self.book.fx_quote()
        for e in entries:
            q = self.quote(e.symbol)
            rows.append(
                Row(
                    symbol=e.symbol,
                    name=entry_name(e, self.tools.tr.locale),
                    detail=f"{e.code} · {e.market}",
                    price=self.tools.fmt.price(e.symbol, q.price, fx.price if fx else None) if q else None,
                    watched=e.symbol in self.prefs.watchlist,
                )
            )
        return rows

    async def load_status(self) -> None:
        """Ask the server for the real calendars (holidays); offline the weekday rule stays."""
        try:
            remember(await self.profile.api.market_status())
        except Exception:  # ApiError (OFFLINE or a server problem): the local rule is the fallback
            return
        self.refresh()
        self.changed()

    def search(self, query: str) -> None:
        self.query = query
        self.refresh()
        self.changed()

    def toggle_watch(self, symbol: str) -> None:
        if symbol in self.prefs.watchlist:
            self.prefs.watchlist.remove(symbol)
        else:
            self.prefs.watchlist.append(symbol)
        self.prefs.save()
        self.refresh()
        self.changed()
