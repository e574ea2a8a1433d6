"""Dividends and splits reach the children who held the stock, once each, as server actions.

What a family notices: a child holding Apple on the ex-date gets its dividend in game won at the
server's exchange rate (rounded down: the child receives) with a notification that says what happened
("애플이 주식 1주당 0.26달러 배당금을 줬어요 …"); a 2:1 split doubles the shares and halves the average
cost, the value stays the same, and waiting orders of the stock are cancelled with the money or
shares given back. A child who did not hold the stock gets nothing, nobody gets anything twice —
also when the server restarts or two server processes apply the same action at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select

from server.db import Database
from server.db.models import (
    ActionApplication,
    Balance,
    ChildState,
    CorporateAction,
    LedgerEntry,
    Notification,
    Outbox,
    PositionRow,
    QuoteRow,
    ServerAction,
    TradeRow,
)
from server.market.actions import ActionsReport, apply_due_actions, ex_moment, record_actions, refresh_actions
from server.market.clock import FixedMarketClock
from server.market.jobs import MarketJobs
from server.market.opening import SERVER_ACTOR
from server.market.providers import ProviderChain
from server.market.providers.base import Action
from server.market.providers.replay import ReplayClock, ReplayProvider, bundled_history
from server.market.providers.yahoo import YahooProvider
from server.market.quotes import FX_SYMBOL
from server.notify.dispatcher import dispatch_once
from server.notify.texts import compose
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family, Member
from tests.server.test_providers_yahoo import FakeYahoo
from tests.support.invariants import check_mutation_log_replays
from tests.support.market import ScriptedMarket

APPLE, SAMSUNG = "AAPL", "005930.KS"
FX = 1_335_266_738  # micro-won per dollar (the ECB rate of 2026-10-30)
EX = date(2026, 11, 20)  # the ex-date begins at midnight in New York: 05:00 UTC
# just before and just after it (the markets are "open" on the test clock; sign-ins stay valid)
T0 = datetime(2026, 11, 20, 4, 55, tzinfo=UTC)
AFTER = datetime(2026, 11, 20, 5, 5, tzinfo=UTC)


@pytest.fixture
def settings(make_settings: Any, database_url: str) -> Settings:
    return make_settings(database_url=database_url, notify_dispatcher=False)


@dataclass
class Home:
    client: TestClient[Litestar]
    app: Litestar
    clock: MovableClock
    ours: Family
    theirs: Family
    prices: ScriptedMarket

    @property
    def db(self) -> Database:
        return self.app.state.db  # type: ignore[no-any-return]

    def kid(self, name: str) -> Member:
        return self.theirs.child(name) if name == "민수" else self.ours.child(name)

    def quote(self, symbol: str, price: int) -> str:
        """``symbol`` trades at ``price`` on Yahoo and the server's refresh pass fetched it."""
        return self.prices.trades(symbol, price).quote_id

    def trade(self, kid: Member, side: str, symbol: str, price: int, **body: Any) -> dict[str, Any]:
        quote_id = self.quote(symbol, price)
        seen = self.client.get(f"/api/market/stocks/{symbol}/price", headers=kid.headers)
        assert seen.status_code == 200, seen.text
        body = {"symbol": symbol, "quote_id": quote_id, "price": price, **body}
        answer = self.client.post(f"/api/game/trade/{side}", json=body, headers=kid.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["trade"])

    def balance(self, kid: Member, account: str) -> int:
        with self.db.read() as session:
            value = session.scalar(
                select(Balance.balance).where(Balance.child_id == kid.user_id, Balance.account == account)
            )
        return int(value or 0)

    def position(self, kid: Member, symbol: str) -> tuple[int, int]:
        with self.db.read() as session:
            row = session.get(PositionRow, (kid.user_id, symbol))
            return (row.quantity, row.cost) if row else (0, 0)

    def realised(self, kid: Member) -> int:
        with self.db.read() as session:
            row = session.get(ChildState, kid.user_id)
            return row.realised if row else 0

    def events(self, name: str) -> list[dict[str, Any]]:
        with self.db.read() as session:
            return [dict(p) for p in session.scalars(select(Outbox.payload).where(Outbox.event == name))]

    def entries(self, action_id: str) -> list[tuple[str, str, int, str]]:
        with self.db.read() as session:
            rows = session.execute(
                select(LedgerEntry.child_id, LedgerEntry.account, LedgerEntry.amount, LedgerEntry.actor_id)
                .where(LedgerEntry.txn_id == f"action:{action_id}")
                .order_by(LedgerEntry.id)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def record(self, *actions: Action, symbol: str = APPLE) -> list[str]:
        return record_actions(self.db, symbol, list(actions), "yahoo", self.clock(), EX - timedelta(days=30))

    def apply(self, at: datetime = AFTER) -> ActionsReport:
        return apply_due_actions(self.db, at, self.app.state.market_clock)

    def pull(self, kid: Member) -> list[dict[str, Any]]:
        body = {"protocol": 1, "client_id": kid.client_id, "cursor": 0}
        response = self.client.post("/api/sync/pull", json=body, headers=kid.headers)
        assert response.status_code == 200, response.text
        return list(response.json()["changes"])


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar, clock: MovableClock) -> Home:
    clock.now = T0
    app.state.market_clock = FixedMarketClock()
    found = Home(
        client,
        app,
        clock,
        Family.create(client, ("지우", "하늘")),
        Family.create(client, ("민수",)),
        ScriptedMarket(clock).attach(app),
    )
    found.prices.rate(FX)  # the dollar's rate on Yahoo, fetched by the server's rate refresh
    return found


