"""The outbox dispatcher and the inbox (issue 5): who hears what, exactly once, and in whose words.

Events come from the real mutation handlers where the API can make them (trades, requests and
their decisions); the rest (adjusted and open-rejected trades, cancellations, dividends, splits) are
written to the outbox as ``post_effects`` writes them. The background dispatcher is off here
(``notify_dispatcher=False``) so each test drives ``dispatch_once`` itself; one test runs the thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.db.models import Delivery, Notification, Outbox, User
from server.ids import new_id
from server.market.clock import FixedMarketClock
from server.notify import dispatcher as dispatcher_module
from server.notify.dispatcher import BASE_DELAY, dispatch_once, outbox_status, requeue_dead
from server.notify.inbox import InboxChannel, Message
from server.settings import Settings
from server.shedding import QUIET_S
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, Member, bearer, link_code
from tests.support.market import ScriptedMarket

SYMBOL = "005930.KS"
LENIENT = {
    "request_cooldown_s": 0,
    "request_cap_week": 10**9,
    "request_cap_month": 10**9,
    "min_request": 100,
    "second_parent_threshold": 10**9,
    "trades_per_day": 1_000,
}


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url=database_url, notify_dispatcher=False)


def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in statuses, (response.status_code, response.text)
    return response.json() if response.content else None


@dataclass
class Home:
    """Our family (a mother, a father who joined by invite, 지우 and 하늘) and another family."""

    client: TestClient[Litestar]
    app: Litestar
    ours: Family
    theirs: Family
    dad: Member
    prices: ScriptedMarket

    @property
    def mom(self) -> Member:
        return self.ours.parent

    def kid(self, name: str) -> Member:
        return self.ours.child(name)

    def everyone(self) -> dict[str, Member]:
        return {
            "mom": self.mom,
            "dad": self.dad,
            "지우": self.kid("지우"),
            "하늘": self.kid("하늘"),
            "other_parent": self.theirs.parent,
            "민수": self.theirs.child("민수"),
        }

    def dispatch(self, **kwargs: Any) -> dispatcher_module.DispatchReport:
        return dispatch_once(self.app.state.db, self.app.state.clock(), **kwargs)

    def inbox(self, member: Member, **params: Any) -> dict[str, Any]:
        return dict(_ok(self.client.get("/api/notifications", params=params, headers=member.headers), 200))

    def events(self, member: Member) -> list[str]:
        return sorted(n["event"] for n in self.inbox(member)["notifications"])

    def emit(self, child: Member, event: str, payload: dict[str, Any], actor: Member | None = None) -> int:
        """Write one outbox row the way ``post_effects`` does (same transaction shape, same payload keys)."""
        with self.app.state.db.write(self.ours.family_id) as session:
            row = Outbox(
                family_id=self.ours.family_id,
                child_id=child.user_id,
                event=event,
                payload={**payload, "txn_id": new_id(), "actor_id": (actor or child).user_id},
                created_at=self.app.state.clock(),
                delivered_at=None,
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def pull(self, member: Member, cursor: int = 0) -> dict[str, Any]:
        body = {"protocol": 1, "client_id": member.client_id, "cursor": cursor}
        return dict(_ok(self.client.post("/api/sync/pull", json=body, headers=member.headers), 200))

    def set_locale(self, member: Member, locale: str) -> None:
        with self.app.state.db.write() as session:
            user = session.get(User, member.user_id)
            assert user is not None
            user.locale = locale


def _join_second_parent(client: TestClient[Litestar], family: Family) -> Member:
    code = link_code(client, family.parent, "parent_invite")
    client_id = f"dads-phone-{new_id()}"
    join = {
        "code": code,
        "client_id": client_id,
        "device_name": "phone",
        "email": f"dad-{new_id()[:8]}@example.org",
        "password": PASSWORD,
        "display_name": "아빠",
    }
    tokens = _ok(client.post("/api/users/family/join", json=join), 200)
    return Member(tokens["user_id"], client_id, tokens, display_name="아빠")


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    return quiet_home(client, app)


def quiet_home(client: TestClient[Litestar], app: Litestar) -> Home:
    """Two families (ours with two children and two parents), markets open, an empty outbox."""
    app.state.market_clock = FixedMarketClock()
    ours = Family.create(client, ("지우", "하늘"))
    theirs = Family.create(client, ("민수",))
    prices = ScriptedMarket(app.state.clock).attach(app)
    home = Home(client, app, ours, theirs, _join_second_parent(client, ours), prices)
    # enrolling the children's devices and the invited father wrote DeviceEnrolled events (their
    # delivery is tested in test_security_alerts.py): these tests start from a quiet outbox
    with app.state.db.write() as session:
        session.execute(sa.delete(Outbox))
    return home


def _notifications(app: Litestar) -> list[tuple[str, str]]:
    """Every inbox row on the server, as (user id, event)."""
    with app.state.db.read() as session:
        return [(n.user_id, n.event) for n in session.scalars(sa.select(Notification))]


# -- who hears what -----------------------------------------------------------------------------------
# event → (payload, acting: "child" or "mom", who must receive it)
CASES: dict[str, tuple[dict[str, Any], str, set[str]]] = {
    "TradeExecuted": ({"trade_id": "t-1"}, "child", {"지우"}),
    "TradeAdjusted": ({"trade_id": "t-1"}, "child", {"지우"}),
    "TradeRejected": ({"trade_id": "t-1", "code": "PRICE_MOVED"}, "child", {"지우"}),
    "OrderQueued": ({"trade_id": "t-1", "reason": "market_closed"}, "child", {"지우"}),
    "OrderCancelled": ({"trade_id": "t-1", "reason": "split"}, "child", {"지우"}),
    "DividendPaid": ({"symbol": SYMBOL, "amount": 1_444, "ref": "div-1"}, "child", {"지우"}),
    "SplitApplied": ({"symbol": SYMBOL, "ratio": "2:1"}, "child", {"지우"}),
    # the child asked: both parents hear it, the child knows
    "AllowanceRequested": ({"request_id": "r-1", "amount_real": 5_000}, "child", {"mom", "dad"}),
    # a parent's decision: the child and the *other* parent hear it, the acting parent knows
    "AllowanceApprovalNeeded": ({"request_id": "r-1", "awaiting": "second_parent"}, "mom", {"dad"}),
    "AllowanceApproved": ({"request_id": "r-1", "amount_real": 5_000}, "mom", {"지우", "dad"}),
    "AllowanceRejected": ({"request_id": "r-1", "reason": "다음 주에"}, "mom", {"지우", "dad"}),
    "AllowancePaid": ({"request_id": "r-1", "method": "cash"}, "mom", {"지우", "dad"}),
    # the family's security: every parent, the one concerned too; never a child
    "SecurityAlert": ({"kind": "pin_lockout", "who": "지우"}, "child", {"mom", "dad"}),
    "DeviceEnrolled": ({"device": "tablet", "who": "지우"}, "child", {"mom", "dad"}),
    # opt-in: with the default preferences nobody gets the weekly summary
    "WeeklySummary": ({"value": 1_000_000, "profit": 0, "pending": 0}, "child", set()),
}


@pytest.mark.parametrize("event", sorted(CASES))
def test_each_event_reaches_the_right_people_and_no_one_else(home: Home, event: str) -> None:
    payload, acting, expected = CASES[event]
    actor = home.mom if acting == "mom" else home.kid("지우")
    home.emit(home.kid("지우"), event, payload, actor)
    report = home.dispatch()
    assert report.delivered == len(expected) and report.finished == 1
    for name, member in home.everyone().items():
        wanted = [event] if name in expected else []
        assert home.events(member) == wanted, name
        for n in home.inbox(member)["notifications"]:
            assert n["child_id"] == home.kid("지우").user_id and n["title"] and n["body"]


def test_an_unknown_event_is_finished_without_recipients(home: Home) -> None:
    home.emit(home.kid("지우"), "SomethingNew", {"x": 1})
    assert home.dispatch().finished == 1
    assert _notifications(home.app) == []
    assert outbox_status(home.app.state.db)["events_waiting"] == 0


def _setup_trading(home: Home) -> None:
    client = home.client
    elevated = home.ours.elevated(client)
    for name in ("지우", "하늘"):
        kid = home.kid(name)
        _ok(client.put(f"/api/family/children/{kid.user_id}/rules", json=LENIENT, headers=elevated), 200)
        grant = {"child_id": kid.user_id, "amount": 10_000_000, "reason": "시작"}
        _ok(client.post("/api/family/grants", json=grant, headers=elevated), 201)


def _trade(home: Home, kid: Member, side: str, price: int, shares: int) -> dict[str, Any]:
    quote = home.prices.trades(SYMBOL, price)  # Yahoo's price, fetched by the server's refresh
    _ok(home.client.get(f"/api/market/stocks/{SYMBOL}/price", headers=kid.headers), 200)
    body = {"symbol": SYMBOL, "quantity": shares * 1_000_000, "quote_id": quote.quote_id, "price": price}
    return dict(_ok(home.client.post(f"/api/game/trade/{side}", json=body, headers=kid.headers), 200))


def test_real_trades_and_requests_notify_through_the_handlers(home: Home) -> None:
    client = home.client
    _setup_trading(home)
    jiwoo = home.kid("지우")
    assert _trade(home, jiwoo, "buy", 70_000, 20)["trade"]["status"] == "filled"
    assert _trade(home, jiwoo, "sell", 80_000, 10)["trade"]["status"] == "filled"
    market: FixedMarketClock = home.app.state.market_clock
    market.open_markets.clear()
    assert _trade(home, jiwoo, "buy", 80_000, 1)["trade"]["status"] == "queued"
    market.open_markets.update(FixedMarketClock().open_markets)

    def ask() -> dict[str, Any]:
        made = _ok(
            client.post("/api/allowance/request", json={"amount_game": 10_000}, headers=jiwoo.headers), 201
        )
        return dict(made["request"])

    elevated = home.ours.elevated(client)
    first = ask()
    approve = {"version": first["version"], "amount_real": first["amount_real"]}
    _ok(client.put(f"/api/allowance/{first['request_id']}/approve", json=approve, headers=elevated), 200)
    _ok(
        client.put(f"/api/allowance/{first['request_id']}/paid", json={"method": "cash"}, headers=elevated),
        200,
    )
    second = ask()
    reject = {"version": second["version"], "reason": "다음 주에"}
    _ok(client.put(f"/api/allowance/{second['request_id']}/reject", json=reject, headers=elevated), 200)

    home.dispatch()
    assert home.events(jiwoo) == sorted(
        [
            "TradeExecuted",
            "TradeExecuted",
            "OrderQueued",
            "AllowanceApproved",
            "AllowancePaid",
            "AllowanceRejected",
        ]
    )
    assert home.events(home.mom) == ["AllowanceRequested", "AllowanceRequested"]  # she decided the rest
    assert home.events(home.dad) == sorted(
        [
            "AllowanceRequested",
            "AllowanceRequested",
            "AllowanceApproved",
            "AllowancePaid",
            "AllowanceRejected",
        ]
    )
    for member in (home.kid("하늘"), home.theirs.parent, home.theirs.child("민수")):
        assert home.events(member) == []
    by_event = {n["event"]: n for n in home.inbox(jiwoo)["notifications"]}
    amount = f"{first['amount_real']:,}"
    assert by_event["AllowanceApproved"]["title"] == "용돈 요청이 승인됐어요!"
    assert amount in by_event["AllowanceApproved"]["body"]
    assert by_event["AllowanceApproved"]["data"]["request_id"] == first["request_id"]
    assert by_event["OrderQueued"]["data"]["symbol"] == SYMBOL
    assert "다음 주에" in by_event["AllowanceRejected"]["body"]
    dads = {n["event"]: n for n in home.inbox(home.dad)["notifications"]}
    assert "지우" in dads["AllowancePaid"]["body"] and amount in dads["AllowancePaid"]["body"]
    # the facts the app words in the reader's language when shown: side, quantity, money, time
    trades = [n for n in home.inbox(jiwoo)["notifications"] if n["event"] == "TradeExecuted"]
    facts = sorted((n["data"]["facts"] for n in trades), key=lambda f: f["side"])
    assert [(f["side"], f["quantity"], f["price"]) for f in facts] == [
        ("buy", 20_000_000, 70_000),
        ("sell", 10_000_000, 80_000),
    ]
    assert all(f["symbol"] == SYMBOL and f["total"] > 0 and f["at"] and f["version"] == 1 for f in facts)
    queued = by_event["OrderQueued"]["data"]["facts"]
    assert (queued["side"], queued["quantity"], queued["at"]) == ("buy", 1_000_000, None)
    assert queued["reserved"] >= 80_000  # held until the open
    assert by_event["AllowanceApproved"]["data"]["facts"]["amount_real"] == first["amount_real"]
    # the stored words (push, e-mail, older apps) name the stock and the side, never the code
    for n in (*trades, by_event["OrderQueued"]):
        assert SYMBOL not in n["body"] and "삼성전자" in n["body"]
    assert {n["body"].split(" 주문")[0] for n in trades} == {"삼성전자 사기", "삼성전자 팔기"}


# -- wording ------------------------------------------------------------------------------------------
def test_text_follows_the_recipients_locale_and_role(home: Home) -> None:
    home.set_locale(home.kid("지우"), "en")
    home.set_locale(home.dad, "en")
    home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-1"})
    home.emit(home.kid("지우"), "AllowanceApproved", {"request_id": "r-1", "amount_real": 12_000}, home.mom)
    home.emit(home.kid("하늘"), "TradeExecuted", {"trade_id": "t-2"})
    home.emit(home.kid("하늘"), "AllowanceRequested", {"request_id": "r-2", "amount_real": 3_000})
    home.dispatch()

    def titles(member: Member) -> dict[str, tuple[str, str]]:
        return {n["event"]: (n["title"], n["body"]) for n in home.inbox(member)["notifications"]}

    assert titles(home.kid("지우"))["TradeExecuted"][0] == "Your order went through!"
    assert titles(home.kid("지우"))["AllowanceApproved"] == (
        "Your request was approved!",
        "You'll get 12,000 won.",
    )
    assert titles(home.kid("하늘"))["TradeExecuted"][0] == "주문이 체결됐어요"
    dad, mom = titles(home.dad), titles(home.mom)
    assert dad["AllowanceApproved"][1].startswith("지우's request for 12,000 won")
    assert dad["AllowanceRequested"] == (
        "A pocket-money request",
        "하늘 asks for 3,000 won; it is waiting for your approval.",
    )
    assert mom["AllowanceRequested"] == ("용돈 요청이 왔습니다", "하늘의 3,000원 요청이 승인을 기다립니다.")


# -- exactly once into the inbox ----------------------------------------------------------------------
def test_dispatching_twice_delivers_once(home: Home) -> None:
    home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-1"})
    home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-1", "amount_real": 1_000})
    assert home.dispatch().delivered == 3
    again = home.dispatch()
    assert (again.delivered, again.finished) == (0, 0)
    assert len(_notifications(home.app)) == 3


class _FailsAfterInsert(InboxChannel):
    """Writes the notification, then fails: the savepoint must take the insert back."""

    def deliver(self, session: Any, message: Message, now: datetime) -> None:
        super().deliver(session, message, now)
        raise RuntimeError("connection reset after insert")


class _Crash(BaseException):
    """The process dies (SIGKILL-like: nothing after this point runs)."""


def test_a_failure_after_the_insert_is_retried_with_backoff_and_delivered_once(
    home: Home, clock: MovableClock
) -> None:
    outbox_id = home.emit(
        home.kid("지우"), "AllowanceApproved", {"request_id": "r", "amount_real": 1}, home.mom
    )
    report = home.dispatch(channels=[_FailsAfterInsert()])
    assert (report.failed, report.delivered, report.finished) == (2, 0, 0)
    assert _notifications(home.app) == []
    with home.app.state.db.read() as session:
        deliveries = list(session.scalars(sa.select(Delivery).where(Delivery.outbox_id == outbox_id)))
        assert {(d.status, d.attempts) for d in deliveries} == {("pending", 1)}
        assert all("connection reset" in (d.last_error or "") for d in deliveries)
        assert session.get(Outbox, outbox_id).delivered_at is None  # type: ignore[union-attr]
    assert home.dispatch().delivered == 0  # backing off: not yet
    clock.advance(seconds=BASE_DELAY.total_seconds())
    assert home.dispatch().delivered == 2
    assert home.dispatch().delivered == 0
    assert sorted(user for user, _ in _notifications(home.app)) == sorted(
        [home.kid("지우").user_id, home.dad.user_id]
    )
    assert outbox_status(home.app.state.db) == {"events_waiting": 0, "pending": 0, "done": 2, "dead": 0}


def test_a_crash_before_an_events_commit_delivers_it_once_in_the_next_process(
    home: Home, monkeypatch: pytest.MonkeyPatch, settings: Settings, clock: MovableClock
) -> None:
    first = home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-1"})
    second = home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-2"})
    write = dispatcher_module._write_worded

    def crash_after_writing(session: Any, worded: Any, now: datetime) -> Any:
        written = write(session, worded, now)
        assert [w.outbox_id for w in written] == [first, second]
        raise _Crash  # both delivered and marked in the chunk's transaction, not yet committed

    monkeypatch.setattr(dispatcher_module, "_write_worded", crash_after_writing)
    with pytest.raises(_Crash):
        home.dispatch()
    monkeypatch.undo()
    # the chunk's inserts went with its transaction: nothing delivered, nothing marked
    assert home.inbox(home.kid("지우"))["notifications"] == []
    assert outbox_status(home.app.state.db) == {"events_waiting": 2, "pending": 0, "done": 0, "dead": 0}
    # a new server process on the same database delivers both, once each
    restarted = create_app(settings, clock=clock)
    try:
        report = dispatch_once(restarted.state.db, clock())
        assert (report.delivered, report.finished) == (2, 2)
        with restarted.state.db.read() as session:
            assert session.get(Outbox, first).delivered_at is not None  # type: ignore[union-attr]
            assert session.get(Outbox, second).delivered_at is not None  # type: ignore[union-attr]
    finally:
        restarted.state.db.dispose()
    trades = sorted(n["data"]["trade_id"] for n in home.inbox(home.kid("지우"))["notifications"])
    assert trades == ["t-1", "t-2"]
    assert len(_notifications(home.app)) == 2
    assert home.dispatch().delivered == 0


def test_a_chunk_another_pass_delivered_meanwhile_is_not_delivered_again(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk is worded outside the write lock: another dispatcher (a second server process) may
    deliver the same events before this one writes. The write sees it and adds nothing."""
    first = home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-1"})
    second = home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-1", "amount_real": 5})
    word = dispatcher_module._word_chunk
    other: list[dispatcher_module.DispatchReport] = []

    def another_pass_meanwhile(*args: Any) -> Any:
        worded = word(*args)
        monkeypatch.setattr(dispatcher_module, "_word_chunk", word)
        other.append(home.dispatch())  # the other process, between this one's reading and writing
        return worded

    monkeypatch.setattr(dispatcher_module, "_word_chunk", another_pass_meanwhile)
    report = home.dispatch()
    assert (other[0].finished, report.finished, report.delivered) == (2, 0, 0)
    assert sorted(_notifications(home.app)) == sorted(
        [
            (home.kid("지우").user_id, "TradeExecuted"),
            (home.mom.user_id, "AllowanceRequested"),
            (home.dad.user_id, "AllowanceRequested"),
        ]
    )
    with home.app.state.db.read() as session:
        deliveries = session.scalars(
            sa.select(Delivery.outbox_id).where(Delivery.outbox_id.in_([first, second]))
        )
        assert sorted(deliveries) == sorted([first, second, second])


