"""Home: total value, the headline profit (G₩ and %), cash, convertible profit, a value chart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sync.market import market_of
from sync.missions import Mission

from .charts import Point
from .leaderboard import LeaderboardModel, leaderboard_model
from .market_hours import is_open, last_open
from .missions import MissionRow, mission_rows, missions_of, remember, remembered
from .notices import bundled_index
from .sync_chip import connection_banner, sync_chip
from .value_chart import ValueChartScreen

__all__ = ["HomeVM", "Point"]

STALE = timedelta(hours=1)


class HomeVM(ValueChartScreen):
    board: LeaderboardModel = LeaderboardModel()  # shown when a parent put this child on it
    greeting: str = ""
    mission_rows: tuple[MissionRow, ...] = ()
    # a sync since the list came: an open mission may have been completed by the server (the view
    # fetches the list again; the server decides completion, this device only shows progress)
    missions_stale: bool = False
    _missions_synced: object = None

    async def load_missions(self) -> None:
        """The child's missions from the server, when online; their progress is computed here."""
        try:
            answer = await self.profile.api.missions(self.me.user_id)
        except Exception:  # noqa: BLE001 - offline or refused: the card keeps what it showed
            return
        remember(self.me.user_id, missions_of(answer))
        self.refresh()
        self.changed()

    async def load_board(self) -> None:
        """The family leaderboard, when online (offline, the last one loaded stays)."""
        try:
            answer = await self.profile.api.leaderboard()
        except Exception:  # noqa: BLE001 - offline or refused: the card keeps what it showed
            return
        self.board = leaderboard_model(answer, self.tools)
        self.changed()

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
        self.banner = connection_banner(self.view.status, self.view.pending, self.tools)
        self.greeting = self.tools.tr("home.greeting", name=self.me.display_name)
        self.prices_note = self._prices_note(s.positions)
        self.missions: tuple[Mission, ...] = remembered(self.me.user_id)  # kept while offline
        synced = self.view.status.last_synced_at
        if synced != self._missions_synced and any(m.open for m in self.missions):
            self.missions_stale = True
        self._missions_synced = synced
        self.mission_rows = tuple(
            mission_rows(list(self.missions), self.book, self.server_now(), self.tools, bundled_index())
        )

    def _prices_note(self, holdings: list[Any]) -> str | None:
        """The oldest price behind the total, when it is old enough to mislead (over an hour) — or,
        while every held market is closed and each price is from its last session, that it is the
        last trading day's (on a weekend "connect for new prices" would send a child looking)."""
        quoted = [(market_of(h.symbol), q) for h in holdings if (q := self.quote(h.symbol)) is not None]
        if not quoted:
            return None
        now, oldest = self.server_now(), min(q.as_of for _, q in quoted)
        if now - oldest <= STALE:
            return None
        if all(not is_open(m, now) and q.as_of >= last_open(m, now) for m, q in quoted):
            return self.tools.tr("home.prices_closed", day=self.tools.fmt.day(oldest))
        return self.tools.tr("home.prices_old", ago=self.tools.fmt.ago(now - oldest))
