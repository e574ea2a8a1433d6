"""Orders placed while the market is closed fill at the next session's opening price (or are
rejected by the collar and give the money back), exactly once, and the child sees it on the pull."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import delete, func, select

from server.app import create_app
from server.db import Database
from server.db.models import Balance, LedgerEntry, Outbox, QuoteRow, ServerAction, TradeRow
from server.market.calendar import market_calendars
from server.market.clock import FixedMarketClock
from server.market.fx import refresh_fx
from server.market.jobs import MarketJobs
from server.market.opening import SERVER_ACTOR, fill_due_orders
from server.market.quotes import FX_SYMBOL
from server.market.refresher import Refresher
from server.replication.replay import NotReplayable
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family, Member
from tests.support.invariants import check_mutation_log_replays
from tests.support.market import ScriptedMarket

SAMSUNG, APPLE = "005930.KS", "AAPL"
START = 1_000_000  # classic preset's starting money
# Wednesday 2026-11-25, 17:00 in New York (closed) = Thursday 07:00 in Seoul (not open yet)
EVENING = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
KRX_OPEN = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # Thursday 09:00 KST
US_OPEN = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # Thanksgiving is closed; Friday's half day


@dataclass
class Home:
    client: TestClient[Litestar]
    db: Database
    kid: Member
    family_id: str
    prices: ScriptedMarket

    def quote(self, symbol: str, price: int, at: datetime) -> str:
        """``symbol`` trades at ``price`` on Yahoo and the server's refresh pass at ``at`` fetched it."""
        return self.prices.trades(symbol, price, at=at).quote_id

    def buy(self, symbol: str, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/game/trade/buy", json={"symbol": symbol, **body}, headers=self.kid.headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def trade(self, trade_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            data = session.scalar(select(TradeRow.data).where(TradeRow.trade_id == trade_id))
        assert data is not None
        return dict(data)

    def balance(self, account: str) -> int:
        with self.db.read() as session:
            value = session.scalar(
                select(Balance.balance).where(
                    Balance.child_id == self.kid.user_id, Balance.account == account
                )
            )
        return int(value or 0)

    def events(self, name: str) -> list[dict[str, Any]]:
        with self.db.read() as session:
            rows = session.scalars(select(Outbox.payload).where(Outbox.event == name))
            return [dict(p) for p in rows]

    def entries(self, trade_id: str) -> list[tuple[str, int, str]]:
        with self.db.read() as session:
            rows = session.execute(
                select(LedgerEntry.account, LedgerEntry.amount, LedgerEntry.actor_id).where(
                    LedgerEntry.txn_id == f"open:{trade_id}"
                )
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def pull(self) -> dict[str, Any]:
        body = {"protocol": 1, "client_id": self.kid.client_id, "cursor": 0}
        response = self.client.post("/api/sync/pull", json=body, headers=self.kid.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar, clock: MovableClock) -> Home:
    clock.now = EVENING
    family = Family.create(client, ("지우",))
    db: Database = app.state.db
    found = Home(client, db, family.child("지우"), family.family_id, ScriptedMarket(clock).attach(app))
    found.quote(SAMSUNG, 70_000, EVENING - timedelta(hours=15))  # Wednesday's close
    found.quote(APPLE, 230_000_000, EVENING - timedelta(hours=1))
    refresh_fx(db, EVENING)  # offline: the bundled ECB rate of 2026-10-30
    return found


def queued(home: Home, symbol: str, **body: Any) -> str:
    answer = home.buy(symbol, **body)
    assert answer["detail"] == {"queued": "market_closed"}, answer
    assert answer["trade"]["status"] == "queued"
    return str(answer["trade"]["trade_id"])


def test_a_krx_order_fills_at_the_next_open_within_the_collar(home: Home) -> None:
    trade_id = queued(home, SAMSUNG, amount=100_000)
    assert home.balance("reserved") == 100_000
    cal = market_calendars()

    # nothing before the open, even with a fresher price
    home.quote(SAMSUNG, 70_500, KRX_OPEN - timedelta(minutes=5))
    assert fill_due_orders(home.db, cal, KRX_OPEN - timedelta(seconds=1)).filled == []
    # opened, and the first price at or after the open is the opening price (+1.4%: within 5%)
    opening = home.quote(SAMSUNG, 71_000, KRX_OPEN + timedelta(seconds=30))
    home.quote(SAMSUNG, 75_000, KRX_OPEN + timedelta(minutes=3))  # later prices do not count
    report = fill_due_orders(home.db, cal, KRX_OPEN + timedelta(minutes=5))
    assert report.filled == [trade_id]

    trade = home.trade(trade_id)
    assert trade["status"] == "filled"
    assert trade["fill_price"] == 71_000 and trade["fill_quote_id"] == opening
    assert trade["quantity"] == 1_408_450  # 100,000 / 71,000 shares, in micro-shares, rounded down
    assert trade["fx_quote_id"] is None  # a won stock needs no FX
    assert home.balance("reserved") == 0
    assert home.balance("cash") == START - trade["total"]
    assert {(a, actor) for a, _, actor in home.entries(trade_id)} >= {
        ("reserved", SERVER_ACTOR),
        ("cash", SERVER_ACTOR),
        (f"position:{SAMSUNG}", SERVER_ACTOR),
    }
    assert [e["trade_id"] for e in home.events("TradeExecuted")] == [trade_id]

    # the child's next pull carries the filled trade and the new balances
    changes = home.pull()["changes"]
    trades = [c["data"] for c in changes if c["entity"] == "trade" and c["id"] == trade_id]
    assert trades and trades[-1]["status"] == "filled"


def _fills_then_a_sale(home: Home, clock: MovableClock) -> str:
    """Two queued orders filled at their opens, and between them a sale that needs the first fill's
    shares; returns the KRX order's id."""
    krx, us = queued(home, SAMSUNG, amount=100_000), queued(home, APPLE, quantity=1_000_000)
    home.quote(SAMSUNG, 71_000, KRX_OPEN + timedelta(seconds=30))
    cal = market_calendars()
    assert fill_due_orders(home.db, cal, KRX_OPEN + timedelta(minutes=5)).filled == [krx]
    clock.now = KRX_OPEN + timedelta(minutes=10)  # the next morning: the device refreshes its token
    tokens = home.client.post("/api/auth/refresh", json={"refresh_token": home.kid.refresh})
    assert tokens.status_code == 200, tokens.text
    home.kid.tokens = tokens.json()
    sale = home.client.post(
        "/api/game/trade/sell", json={"symbol": SAMSUNG, "quantity": 1_000_000}, headers=home.kid.headers
    )
    assert sale.status_code == 200 and sale.json()["trade"]["status"] == "filled", sale.text
    home.quote(APPLE, 235_000_000, US_OPEN + timedelta(seconds=5))
    assert fill_due_orders(home.db, cal, US_OPEN + timedelta(minutes=1)).filled == [us]
    return krx


def test_replay_decides_fills_at_the_open_again_in_their_place(
    home: Home, clock: MovableClock, tmp_path: Path
) -> None:
    """A fill at the open is a server action, logged with the opening quote (and FX rate) it met:
    the replay decides it again between the mutations around it (the sale needs its shares)."""
    _fills_then_a_sale(home, clock)
    check_mutation_log_replays(home.db, tmp_path)


def test_a_fill_whose_recorded_opening_price_was_rewritten_is_caught(
    home: Home, clock: MovableClock, tmp_path: Path
) -> None:
    krx = _fills_then_a_sale(home, clock)
    other = home.quote(SAMSUNG, 72_000, KRX_OPEN + timedelta(seconds=40))
    with home.db.write() as session:
        action = session.get(ServerAction, (f"open:{krx}", home.kid.user_id))
        assert action is not None
        action.inputs = {**action.inputs, "opening": other}
    with pytest.raises(AssertionError, match="replayed vs stored"):
        check_mutation_log_replays(home.db, tmp_path)


def test_a_fill_the_log_does_not_hold_makes_the_family_unreplayable(
    home: Home, clock: MovableClock, tmp_path: Path
) -> None:
    krx = _fills_then_a_sale(home, clock)
    with home.db.write() as session:
        session.execute(delete(ServerAction).where(ServerAction.txn_id == f"open:{krx}"))
    with pytest.raises(NotReplayable, match=f"open:{krx}"):
        check_mutation_log_replays(home.db, tmp_path)


def test_a_gap_beyond_the_collar_rejects_and_gives_the_money_back(home: Home) -> None:
    trade_id = queued(home, SAMSUNG, amount=100_000)
    home.quote(SAMSUNG, 80_000, KRX_OPEN + timedelta(seconds=10))  # +14%: beyond the 5% collar
    report = fill_due_orders(home.db, market_calendars(), KRX_OPEN + timedelta(minutes=1))
    assert report.rejected == [trade_id]
    trade = home.trade(trade_id)
    assert trade["status"] == "rejected" and trade["note"] == "PRICE_MOVED"
    assert home.balance("reserved") == 0 and home.balance("cash") == START
    assert [e["code"] for e in home.events("TradeRejected")] == ["PRICE_MOVED"]


def test_a_us_order_waits_out_thanksgiving_and_stores_its_fx_quote(home: Home) -> None:
    trade_id = queued(home, APPLE, quantity=1_000_000)  # one share
    cal = market_calendars()
    # Thursday: KRX trades, New York is closed for Thanksgiving
    home.quote(APPLE, 232_000_000, KRX_OPEN + timedelta(hours=2))
    assert fill_due_orders(home.db, cal, datetime(2026, 11, 26, 20, 0, tzinfo=UTC)).filled == []
    assert home.trade(trade_id)["status"] == "queued"
    # Friday's half day opens at 09:30 New York time
    opening = home.quote(APPLE, 235_000_000, US_OPEN + timedelta(seconds=5))
    report = fill_due_orders(home.db, cal, US_OPEN + timedelta(minutes=1))
    assert report.filled == [trade_id]
    trade = home.trade(trade_id)
    assert trade["fill_quote_id"] == opening
    assert trade["fx_rate"] == 1_335_266_738  # ECB 2026-10-30: 1491.76 / 1.1172, nearest micro-won
    assert trade["fx_quote_id"] is not None
    # 235 USD × 1,335.266738 = 313,787.68… won, paid rounded up
    assert trade["gross"] == 313_788
    assert home.balance("cash") == START - trade["total"]


def test_an_order_waits_for_an_opening_price_and_a_cancelled_one_is_left_alone(home: Home) -> None:
    waiting = queued(home, SAMSUNG, amount=100_000)
    cancelled = queued(home, SAMSUNG, amount=50_000)
    response = home.client.delete(f"/api/game/orders/{cancelled}", headers=home.kid.headers)
    assert response.status_code == 200, response.text
    cal = market_calendars()
    report = fill_due_orders(home.db, cal, KRX_OPEN + timedelta(minutes=1))
    assert report.waiting == [waiting] and report.filled == []  # no price since the open yet
    assert home.trade(waiting)["status"] == "queued"
    home.quote(SAMSUNG, 69_000, KRX_OPEN + timedelta(minutes=2))
    assert fill_due_orders(home.db, cal, KRX_OPEN + timedelta(minutes=3)).filled == [waiting]
    assert home.trade(cancelled)["status"] == "cancelled"
    assert home.entries(cancelled) == []


def test_an_opening_at_yesterdays_price_still_fills_at_the_open(
    home: Home, app: Litestar, clock: MovableClock
) -> None:
    """A quiet stock opens where it closed: the server's own passes (the live refresher at the open,
    then the market jobs) still give the queued order its opening price, and only one new row."""
    trade_id = queued(home, SAMSUNG, amount=70_000)  # closed: waits for Thursday's open
    with home.db.read() as session:
        before = session.scalar(select(func.count()).where(QuoteRow.symbol == SAMSUNG))
    refresher = Refresher(home.db, home.prices.chain, clock, market_calendars())
    jobs = MarketJobs(home.db, clock, app.state)
    home.prices.yahoo.trades_at(SAMSUNG, 70_000)  # Wednesday's close, unchanged at the open

    clock.now = KRX_OPEN + timedelta(seconds=30)
    refresher.run_once()
    clock.now = KRX_OPEN + timedelta(minutes=1)
    jobs.run_once()
    trade = home.trade(trade_id)
    assert trade["status"] == "filled", trade  # not stuck until the price happens to move
    assert trade["fill_price"] == 70_000 and trade["quantity"] == 1_000_000
    with home.db.read() as session:
        opening = session.get(QuoteRow, trade["fill_quote_id"])
        assert opening is not None and opening.as_of == KRX_OPEN + timedelta(seconds=30)
        assert opening.source == "yahoo"

    # later passes of the same session, at the same price, add nothing for devices to download
    for minutes in (2, 3, 4):
        clock.now = KRX_OPEN + timedelta(minutes=minutes)
        assert refresher.run_once() == []
    with home.db.read() as session:
        assert session.scalar(select(func.count()).where(QuoteRow.symbol == SAMSUNG)) == before + 1


def test_a_stale_price_at_the_open_is_no_opening_price(home: Home, clock: MovableClock) -> None:
    """Yahoo down at the open: the chain answers the stored (pre-open) quote, which is no
    observation of the session, so the order waits rather than fill at yesterday's price."""
    trade_id = queued(home, SAMSUNG, amount=70_000)
    refresher = Refresher(home.db, home.prices.chain, clock, market_calendars())
    home.prices.yahoo.down = True
    clock.now = KRX_OPEN + timedelta(seconds=30)
    assert refresher.run_once() == []
    report = fill_due_orders(home.db, market_calendars(), KRX_OPEN + timedelta(minutes=1))
    assert report.waiting == [trade_id]
    assert home.trade(trade_id)["status"] == "queued"


def test_several_fillers_at_once_fill_each_order_exactly_once(home: Home) -> None:
    orders = [queued(home, SAMSUNG, amount=20_000 + i * 1_000) for i in range(5)]
    home.quote(SAMSUNG, 70_500, KRX_OPEN + timedelta(seconds=1))
    now = KRX_OPEN + timedelta(minutes=1)
    # two "processes": separate engines on the same database, racing through the same orders
    dbs = [Database(home.db.url, cipher=home.db.cipher) for _ in range(2)]
    reports: list[Any] = []
    barrier = threading.Barrier(len(dbs))

    def run(db: Database) -> None:
        barrier.wait()
        reports.append(fill_due_orders(db, market_calendars(), now))

    threads = [threading.Thread(target=run, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for db in dbs:
        db.dispose()
    filled = sorted(t for r in reports for t in r.filled)
    assert filled == sorted(orders)  # each order once, whichever filler got it
    # and a restart later finds nothing left to do
    assert fill_due_orders(home.db, market_calendars(), now + timedelta(hours=1)).filled == []
    assert len(home.events("TradeExecuted")) == len(orders)
    with home.db.read() as session:
        per_order = session.execute(
            select(LedgerEntry.txn_id, func.count())
            .where(LedgerEntry.txn_id.like("open:%"), LedgerEntry.account == "reserved")
            .group_by(LedgerEntry.txn_id)
        ).all()
    assert sorted(count for _, count in per_order) == [1] * len(orders)
    assert home.balance("reserved") == 0


def wait_for(check: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_the_background_pass_fills_but_not_on_a_fixed_test_clock(home: Home, app: Litestar) -> None:
    trade_id = queued(home, SAMSUNG, amount=100_000)
    home.quote(SAMSUNG, 70_100, KRX_OPEN + timedelta(seconds=2))
    jobs = MarketJobs(home.db, lambda: KRX_OPEN + timedelta(minutes=1), app.state, interval=0.02)
    app.state.market_clock = FixedMarketClock()  # a clock without sessions: hands off
    jobs.run_once()
    assert home.trade(trade_id)["status"] == "queued"
    app.state.market_clock = None  # the real calendars
    jobs.start()
    try:
        assert wait_for(lambda: home.trade(trade_id)["status"] == "filled")
    finally:
        jobs.stop()


def test_a_server_on_the_real_clock_runs_the_market_passes(settings: Settings) -> None:
    app = create_app(settings)  # no test clock: the real time drives the passes
    with TestClient(app):
        assert app.state.market_jobs is not None

        def fx_recorded() -> bool:
            with app.state.db.read() as session:  # a fresh snapshot each time
                return session.scalar(select(func.count()).where(QuoteRow.symbol == FX_SYMBOL)) == 1

        assert wait_for(fx_recorded)  # offline: the bundled ECB rate, at start
    assert app.state.market_jobs._thread is None  # stopped with the app
    app.state.db.dispose()


def test_one_broken_order_does_not_hold_back_the_others(home: Home, caplog: pytest.LogCaptureFixture) -> None:
    broken = queued(home, SAMSUNG, amount=30_000)
    fine = queued(home, SAMSUNG, amount=40_000)
    with home.db.write() as session:  # a record no version of the rules can read (a bug, not a user)
        row = session.get(TradeRow, broken)
        assert row is not None
        row.data = {"trade_id": broken, "side": "sideways"}
    home.quote(SAMSUNG, 70_200, KRX_OPEN + timedelta(seconds=1))  # a move: the refresh records it
    report = fill_due_orders(home.db, market_calendars(), KRX_OPEN + timedelta(minutes=1))
    assert (report.failed, report.filled) == ([broken], [fine])
    assert home.trade(fine)["status"] == "filled"
    with home.db.read() as session:
        assert session.scalar(select(TradeRow.status).where(TradeRow.trade_id == broken)) == "queued"
    assert any(broken in r.getMessage() for r in caplog.records)