DIVIDEND = Action(EX, "dividend", amount=260_000)  # $0.26 a share, in micro-dollars
SPLIT = Action(EX, "split", ratio=2.0)


def test_a_dollar_dividend_pays_holders_at_the_fx_rate_rounded_down_once(home: Home) -> None:
    jiwoo, haneul, minsu = home.kid("지우"), home.kid("하늘"), home.kid("민수")
    home.trade(jiwoo, "buy", APPLE, 230_000_000, quantity=3_000_000)  # three shares before the ex-date
    cash_before = home.balance(jiwoo, "cash")
    home.clock.now = AFTER
    # a tenth of a share bought after the ex-date carries no dividend
    home.trade(jiwoo, "buy", APPLE, 231_000_000, quantity=100_000)
    # 하늘 bought only after the ex-date: no dividend; 민수 (another family) never held Apple
    late = home.trade(haneul, "buy", APPLE, 231_000_000, quantity=1_000_000)
    home.trade(minsu, "buy", SAMSUNG, 70_000, quantity=1_000_000)
    cash_after_buy = home.balance(jiwoo, "cash")
    assert cash_after_buy < cash_before

    [action_id] = home.record(DIVIDEND)
    assert home.apply(ex_moment(APPLE, EX) - timedelta(seconds=1)).applied == []  # not yet
    report = home.apply()
    assert report.applied == [(action_id, jiwoo.user_id)]

    # $0.26 × 3 shares × 1,335.266738 ₩/$ = 1,041.508… won, and the child receives rounded down
    assert home.balance(jiwoo, "cash") == cash_after_buy + 1_041
    assert home.realised(jiwoo) == 1_041  # a dividend is realised profit
    assert home.balance(haneul, "cash") == 1_000_000 - late["total"]  # the buy only
    assert sorted(home.entries(action_id)) == sorted(
        [(jiwoo.user_id, "market", -1_041, SERVER_ACTOR), (jiwoo.user_id, "cash", 1_041, SERVER_ACTOR)]
    )
    [paid] = home.events("DividendPaid")
    assert paid["amount"] == 1_041 and paid["company_ko"] == "애플이" and paid["shares"] == "3"
    assert paid["actor_id"] == SERVER_ACTOR

    # again, and after a "restart" (a new engine on the same database): nothing more
    assert home.apply(AFTER + timedelta(minutes=1)).applied == []
    again = Database(home.db.url, cipher=home.db.cipher)
    try:
        assert apply_due_actions(again, AFTER + timedelta(hours=1), FixedMarketClock()).applied == []
    finally:
        again.dispose()
    assert len(home.entries(action_id)) == 2
    assert home.balance(jiwoo, "cash") == cash_after_buy + 1_041

    # the child reads what happened, in words; nobody else hears of it
    dispatch_once(home.db, AFTER)
    with home.db.read() as session:
        inbox = [(n.user_id, n.event, n.body) for n in session.scalars(select(Notification))]
    dividends = [(user, body) for user, event, body in inbox if event == "DividendPaid"]
    assert dividends == [
        (
            jiwoo.user_id,
            "애플이 주식 1주당 0.26달러 배당금을 줬어요. 3주를 가지고 있어서 1,041 G₩을 받았어요.",
        )
    ]
    # an English-speaking child reads the same facts in English
    assert compose("DividendPaid", "child", "en", paid)[1] == (
        "Apple paid $0.26 for each share. You had 3 shares, so you got 1,041 G₩."
    )
    # and the child's device sees the new cash on its next pull
    pulled = [c["data"] for c in home.pull(jiwoo) if c["entity"] == "balance"]
    assert [b["balance"] for b in pulled if b["account"] == "cash"][-1] == cash_after_buy + 1_041


