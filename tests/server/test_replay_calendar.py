"""The history replay keeps the replayed year's exchange calendar: its holidays close the market, its
half days close early, and today's holidays do not close a replayed trading day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from server.db import Database
from server.db.models import TradeRow
from server.market.calendar import market_calendars, replayed
from server.market.jobs import MarketJobs
from server.market.providers import MarketConfig, ReplayClock, save_config
from server.market.refresher import follow_stored_market, record_quotes
from sync.rules import Market
from tests.conftest import MovableClock
from tests.helpers import Family

KRX, US = Market.KRX, Market.US
# Friday 2026-05-01 (Labor Day: KRX closed today) replays Friday 2012-01-20, a 2012 trading day;
# Monday 2026-05-04 (open today) replays Monday 2012-01-23, 설날 in 2012: closed
LABOR_DAY = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
SEOLLAL = ReplayClock(date(2012, 1, 20), LABOR_DAY, 1.0)
# Friday 2026-12-04 (a full day today) replays Friday 2012-11-23, the half day after Thanksgiving
AFTER_THANKSGIVING = ReplayClock(date(2012, 11, 23), datetime(2026, 12, 4, 0, 0, tzinfo=UTC), 1.0)


def test_a_replayed_korean_holiday_is_closed_and_todays_holiday_is_not() -> None:
    today, replay = market_calendars(), replayed(market_calendars(), SEOLLAL)
    morning = LABOR_DAY + timedelta(minutes=30)  # 09:30 in Seoul
    assert not today.is_open(KRX, morning)  # 근로자의 날 2026: KRX closed today…
    assert replay.is_open(KRX, morning)  # …but 2012-01-20 was a trading day
    monday = morning + timedelta(days=3)
    assert today.is_open(KRX, monday)
    assert not replay.is_open(KRX, monday)  # 2012-01-23 설날
    assert not replay.is_open(KRX, monday + timedelta(days=1))  # 2012-01-24 설날 연휴
    wednesday = replay.next_session(KRX, monday)
    assert wednesday is not None and wednesday.open == datetime(2026, 5, 6, 0, 0, tzinfo=UTC)
    assert SEOLLAL.date_at(wednesday.open) == date(2012, 1, 25)
    assert replay.last_open(KRX, monday) == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)


def test_a_replayed_us_half_day_closes_at_one() -> None:
    today, replay = market_calendars(), replayed(market_calendars(), AFTER_THANKSGIVING)
    half_past_one = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)  # 13:30 in New York
    assert today.is_open(US, half_past_one)  # 2026-12-04 is a full day
    assert not replay.is_open(US, half_past_one)  # 2012-11-23 closed at 13:00
    session = replay[US].session_on(date(2012, 11, 23))
    assert session is not None and session.close == datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert replay.next_open(US, half_past_one) == datetime(2026, 12, 7, 14, 30, tzinfo=UTC)  # Monday


def test_at_the_fastest_replay_sessions_are_exact_instants_of_server_time() -> None:
    """At 86,400 replay days a day a session lasts a quarter of a second; its server-time bounds are
    still exactly where the replay enters and leaves it, so a queued order meets that session."""
    fast = ReplayClock(date(2012, 1, 20), LABOR_DAY + timedelta(microseconds=7), 86_400.0)
    replay = replayed(market_calendars(), fast)
    t = LABOR_DAY + timedelta(seconds=1, microseconds=500)
    upcoming = replay.next_session(KRX, t)
    assert upcoming is not None and upcoming.open > t
    assert fast.date_at(upcoming.open) == date(2012, 1, 25)  # 23 and 24 were 설날
    assert replay.is_open(KRX, upcoming.open)
    assert not replay.is_open(KRX, upcoming.open - timedelta(microseconds=1))
    assert not replay.is_open(KRX, upcoming.close)
    assert replay.last_open(KRX, upcoming.close) == upcoming.open


def test_a_queued_order_meets_the_replayed_next_session(
    client: TestClient[Litestar], app: Litestar, clock: MovableClock
) -> None:
    """Through the product: replaying 2012, an order placed after the half day's 13:00 close is queued
    (status: closed, though today the market is open), and fills at the price the replay shows when
    the next replayed session (Monday 2012-11-26) opens."""
    clock.now = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)  # 13:30 in New York, replaying 2012-11-23
    save_config(app.state.db, MarketConfig("replay", AFTER_THANKSGIVING))
    chain = follow_stored_market(app.state)
    kid = Family.create(client, ("지우",)).child("지우")
    status = client.get("/api/market/status", headers=kid.headers).json()
    us = next(m for m in status["markets"] if m["market"] == "US")
    assert us["open"] is False and us["next_open"] == "2026-12-07T09:30:00-05:00"
    record_quotes(app.state.db, chain, ["AAPL"], clock.now)  # the refresher's pass
    answer = client.post(
        "/api/game/trade/buy", json={"symbol": "AAPL", "amount": 200_000}, headers=kid.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["detail"] == {"queued": "market_closed"}
    trade_id = answer.json()["trade"]["trade_id"]
    jobs = MarketJobs(app.state.db, clock, app.state)
    clock.now = datetime(2026, 12, 7, 14, 29, tzinfo=UTC)  # a minute before the replayed Monday open
    record_quotes(app.state.db, chain, ["AAPL"], clock.now)
    jobs.run_once()
    assert _trade(app.state.db, trade_id)["status"] == "queued"
    clock.now = datetime(2026, 12, 7, 14, 31, tzinfo=UTC)
    [opening] = record_quotes(app.state.db, chain, ["AAPL"], clock.now)  # the session's first row
    assert opening.source == "replay:2012-11-26"
    jobs.run_once()
    filled = _trade(app.state.db, trade_id)
    assert filled["status"] == "filled"
    assert (filled["fill_price"], filled["fill_quote_id"]) == (opening.price, opening.quote_id)


def _trade(db: Database, trade_id: str) -> dict[str, Any]:
    """The trade as the server stored it (the child's token has long expired three days later)."""
    with db.read() as session:
        data = session.scalar(select(TradeRow.data).where(TradeRow.trade_id == trade_id))
    assert data is not None
    return dict(data)
