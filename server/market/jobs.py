"""The market's background work, on one daemon thread started in the app's lifespan.

Each pass, every ``fx_every``, refreshes USD/KRW (the provider's rate, else the bundled ECB one);
every ``actions_every`` asks the provider for dividends and splits of the symbols children hold
(:func:`.actions.refresh_actions`) and, in history replay, the end of a company's bundled history
(:func:`.actions.record_history_ends`); applies the corporate actions whose ex-date has begun
(:func:`.actions.apply_due_actions`); and fills the queued orders whose session has opened
(:func:`.opening.fill_due_orders`). All are plain functions that tests and the CLI call directly;
the thread only repeats them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from litestar.datastructures import State

from ..background import Periodic
from ..db import Database
from .actions import apply_due_actions, record_history_ends, refresh_actions
from .clock import provide_market_clock
from .fx import refresh_fx
from .opening import fill_due_orders

__all__ = ["MarketJobs"]

_log = logging.getLogger("yongdon.market")


class MarketJobs(Periodic):
    """Runs the market passes every ``interval`` seconds until stopped.

    ``state.market_clock`` (when set) and ``state.market_provider`` are read on every pass, so a
    clock without sessions, such as the tests' fixed one, leaves queued orders alone.
    """

    thread_name = "yongdon-market"

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        state: State,
        *,
        interval: float = 15.0,
        fx_every: timedelta = timedelta(minutes=15),
        actions_every: timedelta = timedelta(hours=6),  # Yahoo rate-limits; actions change rarely
    ) -> None:
        self.db, self.clock, self.state = db, clock, state
        self.interval, self.fx_every, self.actions_every = interval, fx_every, actions_every
        self._fx_at: datetime | None = None
        self._actions_at: datetime | None = None
        super().__init__()

    def run_once(self) -> None:
        """One pass: FX when due (a US fill or dividend converts at it), corporate actions (a split
        cancels the queued orders it concerns before they could fill at a post-split price), then
        queued orders."""
        now = self.clock()
        provider = self.state.get("market_provider")
        if self._fx_at is None or now - self._fx_at >= self.fx_every:
            refresh_fx(self.db, now, provider)
            self._fx_at = now
        market_clock: Any = provide_market_clock(self.state)
        self._corporate_actions(now, provider, market_clock)
        if hasattr(market_clock, "last_open"):
            fill_due_orders(self.db, market_clock, now)

    def _corporate_actions(self, now: datetime, provider: Any, market_clock: Any) -> None:
        try:
            due = self._actions_at is None or now - self._actions_at >= self.actions_every
            if provider is not None and due:
                self._actions_at = now  # a failed ask waits out the interval too: no hammering
                refresh_actions(self.db, provider, now)
            if provider is not None:  # cheap, and a replay at speed may pass an end any minute
                record_history_ends(self.db, provider, now)
            apply_due_actions(self.db, now, market_clock)
        except Exception:  # noqa: BLE001 - queued orders must still fill; the next pass retries
            _log.exception("corporate actions pass failed")
