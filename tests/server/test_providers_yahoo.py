"""The ``yahoo`` provider drives the real yfinance (1.7.0) through a ``requests`` session whose transport
serves responses shaped like Yahoo's (cookie, crumb, chart JSON, 429): no network, real parsing.

What a family notices: live prices arrive in won and micro-dollars with ``source`` "yahoo"; when Yahoo
rate-limits, the server stops asking for a while (no hammering) and prices keep coming from the stored
snapshot; once Yahoo answers again, live prices resume.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response

from server.db import Database
from server.market.providers import ProviderChain
from server.market.providers.base import ProviderError
from server.market.providers.snapshot import SnapshotProvider
from server.market.providers.yahoo import YahooProvider
from server.market.refresher import record_quotes

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

SEOUL = {"currency": "KRW", "exchangeName": "KSC", "gmtoffset": 32400, "timezone": "KST",
         "exchangeTimezoneName": "Asia/Seoul"}  # fmt: skip
NEW_YORK = {"currency": "USD", "exchangeName": "NMS", "gmtoffset": -18000, "timezone": "EST",
            "exchangeTimezoneName": "America/New_York"}  # fmt: skip


def chart(symbol: str, zone: dict[str, Any], days: list[date], closes: list[float]) -> dict[str, Any]:
    """A v8 chart response as Yahoo sends it (the fields yfinance reads)."""
    offset = zone["gmtoffset"]
    # Yahoo stamps a daily bar at the session's local midnight
    stamps = [int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) - offset for d in days]
    period = {
        "timezone": zone["timezone"],
        "start": stamps[-1],
        "end": stamps[-1] + 23_400,
        "gmtoffset": offset,
    }
    return {
        "chart": {
            "result": [
                {
                    "meta": {
                        **zone,
                        "symbol": symbol,
                        "instrumentType": "EQUITY",
                        "regularMarketPrice": closes[-1],
                        "chartPreviousClose": closes[0],
                        "priceHint": 2,
                        "dataGranularity": "1d",
                        "range": "5d",
                        "currentTradingPeriod": {"pre": period, "regular": period, "post": period},
                        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "max"],
                    },
                    "timestamp": stamps,
                    "indicators": {
                        "quote": [
                            {
                                "open": [c * 0.99 for c in closes],
                                "high": [c * 1.01 for c in closes],
                                "low": [c * 0.98 for c in closes],
                                "close": closes,
                                "volume": [1_000 * (i + 1) for i in range(len(closes))],
                            }
                        ],
                        "adjclose": [{"adjclose": closes}],
                    },
                }
            ],
            "error": None,
        }
    }


# a /v1/finance/search answer as Yahoo sends it (quotes, with news and lists empty as asked)
SEARCH = {
    "explains": [],
    "count": 2,
    "quotes": [
        {"exchange": "KSC", "shortname": "SamsungElec", "quoteType": "EQUITY", "symbol": "005930.KS",
         "index": "quotes", "score": 20077.0, "typeDisp": "Equity",
         "longname": "Samsung Electronics Co., Ltd.", "exchDisp": "KSE", "isYahooFinance": True},
        {"exchange": "KSC", "shortname": "SamsungElec Pref", "quoteType": "EQUITY", "symbol": "005935.KS",
         "index": "quotes", "score": 20011.0, "typeDisp": "Equity", "exchDisp": "KSE",
         "isYahooFinance": True},
    ],
    "news": [],
    "nav": [],
    "lists": [],
    "researchReports": [],
    "totalTime": 21,
}  # fmt: skip

WEEK = [date(2026, 11, 17) + timedelta(days=i) for i in (0, 1, 2, 3, 6)]  # Tue..Fri, Mon


class FakeYahoo(BaseAdapter):
    """Answers like Yahoo's endpoints; ``status`` 429 makes every chart call rate-limited."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, Any]] = {
            "005930.KS": chart("005930.KS", SEOUL, WEEK, [70_100.0, 70_500.0, 71_000.0, 70_800.0, 72_000.0]),
            "AAPL": chart("AAPL", NEW_YORK, WEEK, [228.1, 229.4, 231.0, 230.2, 516.1699829101562]),
            "KRW=X": chart(
                "KRW=X", {**NEW_YORK, "currency": "KRW"}, WEEK, [1391.2, 1392.5, 1390.0, 1388.8, 1385.23]
            ),
        }
        self.status = 200
        self.chart_calls: list[str] = []
        self.searches: list[str] = []

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        url = str(request.url)
        response = Response()
        response.url, response.request, response.encoding = url, request, "utf-8"
        response.status_code, response._content = 200, b"<html><body></body></html>"  # cookie pages
        if "getcrumb" in url:
            response._content = b"fake-crumb"
        elif "/v8/finance/chart/" in url:
            symbol = url.split("/v8/finance/chart/")[1].split("?")[0]
            self.chart_calls.append(symbol)
            if self.status == 429:
                response.status_code, response._content = 429, b"Too Many Requests"
            elif symbol not in self.charts:
                response.status_code = 404
                response._content = json.dumps(
                    {
                        "chart": {
                            "result": None,
                            "error": {"code": "Not Found", "description": "No data found"},
                        }
                    }
                ).encode()
            else:
                response._content = json.dumps(self.charts[symbol]).encode()
            response.headers["content-type"] = "application/json"
        elif "/v1/finance/search" in url:
            self.searches.append(str(request.url))
            response._content = json.dumps(SEARCH).encode()
        elif "/v10/finance/quoteSummary/" in url:  # yfinance looks up an unknown symbol's time zone here
            response.status_code = 404
            response._content = json.dumps(
                {
                    "quoteSummary": {
                        "result": None,
                        "error": {"code": "Not Found", "description": "Quote not found"},
                    }
                }
            ).encode()
        elif "/v7/finance/quote" in url:
            response._content = json.dumps({"quoteResponse": {"result": [], "error": None}}).encode()
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def fake() -> FakeYahoo:
    return FakeYahoo()


