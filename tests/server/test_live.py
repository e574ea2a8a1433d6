"""``/ws`` in one server process: authentication, scoping of pokes and notifications, quotes.

The sockets run against the real app (SQLite and PostgreSQL). "Gets nothing" is checked with a
barrier, not a sleep: the socket sends a message whose reply must be the next thing it receives, and
an event committed before that message would have been queued ahead of the reply.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from litestar.testing.websocket_test_session import WebSocketTestSession

from server.db.models import DeviceQuote, Outbox
from server.db.sealed import MARK
from server.ids import new_id
from server.market.admin import choose_mode
from server.market.clock import FixedMarketClock
from server.market.quotes import latest_quotes
from server.market.refresher import Refresher, provide_market_chain
from server.notify.dispatcher import dispatch_once
from server.settings import Settings
from sync.market import Quote
from sync.rules import Market
from tests.conftest import MovableClock
from tests.helpers import Family, Member

SAMSUNG = "005930.KS"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    # the tests drive the dispatcher themselves; quotes go out every 50 ms instead of every 5 s
    return make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        live_auth_timeout_s=0.5,
        live_quote_interval_s=0.05,
    )


class Socket:
    """One device's ``/ws`` connection."""

    def __init__(self, ws: WebSocketTestSession) -> None:
        self.ws = ws

    def next(self, timeout: float = 5.0) -> dict[str, Any]:
        return dict(self.ws.receive_json(timeout=timeout))

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send_json(message)

    def subscribe(self, *symbols: str) -> list[str]:
        self.send({"type": "subscribe", "channels": [f"prices:{s}" for s in symbols]})
        reply = self.next()
        assert reply["type"] == "subscribed", reply
        return list(reply["channels"])

    def received_nothing(self) -> None:
        """The next message is the reply to a message sent now: nothing was queued before it."""
        self.send({"type": "subscribe", "channels": []})
        assert self.next()["type"] == "subscribed"


@dataclass
class Home:
    client: TestClient[Litestar]
    app: Litestar
    ours: Family
    theirs: Family

    @contextmanager
    def socket(self, member: Member) -> Iterator[Socket]:
        with self.client.websocket_connect("/ws") as ws:
            ws.send_json({"type": "auth", "token": member.access})
            socket = Socket(ws)
            assert socket.next() == {"type": "ready", "user_id": member.user_id}
            yield socket

    def grant(self, child: Member, amount: int = 1_000) -> None:
        """The parent grants game money through a sync push (one change-log row for ``child``)."""
        parent = self.ours.parent
        args = {"child_id": child.user_id, "grant_id": uuid.uuid4().hex, "amount": amount, "reason": "용돈"}
        body = {
            "protocol": 1,
            "client_id": parent.client_id,
            "mutations": [
                {"seq": self._next_seq(parent), "id": new_id(), "name": "family.grant/v1", "args": args}
            ],
        }
        answer = self.client.post("/api/sync/push", json=body, headers=parent.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"][0]["status"] == "applied", answer.text

    def _next_seq(self, member: Member) -> int:
        body = {"protocol": 1, "client_id": member.client_id, "cursor": 0}
        pulled = self.client.post("/api/sync/pull", json=body, headers=member.headers).json()
        return int(pulled.get("last_seq", 0)) + 1

    def notify(self, child: Member, event: str, payload: dict[str, Any]) -> None:
        """An outbox event about ``child`` (as a decision writes it), then one dispatcher pass."""
        with self.app.state.db.write(self.ours.family_id) as session:
            session.add(
                Outbox(
                    family_id=self.ours.family_id,
                    child_id=child.user_id,
                    event=event,
                    payload={**payload, "txn_id": new_id(), "actor_id": child.user_id},
                    created_at=self.app.state.clock(),
                    delivered_at=None,
                )
            )
        assert dispatch_once(self.app.state.db, self.app.state.clock()).delivered >= 1

    def tick(self) -> None:
        """One full quote-and-check round on the app's loop, besides the ones the pump runs itself."""
        with self.client.portal() as portal:
            portal.call(self.app.state.live.tick)

    def look_at(self, *symbols: str) -> dict[str, Quote]:
        """A parent opens the stock pages: the symbols are priced and watched from now on."""
        for symbol in symbols:
            page = self.client.get(f"/api/market/stocks/{symbol}", headers=self.ours.parent.headers)
            assert page.status_code == 200, page.text
        with self.app.state.db.read() as session:
            return latest_quotes(session, symbols)

    def next_session(self) -> dict[str, Quote]:
        """The replay moves on one session and the refresher records the moved prices (what the
        server's refresher thread does on its own)."""
        clock: MovableClock = self.app.state.clock
        clock.advance(seconds=REPLAY_DAY)
        refresher = Refresher(self.app.state.db, provide_market_chain(self.app.state), clock)
        return {q.symbol: q for q in refresher.run_once()}


REPLAY_SPEED = 366.0  # replayed days per real day: a replayed session every ~4 minutes of the clock
REPLAY_DAY = 86_400 / REPLAY_SPEED + 1


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar, clock: MovableClock) -> Home:
    app.state.market_clock = FixedMarketClock()
    choose_mode(app.state.db, clock(), "replay", date(2012, 1, 9), REPLAY_SPEED)  # a Monday
    made = Home(client, app, Family.create(client, ("지우", "하늘")), Family.create(client, ("민수",)))
    dispatch_once(app.state.db, app.state.clock())  # what joining the family announced, before any socket
    return made