class _BookkeepingBreaks:
    """A remote channel (shaped like e-mail) whose record-keeping after the send fails for ``r-1``."""

    name, remote = "email", True

    def __init__(self) -> None:
        self.sent: list[str] = []

    def reaches(self, session: Any, user_id: str, role: str) -> bool:
        return role == "parent"

    def prepare(self, session: Any, message: Message) -> str:
        return str(message.data["request_id"])

    def send(self, prepared: str) -> None:
        self.sent.append(prepared)

    def settle(self, session: Any, prepared: str) -> None:
        if prepared == "r-1":
            raise RuntimeError("could not record what the provider said")


def test_a_remote_send_that_breaks_afterwards_does_not_hold_back_the_next_event(home: Home) -> None:
    home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-1", "amount_real": 1_000})
    home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-2", "amount_real": 2_000})
    remote = _BookkeepingBreaks()
    report = home.dispatch(channels=[InboxChannel(), remote])
    assert sorted(remote.sent) == ["r-1", "r-1", "r-2", "r-2"]  # both parents, both events
    assert report.finished == 1  # r-2; r-1 waits for its lease and goes again
    assert outbox_status(home.app.state.db)["events_waiting"] == 1
    assert home.events(home.mom) == ["AllowanceRequested", "AllowanceRequested"]


