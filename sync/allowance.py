"""Converting realised game profit into real pocket money: amounts, limits and the state machine."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .context import KST
from .errors import Code, Rejected
from .money import div_floor
from .records import Request, RequestStatus, Stats
from .rules import HouseRules

__all__ = ["OPEN", "check_request_limits", "convertible_profit", "real_amount", "week_and_month_start"]

OPEN = (RequestStatus.PENDING,)
_COUNTED = (RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.PAID)


def real_amount(amount_game: int, rules: HouseRules) -> int:
    """Real won for ``amount_game`` game won: floor(X × rate), the child receives."""
    return div_floor(amount_game * rules.conversion_num, rules.conversion_den)


def convertible_profit(stats: Stats, requests: Iterable[Request], *, excluding: str | None = None) -> int:
    """Realised profit − converted − reserved by open requests, floored at 0.

    Realised profit is cumulative and includes losses, so losses realised after a conversion must be
    earned back before more can be converted: that is the high-water mark.
    """
    reserved = sum(r.amount_game for r in requests if r.status in OPEN and r.request_id != excluding)
    return max(0, stats.realised - stats.converted - reserved)


def week_and_month_start(now: datetime) -> tuple[datetime, datetime]:
    """Start of the (Monday-based) week and the month containing ``now``, in Korea.

    Caps count Korean calendar weeks and months, like the daily limits (``kst_day``), whatever
    timezone the caller's clock uses: the server's UTC month would start at 09:00 on the 1st.
    """
    day = now.astimezone(KST).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()), day.replace(day=1)


def check_request_limits(
    *,
    amount_game: int,
    cash: int,
    stats: Stats,
    requests: list[Request],
    rules: HouseRules,
    now: datetime,
    editing: Request | None = None,
) -> int:
    """Every rule a new (or edited) request must pass; returns its real amount. Raises ``Rejected``."""
    excluding = editing.request_id if editing else None
    available_cash = cash + (editing.amount_game if editing else 0)
    convertible = convertible_profit(stats, requests, excluding=excluding)
    if amount_game < rules.min_request:
        raise Rejected(Code.ORDER_TOO_SMALL, {"minimum": rules.min_request})
    if amount_game > convertible:
        raise Rejected(Code.INSUFFICIENT_PROFIT, {"convertible": convertible})
    if amount_game > available_cash:
        raise Rejected(Code.INSUFFICIENT_FUNDS, {"cash": available_cash})
    real = real_amount(amount_game, rules)
    if real <= 0:
        raise Rejected(Code.ORDER_TOO_SMALL, {"minimum": rules.min_request})
    others = [r for r in requests if r.request_id != excluding and r.status in _COUNTED]
    if editing is None and rules.request_cooldown_s:
        last = max((r.created_at for r in requests), default=None)
        if last is not None and (now - last).total_seconds() < rules.request_cooldown_s:
            until = last + timedelta(seconds=rules.request_cooldown_s)
            raise Rejected(Code.COOLDOWN, {"until": until.isoformat()})
    week, month = week_and_month_start(now)
    used_week = sum(r.amount_real for r in others if r.created_at >= week)
    used_month = sum(r.amount_real for r in others if r.created_at >= month)
    if used_week + real > rules.request_cap_week:
        raise Rejected(
            Code.CAP_EXCEEDED, {"period": "week", "cap": rules.request_cap_week, "used": used_week}
        )
    if used_month + real > rules.request_cap_month:
        raise Rejected(
            Code.CAP_EXCEEDED, {"period": "month", "cap": rules.request_cap_month, "used": used_month}
        )
    return real