def test_a_won_dividend_needs_no_fx_and_a_dollar_one_waits_for_it(home: Home) -> None:
    jiwoo = home.kid("지우")
    home.trade(jiwoo, "buy", SAMSUNG, 71_000, amount=100_000)  # 1.408450 shares
    home.trade(jiwoo, "buy", APPLE, 230_000_000, quantity=1_000_000)
    # Samsung's next ex-date begins at midnight in Seoul (15:00 UTC the day before)
    krx_ex = EX + timedelta(days=1)
    later = ex_moment(SAMSUNG, krx_ex) + timedelta(minutes=5)
    [won] = home.record(Action(krx_ex, "dividend", amount=361), symbol=SAMSUNG)
    [dollar] = home.record(DIVIDEND)
    with home.db.write() as session:  # as if the server had no exchange rate yet
        session.execute(QuoteRow.__table__.delete().where(QuoteRow.symbol == FX_SYMBOL))
    cash = home.balance(jiwoo, "cash")
    report = home.apply(later)
    assert report.applied == [(won, jiwoo.user_id)]
    assert report.waiting == [(dollar, jiwoo.user_id)]
    assert home.balance(jiwoo, "cash") == cash + 508  # 361 won × 1.40845 shares = 508.45…, down
    home.prices.rate(FX, at=later)  # Yahoo quotes the rate again and the server fetches it
    assert home.apply(later + timedelta(minutes=1)).applied == [(dollar, jiwoo.user_id)]
    assert home.balance(jiwoo, "cash") == cash + 508 + 347  # $0.26 × 1,335.27 = 347.17…


def test_a_split_doubles_shares_halves_average_cost_and_cancels_waiting_orders(home: Home) -> None:
    jiwoo, haneul = home.kid("지우"), home.kid("하늘")
    home.trade(jiwoo, "buy", APPLE, 230_000_000, quantity=2_000_000)
    quantity, cost = home.position(jiwoo, APPLE)
    assert quantity == 2_000_000
    market: FixedMarketClock = home.app.state.market_clock
    market.open_markets.clear()  # evening: orders wait for the open
    sell = home.trade(jiwoo, "sell", APPLE, 230_000_000, quantity=1_000_000)
    buy = home.trade(jiwoo, "buy", APPLE, 230_000_000, quantity=100_000)
    waiting = home.trade(haneul, "buy", APPLE, 230_000_000, quantity=100_000)  # 하늘 holds none
    assert {sell["status"], buy["status"], waiting["status"]} == {"queued"}
    cash_jiwoo, cash_haneul = home.balance(jiwoo, "cash"), home.balance(haneul, "cash")
    assert home.balance(jiwoo, f"reserved:{APPLE}") == 1_000_000
    held_back = home.balance(jiwoo, "reserved")
    market.open_markets.update(FixedMarketClock().open_markets)
    # after the ex-date, before the server learned of the split: a tenth of a share at the new price
    home.clock.now = AFTER
    late = home.trade(jiwoo, "buy", APPLE, 115_000_000, quantity=100_000)
    cost += late["total"]

    [action_id] = home.record(SPLIT)
    report = home.apply()
    assert sorted(report.applied) == sorted([(action_id, jiwoo.user_id), (action_id, haneul.user_id)])

    # twice the two shares held when the ex-date began at the same total cost (their average cost is
    # halved, their value unchanged: 2 × $230 = 4 × $115); the tenth bought since is a post-split share
    assert home.position(jiwoo, APPLE) == (4_100_000, cost)
    assert home.balance(jiwoo, f"position:{APPLE}") == 4_100_000
    # the waiting orders named pre-split quantities and prices: cancelled, everything given back
    with home.db.read() as session:
        statuses = dict(
            session.execute(
                select(TradeRow.trade_id, TradeRow.status).where(
                    TradeRow.trade_id.in_([sell["trade_id"], buy["trade_id"], waiting["trade_id"]])
                )
            ).all()
        )
    assert set(statuses.values()) == {"cancelled"}
    assert home.balance(jiwoo, f"reserved:{APPLE}") == 0 and home.balance(jiwoo, "reserved") == 0
    assert home.balance(jiwoo, "cash") == cash_jiwoo + held_back - late["total"]
    assert home.balance(haneul, "cash") > cash_haneul and home.position(haneul, APPLE) == (0, 0)
    cancelled = home.events("OrderCancelled")
    assert sorted(e["trade_id"] for e in cancelled) == sorted(
        [sell["trade_id"], buy["trade_id"], waiting["trade_id"]]
    )
    assert {e["reason"] for e in cancelled} == {"split"}
    # only the child with shares hears of a split
    [split] = home.events("SplitApplied")
    assert (split["shares"], split["new"], split["old"]) == ("4.1", 2, 1)

    assert home.apply(AFTER + timedelta(hours=1)).applied == []
    assert home.position(jiwoo, APPLE) == (4_100_000, cost)

    dispatch_once(home.db, AFTER)
    with home.db.read() as session:
        bodies = [
            n.body for n in session.scalars(select(Notification).where(Notification.event == "SplitApplied"))
        ]
    assert bodies == [
        "애플이 주식을 1주당 2주로 나눴어요. 이제 4.1주를 가지고 있어요. "
        "주식 수만 바뀌고 가진 가치는 그대로예요."
    ]


