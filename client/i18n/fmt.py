"""Numbers, money, shares and times for the current locale.

Money is an ``int`` everywhere (sync/money.py); only here does it become text. Korean puts the unit
after the number (71,200원), English before it (₩71,200).

One money language: everything inside the game is game won (G₩) — cash, totals, fees and KRX share
prices alike (a KRX price is what a share costs in game money); a US price is in dollars followed by
its game-won value at the current rate ("US$190.00 (≈ 262,200 G₩)"); real won (원 / ₩) is only for
pocket money a parent pays out (:meth:`Formatter.won`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sync.market import currency_of
from sync.money import MICRO, format_shown_shares, shown_micro_shares
from sync.pricing import gross_value

from .catalog import Translator

__all__ = ["Formatter"]


def _grouped(n: int) -> str:
    return f"{abs(n):,}"


class Formatter:
    """Formatting bound to a translator (it follows locale switches)."""

    def __init__(self, tr: Translator, tz: tzinfo | None = None) -> None:
        self.tr = tr
        self.tz = tz  # the viewer's timezone; None is the device's own

    @property
    def korean(self) -> bool:
        return self.tr.locale == "ko"

    def _sign(self, n: int, signed: bool) -> str:
        if n < 0:
            return "-"
        return "+" if signed and n > 0 else ""

    def won(self, amount: int, *, signed: bool = False) -> str:
        """Real money: 71,200원 / ₩71,200."""
        sign = self._sign(amount, signed)
        return f"{sign}{_grouped(amount)}원" if self.korean else f"{sign}₩{_grouped(amount)}"

    def game(self, amount: int, *, signed: bool = False) -> str:
        """Game money: 15,000 G₩ / G₩15,000."""
        sign = self._sign(amount, signed)
        return f"{sign}{_grouped(amount)} G₩" if self.korean else f"{sign}G₩{_grouped(amount)}"

    def usd(self, micro: int, *, signed: bool = False) -> str:
        """Micro-dollars with cents (rounded half up, display only): US$189.50."""
        cents = (abs(micro) * 100 + MICRO // 2) // MICRO
        sign = "-" if micro < 0 and cents else ("+" if signed and micro > 0 else "")
        return f"{sign}US${cents // 100:,}.{cents % 100:02d}"

    def price(self, symbol: str, price: int, fx: int | None = None) -> str:
        """A share price in game money: G₩ for KRX; for US dollars, and with ``fx`` (micro-won per
        dollar) also the share's game-won value at that rate: "US$190.00 (≈ 262,200 G₩)"."""
        if currency_of(symbol) == "KRW":
            return self.game(price)
        if fx is None:
            return self.usd(price)
        value = gross_value(price, MICRO, fx, buying=False)  # one share, no spread: a hint, not a fill
        return self.tr("fmt.usd_in_game", usd=self.usd(price), game=self.game(value))

    def fx(self, micro_won_per_usd: int) -> str:
        """The game's exchange rate: dollars become game won at it ("1 US$ = 1,380.00 G₩")."""
        won, micro = divmod(micro_won_per_usd, MICRO)
        return f"1 US$ = {won:,}.{micro * 100 // MICRO:02d} G₩"

    def shares(self, micro_shares: int) -> str:
        """Every share count a person reads, one rule (``sync.money.shown_micro_shares``): "48.6019주";
        the review's estimate, the fill, the portfolio and a parent's card then agree digit for digit."""
        count = format_shown_shares(micro_shares)
        one = shown_micro_shares(micro_shares) == MICRO
        return self.tr("fmt.shares_one" if one else "fmt.shares", count=count)

    def pct(self, value: float, *, signed: bool = True) -> str:
        sign = "+" if signed and value > 0 else ""
        return f"{sign}{value:,.2f}%"

    def bps(self, basis_points: int) -> str:
        """A rate in basis points as a percentage: 500 → "5%", 15 → "0.15%"."""
        whole, rest = divmod(basis_points, 100)
        return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"

    def ago(self, delta: timedelta) -> str:
        seconds = max(0, int(delta.total_seconds()))
        if seconds < 60:
            return self.tr("time.just_now")
        if seconds < 3600:
            return self.tr("time.minutes_ago", n=seconds // 60)
        if seconds < 86400:
            return self.tr("time.hours_ago", n=seconds // 3600)
        return self.tr("time.days_ago", n=seconds // 86400)

    def day(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d")

    def when(self, moment: datetime, now: datetime, tz: tzinfo | None = None) -> str:
        """A near moment in the viewer's timezone: "today 09:00", "tomorrow 09:00", "Mon 09:00"."""
        tz = tz or self.tz
        local, today = moment.astimezone(tz), now.astimezone(tz).date()
        clock = local.strftime("%H:%M")
        days = (local.date() - today).days
        if days == 0:
            return self.tr("time.today_at", time=clock)
        if days == 1:
            return self.tr("time.tomorrow_at", time=clock)
        weekday = self.tr(f"time.weekday.{local.weekday()}")
        if 1 < days < 7:
            return self.tr("time.weekday_at", day=weekday, time=clock)
        return self.tr("time.date_at", date=local.strftime("%Y-%m-%d"), time=clock)