class _AlwaysFails(InboxChannel):
    def deliver(self, session: Any, message: Message, now: datetime) -> None:
        raise ConnectionError("inbox unreachable")


def test_repeated_failures_end_in_the_dead_letter_state(home: Home, clock: MovableClock) -> None:
    outbox_id = home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-1"})
    for attempt in range(1, 4):
        report = home.dispatch(channels=[_AlwaysFails()], max_attempts=3)
        assert report.failed + report.dead == 1, attempt
        clock.advance(hours=1)
    assert report.dead == 1 and report.finished == 1
    with home.app.state.db.read() as session:
        delivery = session.scalars(sa.select(Delivery).where(Delivery.outbox_id == outbox_id)).one()
        assert (delivery.status, delivery.attempts) == ("dead", 3)
        assert delivery.last_error == "ConnectionError: inbox unreachable"
    assert outbox_status(home.app.state.db) == {"events_waiting": 0, "pending": 0, "done": 0, "dead": 1}
    assert home.dispatch().delivered == 0  # a dead letter is not retried by itself
    # the operator fixed the cause and requeues it: delivered once
    assert requeue_dead(home.app.state.db) == 1
    assert home.dispatch().delivered == 1 and home.dispatch().delivered == 0
    assert outbox_status(home.app.state.db) == {"events_waiting": 0, "pending": 0, "done": 1, "dead": 0}
    assert _notifications(home.app) == [(home.kid("지우").user_id, "TradeExecuted")]