def _closed_with(ws: WebSocketTestSession) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json(timeout=5)
    return int(closed.value.code)


# -- authentication ---------------------------------------------------------------------------------


def test_a_socket_that_does_not_authenticate_in_time_is_closed_with_4401(home: Home) -> None:
    with home.client.websocket_connect("/ws") as ws:
        assert _closed_with(ws) == 4401


def test_the_request_log_shows_a_refused_socket_as_ws_with_its_close_code(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    def ws_lines() -> list[str]:
        messages = [r.getMessage() for r in caplog.records if r.name == "yongdon.http"]
        return [m for m in messages if '"route": "/ws"' in m]

    with home.client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": "not-a-jwt"})
        assert _closed_with(ws) == 4401
    deadline = time.monotonic() + 5
    while not ws_lines() and time.monotonic() < deadline:  # the server logs after the client saw the close
        time.sleep(0.01)
    assert ws_lines() and '"method": "WS"' in ws_lines()[-1] and '"status": 4401' in ws_lines()[-1]


@pytest.mark.parametrize(
    "first",
    [
        {"type": "subscribe", "channels": [f"prices:{SAMSUNG}"]},
        {"type": "auth", "token": "not-a-jwt"},
        {"type": "auth"},
        {"hello": "world"},
    ],
)
def test_the_first_message_must_be_a_valid_auth(home: Home, first: dict[str, Any]) -> None:
    with home.client.websocket_connect("/ws") as ws:
        ws.send_json(first)
        assert _closed_with(ws) == 4401


def test_refresh_expired_and_revoked_tokens_are_refused_like_the_bearer_header(
    home: Home, clock: MovableClock
) -> None:
    kid = home.ours.child("지우")
    for token in (kid.refresh, home.ours.parent.refresh):
        with home.client.websocket_connect("/ws") as ws:
            ws.send_json({"type": "auth", "token": token})
            assert _closed_with(ws) == 4401
    # the parent signs out: its access token still verifies, but its session is revoked
    mom = home.ours.parent
    out = home.client.post("/api/auth/logout", json={"refresh_token": mom.refresh}, headers=mom.headers)
    assert out.status_code in (200, 204), out.text
    with home.client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": mom.access})
        assert _closed_with(ws) == 4401
    clock.advance(minutes=16)  # past the 15-minute access token
    with home.client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": kid.access})
        assert _closed_with(ws) == 4401


def test_the_socket_closes_when_its_token_expires_unless_a_fresh_one_is_sent(
    home: Home, clock: MovableClock
) -> None:
    kid = home.ours.child("지우")
    with home.socket(kid) as socket:
        clock.advance(minutes=10)
        refreshed = home.client.post("/api/auth/refresh", json={"refresh_token": kid.refresh})
        assert refreshed.status_code == 200, refreshed.text
        socket.send({"type": "auth", "token": refreshed.json()["access_token"]})
        assert socket.next() == {"type": "ready", "user_id": kid.user_id}
        clock.advance(minutes=10)  # 20 minutes after the first token: only the fresh one holds it open
        socket.received_nothing()
        clock.advance(minutes=6)
        assert _closed_with(socket.ws) == 4401


def test_revoking_the_device_or_signing_out_closes_an_open_socket(home: Home, clock: MovableClock) -> None:
    kid, mom = home.ours.child("지우"), home.ours.parent
    with home.socket(kid) as kid_socket, home.socket(mom) as mom_socket:
        revoked = home.client.delete(
            f"/api/family/devices/{kid.client_id}", headers=home.ours.elevated(home.client)
        )
        assert revoked.status_code in (200, 204), revoked.text
        out = home.client.post("/api/auth/logout", json={"refresh_token": mom.refresh}, headers=mom.headers)
        assert out.status_code in (200, 204), out.text
        clock.advance(seconds=31)  # the sockets' next check of user, device and session
        home.tick()
        assert _closed_with(kid_socket.ws) == 4401
        assert _closed_with(mom_socket.ws) == 4401


def test_only_price_channels_may_be_named(home: Home) -> None:
    with home.socket(home.ours.child("지우")) as socket:
        wanted = [
            f"family:{home.theirs.family_id}",
            f"user:{home.ours.child('하늘').user_id}",
            "prices:",
            "x",
        ]
        socket.send({"type": "subscribe", "channels": [*wanted, f"prices:{SAMSUNG}"]})
        refused = socket.next()
        assert (refused["type"], refused["code"], refused["channels"]) == (
            "error",
            "FORBIDDEN",
            wanted[:3] + ["x"],
        )
        assert socket.next() == {"type": "subscribed", "channels": [f"prices:{SAMSUNG}"]}
        socket.send({"type": "subscribe", "channels": "prices:AAPL"})
        assert socket.next()["code"] == "INVALID_ARGS"
        too_many = [f"prices:A{i}" for i in range(60)]
        socket.send({"type": "subscribe", "channels": too_many})
        assert socket.next()["code"] == "LIMIT_EXCEEDED"
        socket.send({"type": "subscribe", "channels": ["prices:AAPL"] * 5_000})  # ~80 KB
        assert socket.next()["code"] == "INVALID_ARGS"
        socket.send({"type": "unsubscribe", "channels": [f"prices:{SAMSUNG}"]})
        assert socket.next() == {"type": "subscribed", "channels": []}


# -- pokes and notifications ---------------------------------------------------------------------------


def test_a_push_pokes_the_child_and_the_parents_and_no_one_else(home: Home) -> None:
    jiwoo, haneul = home.ours.child("지우"), home.ours.child("하늘")
    with (
        home.socket(home.ours.parent) as mom,
        home.socket(jiwoo) as jiwoo_socket,
        home.socket(haneul) as sibling,
        home.socket(home.theirs.parent) as other_parent,
        home.socket(home.theirs.child("민수")) as other_child,
    ):
        home.grant(jiwoo)
        assert mom.next() == {"type": "poke"}
        assert jiwoo_socket.next() == {"type": "poke"}
        for quiet in (sibling, other_parent, other_child):
            quiet.received_nothing()


def test_a_rest_change_pokes_like_a_push(home: Home) -> None:
    jiwoo = home.ours.child("지우")
    with home.socket(home.ours.parent) as mom, home.socket(home.ours.child("하늘")) as sibling:
        grant = {"child_id": jiwoo.user_id, "amount": 500, "reason": "생일"}
        made = home.client.post("/api/family/grants", json=grant, headers=home.ours.parent.headers)
        assert made.status_code == 201, made.text
        assert mom.next() == {"type": "poke"}
        sibling.received_nothing()


def test_a_notification_goes_to_its_owner_only_and_pokes_the_parents(home: Home) -> None:
    jiwoo, haneul = home.ours.child("지우"), home.ours.child("하늘")
    with (
        home.socket(home.ours.parent) as mom,
        home.socket(jiwoo) as jiwoo_socket,
        home.socket(haneul) as sibling,
        home.socket(home.theirs.parent) as other_parent,
        home.socket(home.theirs.child("민수")) as other_child,
    ):
        home.notify(jiwoo, "TradeExecuted", {"trade_id": "t-1", "symbol": SAMSUNG})
        assert jiwoo_socket.next() == {"type": "poke"}
        note = jiwoo_socket.next()
        assert note["type"] == "notification"
        assert (note["user_id"], note["event"], note["read_at"]) == (jiwoo.user_id, "TradeExecuted", None)
        assert note["title"] and note["body"] and note["notification_id"]
        assert not note["title"].startswith(MARK) and not note["body"].startswith(MARK)  # words, not sealed
        # the parents may pull the child's rows (so they are poked), but the inbox item is not theirs
        assert mom.next() == {"type": "poke"}
        mom.received_nothing()
        for quiet in (sibling, other_parent, other_child):
            quiet.received_nothing()
        # a parent-only notification: the child and its sibling hear nothing at all
        home.notify(jiwoo, "AllowanceRequested", {"request_id": "r-1", "amount_real": 5_000})
        assert mom.next() == {"type": "poke"}
        assert mom.next()["event"] == "AllowanceRequested"
        for quiet in (jiwoo_socket, sibling, other_parent, other_child):
            quiet.received_nothing()


def test_a_rolled_back_write_pokes_no_one(home: Home) -> None:
    jiwoo = home.ours.child("지우")
    with home.socket(home.ours.parent) as mom:
        with pytest.raises(RuntimeError), home.app.state.db.write(home.ours.family_id) as session:
            from server.game.writer import log_change

            log_change(
                session,
                home.ours.family_id,
                jiwoo.user_id,
                "child",
                jiwoo.user_id,
                {},
                home.app.state.clock(),
            )
            raise RuntimeError("the decision failed after logging")
        mom.received_nothing()


def test_the_dispatcher_thread_delivers_a_notification_to_the_socket(
    make_settings: Callable[..., Settings], database_url: str, clock: MovableClock
) -> None:
    from server.app import create_app

    app = create_app(make_settings(database_url=database_url, notify_interval_s=0.05), clock=clock)
    try:
        with TestClient(app) as client:
            home = Home(client, app, Family.create(client, ("지우",)), Family.create(client, ("민수",)))
            kid = home.ours.child("지우")
            with home.socket(kid) as socket:
                with app.state.db.write(home.ours.family_id) as session:
                    session.add(
                        Outbox(
                            family_id=home.ours.family_id,
                            child_id=kid.user_id,
                            event="DividendPaid",
                            payload={
                                "symbol": SAMSUNG,
                                "amount": 1_444,
                                "ref": "d-1",
                                "actor_id": kid.user_id,
                            },
                            created_at=clock(),
                            delivered_at=None,
                        )
                    )
                messages = [socket.next(), socket.next()]
                assert {"type": "poke"} in messages
                assert [m["event"] for m in messages if m["type"] == "notification"] == ["DividendPaid"]
    finally:
        app.state.db.dispose()


# -- quotes --------------------------------------------------------------------------------------------


def test_quotes_of_subscribed_symbols_only_while_their_market_is_open(home: Home) -> None:
    kid = home.ours.child("지우")
    home.look_at("AAPL")  # watched, but this socket does not subscribe to it
    with home.socket(kid) as socket:
        socket.subscribe(SAMSUNG)  # never priced before: its first price comes with the subscription
        got = socket.next()
        with home.app.state.db.read() as session:
            first = latest_quotes(session, [SAMSUNG])[SAMSUNG]
        assert got == {
            "type": "quote",
            "quote_id": first.quote_id,
            "symbol": SAMSUNG,
            "price": first.price,
            "currency": "KRW",
            "as_of": first.as_of.isoformat(),
            "source": "sim",
            "seq": first.seq,  # where it stands among the quotes the device pulled
        }
        # recorded as served to this device before it saw it: an order may cite it
        with home.app.state.db.read() as session:
            served = session.scalar(
                sa.select(DeviceQuote.quote_id).where(
                    DeviceQuote.client_id == kid.client_id, DeviceQuote.symbol == SAMSUNG
                )
            )
        assert served == first.quote_id
        second = home.next_session()  # AAPL moves too, but is not subscribed
        assert {"AAPL", SAMSUNG} <= set(second)
        got = socket.next()
        assert (got["quote_id"], got["price"]) == (second[SAMSUNG].quote_id, second[SAMSUNG].price)
        assert got["seq"] > first.seq
        # the KRX closes: a newer price is not pushed until it opens again
        market: FixedMarketClock = home.app.state.market_clock
        market.open_markets.discard(Market.KRX)
        third = home.next_session()
        assert {"AAPL", SAMSUNG} <= set(third)
        home.tick()
        socket.received_nothing()
        market.open_markets.add(Market.KRX)
        got = socket.next()
        assert (got["symbol"], got["quote_id"]) == (SAMSUNG, third[SAMSUNG].quote_id)


def test_each_quote_is_sent_once(home: Home) -> None:
    kid = home.ours.child("지우")
    with home.socket(kid) as socket:
        socket.subscribe("AAPL")
        assert socket.next()["source"] == "replay:2012-01-09"
        home.tick()
        home.tick()
        socket.received_nothing()  # the same quote is not repeated


def test_a_parent_gets_no_quote_it_has_not_asked_for(home: Home) -> None:
    home.look_at(SAMSUNG)
    with home.socket(home.ours.parent) as mom:
        assert SAMSUNG in home.next_session()
        home.tick()
        mom.received_nothing()


def test_the_live_channel_works_again_after_the_app_restarts(app: Litestar) -> None:
    for _ in range(2):  # a second lifespan runs on a new event loop
        with TestClient(app) as client:
            family = Family.create(client, ("지우",))
            kid = family.child("지우")
            with client.websocket_connect("/ws") as ws:
                ws.send_json({"type": "auth", "token": family.parent.access})
                assert ws.receive_json(timeout=5)["type"] == "ready"
                grant = {"child_id": kid.user_id, "amount": 500, "reason": "생일"}
                made = client.post("/api/family/grants", json=grant, headers=family.parent.headers)
                assert made.status_code == 201, made.text
                assert ws.receive_json(timeout=5) == {"type": "poke"}