@pytest.fixture
def yahoo(fake: FakeYahoo, tmp_path: Path) -> Iterator[YahooProvider]:
    session = requests.Session()
    session.mount("https://", fake)
    session.mount("http://", fake)
    yield YahooProvider(tmp_path / "yfinance", session=session)
    session.close()


def test_live_quotes_in_won_and_micro_dollars_labelled_yahoo(yahoo: YahooProvider, tmp_path: Path) -> None:
    quotes = yahoo.quotes(["005930.KS", "AAPL", "USDKRW=X"], NOW)
    assert quotes["005930.KS"].price == 72_000 and quotes["005930.KS"].currency == "KRW"
    assert quotes["AAPL"].price == 516_169_983  # Yahoo's float, rounded to the micro-dollar
    assert quotes["USDKRW=X"].price == 1_385_230_000  # micro-won per dollar, from KRW=X
    assert {q.source for q in quotes.values()} == {"yahoo"}
    assert yahoo.health(NOW).healthy
    assert (tmp_path / "yfinance").is_dir()  # yfinance's caches live under the server's data dir


def test_history_bars_carry_session_dates_and_integer_prices(yahoo: YahooProvider) -> None:
    bars = yahoo.history("005930.KS", date(2026, 11, 17), date(2026, 11, 23))
    assert [b.ts.date() for b in bars] == WEEK
    assert [b.close for b in bars] == [70_100, 70_500, 71_000, 70_800, 72_000]
    assert bars[0].open == 69_399 and bars[0].volume == 1_000
    assert {b.source for b in bars} == {"yahoo"}


def test_an_unknown_symbol_is_left_out_without_marking_yahoo_down(yahoo: YahooProvider) -> None:
    quotes = yahoo.quotes(["AAPL", "NOPE"], NOW)
    assert set(quotes) == {"AAPL"}
    assert yahoo.health(NOW).healthy


def test_one_batch_per_market_per_minute(yahoo: YahooProvider, fake: FakeYahoo) -> None:
    first = yahoo.quotes(["AAPL"], NOW)
    calls = len(fake.chart_calls)
    fake.charts["AAPL"] = chart("AAPL", NEW_YORK, WEEK, [1.0, 2.0, 3.0, 4.0, 240.0])
    again = yahoo.quotes(["AAPL"], NOW + timedelta(seconds=30))
    assert again == first and len(fake.chart_calls) == calls  # answered from the last batch
    later = yahoo.quotes(["AAPL"], NOW + timedelta(seconds=61))
    assert later["AAPL"].price == 240_000_000 and len(fake.chart_calls) > calls