# -- the routes ---------------------------------------------------------------------------------------
def test_inbox_is_newest_first_limited_and_read_only_by_its_owner(home: Home, clock: MovableClock) -> None:
    jiwoo = home.kid("지우")
    for n in range(3):
        home.emit(jiwoo, "TradeExecuted", {"trade_id": f"t-{n}"})
        home.dispatch()
        clock.advance(seconds=1)
    listed = home.inbox(jiwoo)
    assert listed["unread"] == 3
    assert [n["data"]["trade_id"] for n in listed["notifications"]] == ["t-2", "t-1", "t-0"]
    assert len(home.inbox(jiwoo, limit=2)["notifications"]) == 2
    assert home.client.get("/api/notifications?limit=101", headers=jiwoo.headers).status_code == 422
    newest = listed["notifications"][0]["notification_id"]
    for intruder in (home.kid("하늘"), home.mom, home.theirs.parent, home.theirs.child("민수")):
        response = home.client.post(f"/api/notifications/{newest}/read", headers=intruder.headers)
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert home.client.post("/api/notifications/nope/read", headers=jiwoo.headers).status_code == 404
    assert home.client.post(f"/api/notifications/{newest}/read").status_code == 401
    read = _ok(home.client.post(f"/api/notifications/{newest}/read", headers=jiwoo.headers), 200)
    assert read["read_at"] is not None
    clock.advance(minutes=5)
    again = _ok(home.client.post(f"/api/notifications/{newest}/read", headers=jiwoo.headers), 200)
    assert again["read_at"] == read["read_at"]
    assert home.inbox(jiwoo)["unread"] == 2
    assert home.inbox(home.mom) == {"notifications": [], "unread": 0}


