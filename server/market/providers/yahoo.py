"""``yahoo``: live prices through yfinance — the only module that imports it (pinned exactly in pyproject).

yfinance is blocking and wraps endpoints with no official API that rate-limit hard, so: callers run
it off the event loop (the refresher's thread, ``sync_to_thread`` routes); its caches live under the
server's data dir; one batch per market is fetched at most every ``min_interval`` (a second ask inside
that window is answered from the last batch without touching the network, except for a symbol the
batch never asked about: a newly watched symbol gets its first live price at once); and any failure marks the
provider unhealthy with an exponential backoff (1 min → 30 min) during which it refuses at once, so
the chain falls through to ``snapshot`` instead of waiting on timeouts.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sync.market import market_of

from ...db import utcnow
from .base import FX_SYMBOL, Action, Bar, Headline, Health, ProviderError, ProviderQuote, day_start, to_minor

__all__ = ["YahooProvider", "yahoo_headlines"]

log = logging.getLogger(__name__)

YAHOO_FX = {FX_SYMBOL: "KRW=X"}  # Yahoo's ticker for won per dollar


class YahooProvider:
    name = "yahoo"

    def __init__(
        self,
        cache_dir: Path,
        *,
        session: Any = None,
        min_interval: timedelta = timedelta(minutes=1),
        max_backoff: timedelta = timedelta(minutes=30),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        import yfinance as yf
        from pandas.errors import Pandas4Warning

        # yfinance 1.7 still passes ``inplace=`` to pandas 3.1: a deprecation in its code, not ours
        warnings.filterwarnings("ignore", category=Pandas4Warning, module=r"yfinance\.")
        self._yf = yf
        cache_dir.mkdir(parents=True, exist_ok=True)
        yf.set_tz_cache_location(str(cache_dir))  # process-wide in yfinance: one server per process
        yf.config.debug.hide_exceptions = False  # we decide what an error means, not a log line
        self.session = session
        self.min_interval, self.max_backoff = min_interval, max_backoff
        self.clock = clock
        self._lock = threading.Lock()
        self._state = Health()
        # per market: when its batch was fetched, the prices it got, and every symbol it asked about
        self._batches: dict[str, tuple[datetime, dict[str, ProviderQuote], frozenset[str]]] = {}

    # -- health and backoff ------------------------------------------------------------------------

    def health(self, now: datetime) -> Health:
        with self._lock:
            state = self._state
            # unhealthy from a failure until a call succeeds again; ``retry_at`` says when it may try
            return Health(state.failures == 0, state.last_error, state.retry_at, state.failures)

    def _refuse_while_backing_off(self, now: datetime) -> None:
        with self._lock:
            if self._state.retry_at is not None and now < self._state.retry_at:
                raise ProviderError(f"yahoo is backing off until {self._state.retry_at.isoformat()}")

    def _failed(self, error: BaseException, now: datetime) -> ProviderError:
        rate_limited = type(error).__name__ == "YFRateLimitError"
        with self._lock:
            failures = self._state.failures + 1
            wait = min(timedelta(minutes=2 ** (failures - 1)), self.max_backoff)
            self._state = Health(
                False, "rate limited" if rate_limited else type(error).__name__, now + wait, failures
            )
        if failures == 1:  # the first failure of a streak is news; the rest would flood the log
            log.warning("yahoo failed (%s); backing off %s", self._state.last_error, wait)
        return ProviderError(self._state.last_error or "yahoo failed")

    def _succeeded(self) -> None:
        with self._lock:
            self._state = Health()

    def _call(self, now: datetime, fetch: Callable[[], Any]) -> Any:
        self._refuse_while_backing_off(now)
        try:
            result = fetch()
        except self._yf.exceptions.YFTickerMissingError:
            return None  # a symbol without prices is an answer about that symbol, not an outage
        except Exception as error:
            if getattr(getattr(error, "response", None), "status_code", None) == 404:
                return None  # Yahoo's "Quote not found for symbol" (yfinance's timezone lookup of it)
            raise self._failed(error, now) from error
        self._succeeded()
        return result

    # -- data --------------------------------------------------------------------------------------

    def _frame(self, ticker: str, **kwargs: Any) -> Any:
        return self._yf.Ticker(ticker, session=self.session).history(**kwargs)

    def today(self, now: datetime) -> date:
        return now.date()

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        """The newest price of each symbol; one network batch per market per ``min_interval``."""
        found: dict[str, ProviderQuote] = {}
        by_market: dict[str, list[str]] = {}
        for symbol in dict.fromkeys(symbols):
            by_market.setdefault("FX" if symbol == FX_SYMBOL else market_of(symbol).value, []).append(symbol)
        for market, wanted in by_market.items():
            fetched_at, batch, asked = self._batches.get(market, (None, {}, frozenset()))
            fresh = fetched_at is not None and now - fetched_at < self.min_interval
            ask = [s for s in wanted if s not in asked] if fresh else wanted
            for symbol in ask:
                frame = self._call(
                    now, lambda s=symbol: self._frame(YAHOO_FX.get(s, s), period="5d", interval="1d")
                )
                last = _last_close(frame)
                if last is not None:
                    batch = {**batch, symbol: ProviderQuote(symbol, to_minor(symbol, last), now, self.name)}
            if ask:  # a first ask inside the window keeps the window: the others wait it out
                started = fetched_at if fresh and fetched_at is not None else now
                self._batches[market] = (started, batch, asked | set(ask))
            found.update({s: batch[s] for s in wanted if s in batch})
        return found

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        frame = self._call(
            self.clock(),
            lambda: self._frame(
                YAHOO_FX.get(symbol, symbol),
                start=start.isoformat(),
                end=(end + timedelta(days=1)).isoformat(),
                interval=interval,
            ),
        )
        if frame is None:
            return []
        bars = []
        for stamp, row in frame.iterrows():
            close = row.get("Close")
            if close is None or math.isnan(close):
                continue
            moment = stamp.to_pydatetime()
            ts = day_start(moment.date()) if interval == "1d" else moment.astimezone(UTC)
            bars.append(
                Bar(
                    ts=ts,
                    close=to_minor(symbol, close),
                    open=_minor_or_none(symbol, row.get("Open")),
                    high=_minor_or_none(symbol, row.get("High")),
                    low=_minor_or_none(symbol, row.get("Low")),
                    volume=None if _missing(row.get("Volume")) else int(row["Volume"]),
                    source=self.name,
                )
            )
        return bars

    def actions(self, symbol: str) -> list[Action]:
        ticker = self._yf.Ticker(symbol, session=self.session)
        pairs = self._call(self.clock(), lambda: (ticker.dividends, ticker.splits))
        if pairs is None:
            return []
        dividends, splits = pairs
        found = [Action(s.date(), "dividend", amount=to_minor(symbol, v)) for s, v in dividends.items()]
        found += [Action(s.date(), "split", ratio=float(v)) for s, v in splits.items()]
        return sorted(found, key=lambda a: a.day)

    def search(self, query: str, now: datetime, limit: int = 8) -> list[dict[str, str]]:
        """Yahoo's matches for ``query`` (for an operator looking for a ticker the directory lacks)."""
        found = self._call(
            now,
            lambda: self._yf.Search(
                query, max_results=limit, news_count=0, lists_count=0, session=self.session
            ),
        )
        return [
            {
                "symbol": q["symbol"],
                "name": q.get("longname") or q.get("shortname") or "",
                "exchange": q.get("exchDisp") or q.get("exchange") or "",
                "type": q.get("quoteType", ""),
            }
            for q in (found.quotes if found is not None else [])
        ]

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        return self.quotes([FX_SYMBOL], now).get(FX_SYMBOL)

    def headlines(self, symbol: str, now: datetime, limit: int = 10) -> list[Headline]:
        """Yahoo's latest news about ``symbol`` (``Ticker.get_news``), kid-safe fields only."""
        if symbol == FX_SYMBOL or symbol.startswith("^"):
            return []
        items = self._call(
            now, lambda: self._yf.Ticker(symbol, session=self.session).get_news(count=limit, tab="news")
        )
        return yahoo_headlines(items or [], limit)