def _dividend_split_then_a_sale(home: Home) -> str:
    """A dividend and a split of the same ex-date, a sibling's waiting order the split cancels, then
    a sale of post-split shares; returns the dividend's id."""
    jiwoo, haneul = home.kid("지우"), home.kid("하늘")
    home.trade(jiwoo, "buy", APPLE, 230_000_000, quantity=2_000_000)
    market: FixedMarketClock = home.app.state.market_clock
    market.open_markets.clear()
    assert home.trade(haneul, "buy", APPLE, 230_000_000, quantity=100_000)["status"] == "queued"
    market.open_markets.update(FixedMarketClock().open_markets)
    home.clock.now = AFTER
    dividend, split = home.record(DIVIDEND, SPLIT)
    assert sorted(home.apply().applied) == sorted(
        [(dividend, jiwoo.user_id), (split, jiwoo.user_id), (split, haneul.user_id)]
    )
    assert home.trade(jiwoo, "sell", APPLE, 116_000_000, quantity=3_000_000)["status"] == "filled"
    return dividend


def test_the_log_replays_dividends_and_splits_in_their_place(home: Home, tmp_path: Path) -> None:
    """Corporate actions are server actions logged with the action and the FX rate they read: the
    replay decides them again before the sale that needs the split's shares."""
    _dividend_split_then_a_sale(home)
    check_mutation_log_replays(home.db, tmp_path)


def test_a_dividend_whose_recorded_amount_was_rewritten_is_caught(home: Home, tmp_path: Path) -> None:
    dividend = _dividend_split_then_a_sale(home)
    with home.db.write() as session:
        action = session.get(ServerAction, (f"action:{dividend}", home.kid("지우").user_id))
        assert action is not None
        action.inputs = {**action.inputs, "action": {**action.inputs["action"], "amount": 300_000}}
    with pytest.raises(AssertionError, match="replayed vs stored"):
        check_mutation_log_replays(home.db, tmp_path)


