"""The child's value over time: one chart shared by home and the portfolio.

The series, its time-weighted return and the market line beside it come from the server
(``/performance``); offline, the last one loaded (``load_series``). Both screens show the same chart,
the same change words, the same simple explanation of the time-weighted return and the same sentence
comparing the child with the whole market, so they can never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .benchmark import BenchmarkWords, benchmark_words
from .charts import Change, ChartModel, Point, chart_model, day_move, load_series, move_text, range_move
from .child import ChildScreen
from .glossary import Gloss, about_total_return

__all__ = ["ValueChartScreen"]

# the server's name for the whole history of a child's value
_PERFORMANCE_RANGE = {"1W": "1W", "1M": "1M", "3M": "3M", "1Y": "1Y", "max": "ALL"}


class ValueChartScreen(ChildScreen):
    """A child screen that shows the child's value chart (home, the portfolio)."""

    chart: list[Point]
    chart_note: str | None
    range_: str = "1M"
    day_move: Change | None = None
    move: Change | None = None
    twr: str | None = None
    market: BenchmarkWords | None = None
    model: ChartModel | None = None
    today_text = ""
    range_text = ""

    def refresh(self) -> None:
        super().refresh()
        if not hasattr(self, "chart"):  # before the first load: say it is coming
            self.chart, self.chart_note = [], self.tools.tr("home.chart_loading")
        elif self.chart:
            self._follow_local_value()

    def _follow_local_value(self) -> None:
        """The series' last point is "now": keep it at the value the rest of the screen shows (the
        local books, updated by every sync and trade), so the chart and "today" never disagree with
        the total above them until the next load."""
        value = self.summary().total_value
        if self.chart[-1].value != value:
            self.chart = [*self.chart[:-1], Point(self.chart[-1].t, value)]
            self._derive()

    async def load_chart(self, range_: str | None = None) -> None:
        """The value series comes from the server; offline, the last one loaded (and says so)."""
        self.range_ = range_ or self.range_
        self.busy = True
        self.changed()
        server_range = _PERFORMANCE_RANGE.get(self.range_, "1M")
        try:
            loaded = await load_series(
                self.profile,
                ("performance", server_range),
                lambda: self.profile.api.performance(self.me.user_id, server_range),
                _value_points,
                self.tools,
            )
        finally:
            self.busy = False
        self.chart, self.chart_note = loaded.points, loaded.note
        tr = self.tools.tr
        answer = loaded.answer if isinstance(loaded.answer, dict) else None
        self.market = benchmark_words(self.tools, answer) if answer is not None else None
        twr = answer.get("twr_pct") if answer is not None else None
        self.twr = tr("home.twr", pct=self.tools.fmt.pct(float(twr))) if twr is not None else None
        self._derive()
        self.changed()

    def _derive(self) -> None:
        """The chart's picture and its words from ``chart`` (and the market line beside it)."""
        tr, game = self.tools.tr, self.tools.fmt.game
        self.day_move, self.move = day_move(self.chart, self.tools.tz), range_move(self.chart)
        line = self.market.line if self.market and self.market.line else None
        self.model = chart_model(self.chart, game, self.tools, line) if len(self.chart) > 1 else None
        self.today_text = move_text(tr("chart.today"), self.day_move, game, self.tools)
        self.range_text = move_text(tr("chart.in_range"), self.move, game, self.tools)

    def return_gloss(self) -> Gloss:
        """수익률 explained with the child's own money put in and value now."""
        return about_total_return(self.tools, self.summary())


def _value_points(answer: Any) -> list[Point]:
    return [Point(datetime.fromisoformat(p["t"]), int(p["value"])) for p in answer.get("series", [])]