def test_a_newly_watched_symbol_is_asked_at_once_inside_the_minute(
    yahoo: YahooProvider, fake: FakeYahoo
) -> None:
    """A child opens Microsoft's page 30 s after the US batch: its first live price comes now, the
    rest of the batch still waits out its minute."""
    fake.charts["MSFT"] = chart("MSFT", NEW_YORK, WEEK, [410.0, 411.0, 412.0, 413.0, 415.5])
    yahoo.quotes(["AAPL"], NOW)
    calls = len(fake.chart_calls)
    found = yahoo.quotes(["AAPL", "MSFT"], NOW + timedelta(seconds=30))
    assert found["MSFT"].price == 415_500_000 and set(fake.chart_calls[calls:]) == {"MSFT"}
    yahoo.quotes(["AAPL", "MSFT", "NOPE"], NOW + timedelta(seconds=40))
    calls = len(fake.chart_calls)
    yahoo.quotes(["AAPL", "MSFT", "NOPE"], NOW + timedelta(seconds=50))  # NOPE was asked once: not again
    assert len(fake.chart_calls) == calls
    yahoo.quotes(["AAPL", "MSFT"], NOW + timedelta(seconds=61))  # the minute of the first batch is over
    assert {"AAPL", "MSFT"} <= set(fake.chart_calls[calls:])


def test_rate_limit_backs_off_and_the_chain_serves_the_snapshot(
    yahoo: YahooProvider, fake: FakeYahoo, tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "y.db"
    path.write_bytes(sqlite_template.read_bytes())
    db = Database(f"sqlite:///{path}")
    try:
        chain = ProviderChain([yahoo, SnapshotProvider(db)])
        yesterday = NOW - timedelta(hours=20)  # Yahoo answered yesterday: the refresher stored its price
        fake.charts["AAPL"] = chart("AAPL", NEW_YORK, WEEK, [228.1, 229.4, 231.0, 230.2, 230.0])
        assert [q.price for q in record_quotes(db, chain, ["AAPL"], yesterday)] == [230_000_000]
        fake.charts["AAPL"] = chart("AAPL", NEW_YORK, WEEK, [228.1, 229.4, 231.0, 230.2, 516.1699829101562])
        fake.status = 429
        served = chain.quotes(["AAPL"], NOW)["AAPL"]
        assert (served.price, served.source, served.as_of) == (230_000_000, "snapshot", yesterday)
        health = yahoo.health(NOW)
        assert not health.healthy and health.last_error == "rate limited"
        assert health.retry_at == NOW + timedelta(minutes=1)

        # while backing off, yahoo refuses at once: no request reaches the rate-limited endpoint
        calls = len(fake.chart_calls)
        with pytest.raises(ProviderError):
            yahoo.quotes(["AAPL"], NOW + timedelta(seconds=59))
        assert len(fake.chart_calls) == calls

        # still limited at the retry: the next wait doubles
        assert chain.quotes(["AAPL"], NOW + timedelta(minutes=1))["AAPL"].source == "snapshot"
        assert yahoo.health(NOW).retry_at == NOW + timedelta(minutes=3)

        fake.status = 200  # Yahoo recovers: live prices resume and the provider is healthy again
        live = chain.quotes(["AAPL"], NOW + timedelta(minutes=3))["AAPL"]
        assert (live.price, live.source) == (516_169_983, "yahoo")
        assert yahoo.health(NOW + timedelta(minutes=3)).healthy
    finally:
        db.dispose()


def test_backoff_is_capped(yahoo: YahooProvider, fake: FakeYahoo) -> None:
    fake.status = 429
    at, waits = NOW, []
    for _ in range(8):
        with pytest.raises(ProviderError):
            yahoo.quotes(["AAPL"], at)
        retry_at = yahoo.health(at).retry_at
        assert retry_at is not None
        waits.append(retry_at - at)
        at = retry_at
    assert [w // timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_search_finds_tickers_the_directory_lacks(yahoo: YahooProvider, fake: FakeYahoo) -> None:
    found = yahoo.search("samsung", NOW)
    assert found == [
        {"symbol": "005930.KS", "name": "Samsung Electronics Co., Ltd.", "exchange": "KSE", "type": "EQUITY"},
        {"symbol": "005935.KS", "name": "SamsungElec Pref", "exchange": "KSE", "type": "EQUITY"},
    ]
    assert "q=samsung" in fake.searches[0] and "newsCount=0" in fake.searches[0]