def yahoo_headlines(items: Sequence[Any], limit: int = 10) -> list[Headline]:
    """Headlines from yfinance's ``Ticker.news`` (yfinance 1.x: ``[{"id", "content": {"title",
    "pubDate", "provider": {"displayName"}, "canonicalUrl": {"url"}, "clickThroughUrl", ...}}]``),
    newest first. A story without a title, a time or an https link is left out; so is everything
    but the title, the publisher, the time and the link (summaries and pictures stay at Yahoo)."""
    found: list[Headline] = []
    for item in items:
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(content, dict):
            continue
        title = _clean(content.get("title"))
        link = _https((content.get("clickThroughUrl") or {}).get("url")) or _https(
            (content.get("canonicalUrl") or {}).get("url")
        )
        published = _instant(content.get("pubDate") or content.get("displayTime"))
        if not title or link is None or published is None:
            continue
        source = _clean((content.get("provider") or {}).get("displayName")) or "Yahoo Finance"
        found.append(Headline(title, source, published, link))
    found.sort(key=lambda h: h.published_at, reverse=True)
    return found[:limit]


def _clean(text: Any) -> str:
    """One line of plain text (no control characters), at most 300 characters."""
    if not isinstance(text, str):
        return ""
    line = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(line.split())[:300]


def _https(url: Any) -> str | None:
    return url if isinstance(url, str) and url.startswith("https://") and len(url) <= 2000 else None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _minor_or_none(symbol: str, value: Any) -> int | None:
    return None if _missing(value) else to_minor(symbol, float(value))


def _last_close(frame: Any) -> float | None:
    if frame is None or frame.empty:
        return None
    closes = frame["Close"].dropna()
    return None if closes.empty else float(closes.iloc[-1])
