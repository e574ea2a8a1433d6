"""Home: total value, the headline profit (G₩ and %), cash, convertible profit, a value chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .child import ChildScreen
from .errors import code_of, explain
from .sync_chip import sync_chip

__all__ = ["HomeVM", "Point"]

STALE = timedelta(hours=1)


@dataclass(frozen=True)
class Point:
    t: datetime
    value: int


class HomeVM(ChildScreen):
    chart: list[Point]
    chart_note: str | None

    def refresh(self) -> None:
        super().refresh()
        fmt, s = self.tools.fmt, self.summary()
        self.total_value = fmt.game(s.total_value)
        self.profit = fmt.game(s.profit, signed=True)
        self.profit_pct = fmt.pct(s.profit_pct)
        self.profit_tone = "up" if s.profit > 0 else ("down" if s.profit < 0 else "flat")
        self.cash = fmt.game(s.cash)
        self.convertible = fmt.game(s.convertible_profit)
        self.sync_text, self.sync_tone = sync_chip(self.view.status, self.tools)
        self.greeting = self.tools.tr("home.greeting", name=self.me.display_name)
        self.prices_note = self._prices_note(s.positions)
        if not hasattr(self, "chart"):
            self.chart, self.chart_note = [], self.tools.tr("home.chart_loading")

    def _prices_note(self, holdings: list[Any]) -> str | None:
        """The oldest price behind the total, when it is old enough to mislead (over an hour)."""
        ages = [q.as_of for h in holdings if (q := self.quote(h.symbol)) is not None]
        if not ages:
            return None
        age = self.server_now() - min(ages)
        return self.tools.tr("home.prices_old", ago=self.tools.fmt.ago(age)) if age > STALE else None

    async def load_chart(self, range_: str = "3mo") -> None:
        """The value series comes from the server; offline the chart says so instead of guessing."""
        self.busy = True
        self.changed()
        try:
            perf: dict[str, Any] = await self.profile.api.performance(self.me.user_id)
        except Exception as exc:  # ApiError (incl. OFFLINE): explained, never a crash
            self.chart = []
            code = code_of(exc)
            self.chart_note = (
                self.tools.tr("home.chart_offline") if code == "OFFLINE" else explain(self.tools.tr, code)
            )
        else:
            self.chart = [
                Point(datetime.fromisoformat(p["t"]), int(p["value"])) for p in perf.get("series", [])
            ]
            self.chart_note = None if len(self.chart) > 1 else self.tools.tr("home.chart_empty")
        finally:
            self.busy = False
        self.changed()
