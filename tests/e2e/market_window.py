"""Where in the bundled history a child who buys can sell at a profit a few replay days later.

The journey buys at whatever replay day the clock has reached when the child gets to the order (a
starved CI renderer puts that anywhere in a few minutes), watches "번 돈" (the profit on the home
screen) until it passes ``trigger_won``, then sells, which takes the UI a few more replay days. A
replay start is good when, for every buy day the clock may be at, that profit comes within a few
days and a sale on any day of the lag after it still realises ``keep_won``: enough for the smallest
allowance request. Prices are the bundled closes in won at the replayed day's ECB rate, as the
server fills a US order.

``python -m tests.e2e.market_window [SYMBOL …]`` lists the best replay starts for the journey's
pace; the journey pins one (``test_journey.REPLAY_START``) and checks it with :func:`worst_wait`
before it starts, so a rebuilt history cannot make it fail for a reason nobody sees.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

__all__ = ["Pace", "worst_wait"]


@dataclass(frozen=True)
class Pace:
    """How the journey meets the replay clock (real seconds) and what it needs of the prices."""

    day_s: float  # one replay day
    buy_from_s: float  # the earliest the buy can fill after the replay clock starts
    buy_until_s: float  # the latest
    sell_lag_s: float  # from seeing the profit to the sale's fill
    budget_won: int  # what the child spends on the buy
    trigger_won: int  # the profit the child waits to see
    keep_won: int  # what every sale in the lag must still realise

    @property
    def speed(self) -> float:
        """``yongdon market use --speed``: replay days per real day."""
        return 86_400 / self.day_s

    def days(self, seconds: float) -> int:
        return int(seconds / self.day_s)


@cache
def won_per_share(symbol: str, day: date) -> int:
    """The replayed close on ``day`` in won (the server's fill: dollars × that day's ECB rate)."""
    from server.market.fx import ecb_usdkrw
    from server.market.providers.replay import bundled_history

    hit = bundled_history().bar_on(symbol, day)
    rate = ecb_usdkrw(day)
    if hit is None or rate is None:
        raise LookupError(f"no {symbol} price or USD/KRW rate on {day}")
    return hit[1].close * rate.rate // 10**12


def worst_wait(symbol: str, start: date, pace: Pace, give_up: int = 30) -> int | None:
    """The most replay days any possible buy waits for its profit; ``None`` if some buy never gets
    there within ``give_up`` days, or a sale in the lag after it would realise too little."""
    worst = 0
    for k in range(pace.days(pace.buy_from_s), pace.days(pace.buy_until_s) + 1):
        bought = start + timedelta(days=k)
        cost = won_per_share(symbol, bought)

        def profit(day: date, cost: int = cost) -> float:
            return pace.budget_won * (won_per_share(symbol, day) - cost) / cost

        for wait in range(1, give_up + 1):
            seen = bought + timedelta(days=wait)
            if profit(seen) >= pace.trigger_won:
                sales = (seen + timedelta(days=d) for d in range(pace.days(pace.sell_lag_s) + 2))
                if any(profit(s) < pace.keep_won for s in sales):
                    return None
                worst = max(worst, wait)
                break
        else:
            return None
    return worst


def best_starts(symbol: str, pace: Pace, first: date, last: date) -> list[tuple[int, date]]:
    found = []
    day = first
    while day <= last:
        wait = worst_wait(symbol, day, pace, give_up=15)
        if wait is not None:
            found.append((wait, day))
        day += timedelta(days=1)
    return sorted(found)


if __name__ == "__main__":
    from tests.e2e.test_journey import PACE

    for name in sys.argv[1:] or ["MSFT"]:
        for wait, day in best_starts(name, PACE, date(1999, 1, 4), date(2022, 11, 1))[:10]:
            print(f"{name} from {day}: the slowest buy waits {wait} replay days ({wait * PACE.day_s:.0f} s)")