# -- sync ---------------------------------------------------------------------------------------------
def _notified(answer: dict[str, Any]) -> set[str]:
    return {c["data"]["user_id"] for c in answer["changes"] if c["entity"] == "notification"}


def test_pull_carries_each_members_notifications_and_no_one_elses(home: Home) -> None:
    jiwoo, haneul = home.kid("지우"), home.kid("하늘")
    cursors = {name: home.pull(m)["cursor"] for name, m in home.everyone().items()}
    home.emit(jiwoo, "TradeExecuted", {"trade_id": "t-1"})
    home.emit(jiwoo, "AllowanceRequested", {"request_id": "r-1", "amount_real": 1_000})
    home.emit(haneul, "AllowanceApproved", {"request_id": "r-2", "amount_real": 1_000}, home.mom)
    home.dispatch()
    family = {jiwoo.user_id, haneul.user_id}
    expect = {
        "지우": {jiwoo.user_id},
        "하늘": {haneul.user_id},
        "mom": {home.mom.user_id} | family,  # her own, and her children's (parents see the children's rows)
        "dad": {home.dad.user_id} | family,
        "other_parent": set(),
        "민수": set(),
    }
    for name, member in home.everyone().items():
        assert _notified(home.pull(member, cursors[name])) == expect[name], f"{name}: changes since a cursor"
        assert _notified(home.pull(member)) == expect[name], f"{name}: snapshot"
    # marking read travels too, to the owner's devices only
    cursors = {name: home.pull(m)["cursor"] for name, m in home.everyone().items()}
    dads = home.inbox(home.dad)["notifications"][0]["notification_id"]
    _ok(home.client.post(f"/api/notifications/{dads}/read", headers=home.dad.headers), 200)
    changes = home.pull(home.dad, cursors["dad"])["changes"]
    assert [c["data"]["read_at"] is not None for c in changes if c["entity"] == "notification"] == [True]
    for name in ("mom", "지우", "하늘"):
        assert _notified(home.pull(home.everyone()[name], cursors[name])) == set(), name