def test_two_processes_racing_apply_each_action_once_per_child(home: Home) -> None:
    kids = [home.kid("지우"), home.kid("하늘"), home.kid("민수")]
    for kid in kids:
        home.trade(kid, "buy", APPLE, 230_000_000, quantity=2_000_000)
    home.clock.now = AFTER
    ids = home.record(DIVIDEND, SPLIT)
    dbs = [Database(home.db.url, cipher=home.db.cipher) for _ in range(2)]
    reports: list[ActionsReport] = []
    barrier = threading.Barrier(len(dbs))

    def run(db: Database) -> None:
        barrier.wait()
        reports.append(apply_due_actions(db, AFTER, FixedMarketClock()))

    threads = [threading.Thread(target=run, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for db in dbs:
        db.dispose()
    applied = sorted(pair for r in reports for pair in r.applied)
    assert applied == sorted((a, k.user_id) for a in ids for k in kids)
    assert all(not r.failed for r in reports)
    for kid in kids:
        # 2 shares × $0.26 × 1,335.266738 = 694.3…, then the split
        assert home.position(kid, APPLE)[0] == 4_000_000
        assert home.realised(kid) == 694
    with home.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ActionApplication)) == 6
        per_child = session.execute(
            select(LedgerEntry.child_id, LedgerEntry.txn_id, func.count())
            .where(LedgerEntry.txn_id.like("action:%"))
            .group_by(LedgerEntry.child_id, LedgerEntry.txn_id)
        ).all()
    assert sorted(n for _, _, n in per_child) == [2] * 6  # one move per child and action
    assert len(home.events("DividendPaid")) == len(home.events("SplitApplied")) == 3


# -- where actions come from --------------------------------------------------------------------------


def _yahoo_with_events(tmp_path: Path) -> tuple[YahooProvider, requests.Session]:
    fake = FakeYahoo()
    result = fake.charts["AAPL"]["chart"]["result"][0]

    def stamp(day: date) -> int:  # Yahoo stamps an event at the session's open
        return int(datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC).timestamp())

    old = date(2020, 8, 31)
    result["events"] = {
        "dividends": {str(stamp(d)): {"amount": a, "date": stamp(d)} for d, a in ((old, 0.205), (EX, 0.26))},
        "splits": {
            str(stamp(d)): {"date": stamp(d), "numerator": n, "denominator": 1.0, "splitRatio": f"{n:g}:1"}
            for d, n in ((old, 4.0), (EX, 2.0))
        },
    }
    session = requests.Session()
    session.mount("https://", fake)
    return YahooProvider(tmp_path / "yfinance", session=session), session


def test_yahoo_actions_of_held_symbols_are_recorded_once_and_old_ones_ignored(
    home: Home, tmp_path: Path
) -> None:
    home.trade(home.kid("지우"), "buy", APPLE, 230_000_000, quantity=1_000_000)
    yahoo, session = _yahoo_with_events(tmp_path)
    try:
        chain = ProviderChain([yahoo])
        recorded = refresh_actions(home.db, chain, AFTER)
        assert sorted(recorded) == [f"{APPLE}:dividend:{EX}", f"{APPLE}:split:{EX}"]  # not 2020's
        assert refresh_actions(home.db, chain, AFTER) == []  # known already
    finally:
        session.close()
    with home.db.read() as s:
        rows = {
            r.kind: (r.amount, r.numerator, r.denominator, r.source)
            for r in s.scalars(select(CorporateAction))
        }
    assert rows == {"dividend": (260_000, 1, 1, "yahoo"), "split": (0, 2, 1, "yahoo")}


def test_the_replay_history_carries_no_actions(home: Home) -> None:
    # the bundled series are adjusted for splits and dividends (scripts/build_market_history.py)
    store = bundled_history()
    replay = ReplayProvider(ReplayClock(date(2012, 1, 3), T0), store)
    assert store.symbols() and all(replay.actions(s) == [] for s in store.symbols())
    home.trade(home.kid("지우"), "buy", APPLE, 230_000_000, quantity=1_000_000)
    assert refresh_actions(home.db, ProviderChain([replay]), AFTER) == []


class _Provider:
    """A provider that knows one dividend (the background pass reads ``state.market_provider``)."""

    name = "yahoo"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def actions(self, symbol: str) -> list[Action]:
        self.asked.append(symbol)
        return [DIVIDEND] if symbol == APPLE else []

    def fx(self, pair: str, now: datetime) -> None:
        return None


def test_the_background_pass_records_and_applies_before_filling_orders(home: Home) -> None:
    jiwoo = home.kid("지우")
    home.trade(jiwoo, "buy", APPLE, 230_000_000, quantity=1_000_000)
    provider = _Provider()
    home.app.state.market_provider = provider
    jobs = MarketJobs(home.db, lambda: AFTER, home.app.state, actions_every=timedelta(hours=6))
    cash = home.balance(jiwoo, "cash")
    jobs.run_once()
    assert home.balance(jiwoo, "cash") == cash + 347
    jobs.run_once()  # the provider is not asked again within the interval, nothing is paid twice
    assert provider.asked == [APPLE] and home.balance(jiwoo, "cash") == cash + 347