# -- the background thread ----------------------------------------------------------------------------
def test_the_app_dispatches_in_the_background(
    make_settings: Callable[..., Settings], database_url: str, clock: MovableClock
) -> None:
    settings = make_settings(database_url=database_url, notify_interval_s=0.05)
    app = create_app(settings, clock=clock)
    try:
        with TestClient(app) as client:
            family = Family.create(client, ("지우",))
            kid = family.child("지우")
            with app.state.db.write(family.family_id) as session:
                session.add(
                    Outbox(
                        family_id=family.family_id,
                        child_id=kid.user_id,
                        event="TradeExecuted",
                        payload={"trade_id": "t-1", "txn_id": "x", "actor_id": kid.user_id},
                        created_at=clock(),
                    )
                )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                listed = _ok(client.get("/api/notifications", headers=bearer(kid.access)), 200)
                if listed["notifications"]:
                    break
                time.sleep(0.05)
            assert [n["event"] for n in listed["notifications"]] == ["TradeExecuted"]
    finally:
        app.state.db.dispose()


def test_the_operator_counts_the_outbox_from_the_cli(
    home: Home, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main

    home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-1"})
    home.dispatch(channels=[_AlwaysFails()], max_attempts=1)
    home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-2"})
    data = str(settings.data_dir)
    main(["admin", "outbox", "--database-url", settings.database_url, "--data-dir", data])
    out = capsys.readouterr().out
    assert "events_waiting: 1" in out and "dead: 1" in out and "done: 0" in out
    main(["admin", "outbox", "--requeue-dead", "--database-url", settings.database_url, "--data-dir", data])
    out = capsys.readouterr().out
    assert "requeued: 1" in out and "events_waiting: 2" in out and "dead: 0" in out


def test_a_broken_event_backs_off_without_holding_back_the_next(home: Home) -> None:
    home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": ["not", "an", "id"]})  # no such key shape
    home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-2"})
    report = home.dispatch()
    assert (report.failed, report.delivered, report.finished) == (1, 1, 1)
    assert [n["data"]["trade_id"] for n in home.inbox(home.kid("지우"))["notifications"]] == ["t-2"]
    assert outbox_status(home.app.state.db)["pending"] == 1


def test_the_dispatcher_rests_between_chunks_only_while_requests_are_served(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Delivering shares the interpreter with the requests, so the background dispatcher rests after
    each chunk while the family is using the app; once nobody has asked for anything for a second,
    a backlog (an evening's trades) goes out without resting."""
    rests: list[float] = []
    clock = type("Clock", (), {"perf_counter": time.perf_counter, "sleep": rests.append})
    monkeypatch.setattr(dispatcher_module, "time", clock)  # the dispatcher's rests, recorded
    gate = home.app.state.gate
    _setup_trading(home)
    jiwoo = home.kid("지우")
    assert _trade(home, jiwoo, "buy", 70_000, 20)["trade"]["status"] == "filled"
    assert gate.busy()  # she has just traded
    assert home.dispatch(pace=1.0, busy=gate.busy).finished >= 1
    assert len(rests) >= 1 and all(seconds >= 0 for seconds in rests)

    assert _trade(home, jiwoo, "sell", 80_000, 10)["trade"]["status"] == "filled"
    time.sleep(QUIET_S)  # a second with no request
    assert not gate.busy()
    rests.clear()
    assert home.dispatch(pace=1.0, busy=gate.busy).finished >= 1
    assert rests == []
    assert home.events(jiwoo).count("TradeExecuted") == 2  # the buy and the sale, both delivered
