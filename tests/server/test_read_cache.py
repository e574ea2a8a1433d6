"""The read cache (``server.cache``): a child's portfolio kept 30 s, but never a stale balance.

Each test runs with the cache in process and in a real Redis (a fresh key prefix per test). The
portfolio entry is keyed by the family's change-log head, so whatever commits to the family (a REST
trade, a pushed order, a parent's grant) makes the next read compute it again; only a price moved
without any commit of the family may show up to 30 s late, measured on the server's clock. A stock's
headlines are shared the same way between processes (each process has its own news desk).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.cache import Cache, MemoryCache, RedisCache
from server.market.clock import FixedMarketClock
from server.market.news import NewsDesk
from server.market.providers.base import Headline
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family, Member
from tests.support.market import ScriptedMarket

SAMSUNG = "005930.KS"
TUESDAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {}
    return {"redis_url": request.getfixturevalue("redis_url"), "redis_prefix": f"t{uuid.uuid4().hex}"}


@pytest.fixture
def app(
    make_settings: Callable[..., Settings], database_url: str, clock: MovableClock, store: dict[str, Any]
) -> Iterator[Litestar]:
    clock.now = TUESDAY
    application = create_app(make_settings(database_url=database_url, **store), clock=clock)
    application.state.market_clock = FixedMarketClock()  # markets open: an order fills now
    yield application
    application.state.db.dispose()


@pytest.fixture
def market(app: Litestar, clock: MovableClock) -> ScriptedMarket:
    market = ScriptedMarket(clock).attach(app)
    market.trades(SAMSUNG, 70_000)
    return market


def portfolio(client: TestClient[Any], member: Member, child: Member) -> dict[str, Any]:
    response = client.get(f"/api/game/portfolio/{child.user_id}", headers=member.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def held(answer: dict[str, Any]) -> dict[str, int]:
    return {p["symbol"]: p["quantity"] for p in answer["positions"]}


def grant(client: TestClient[Any], home: Family, child: Member, amount: int) -> None:
    body = {"child_id": child.user_id, "amount": amount, "reason": "용돈"}
    response = client.post("/api/family/grants", json=body, headers=home.parent.headers)
    assert response.status_code == 201, response.text


def push_buy(client: TestClient[Any], kid: Member, amount: int) -> None:
    pulled = client.post(
        "/api/sync/pull", json={"protocol": 1, "client_id": kid.client_id, "cursor": 0}, headers=kid.headers
    ).json()
    args = {"trade_id": uuid.uuid4().hex, "side": "buy", "symbol": SAMSUNG, "amount": amount}
    mutation = {
        "seq": int(pulled["last_seq"]) + 1,
        "id": uuid.uuid4().hex,
        "name": "trade.place/v1",
        "args": args,
    }
    body = {"protocol": 1, "client_id": kid.client_id, "mutations": [mutation]}
    response = client.post("/api/sync/push", json=body, headers=kid.headers)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] in ("applied", "adjusted"), response.text


def test_a_portfolio_read_right_after_a_trade_or_a_grant_shows_it(
    client: TestClient[Any], market: ScriptedMarket
) -> None:
    home = Family.create(client, ("지우",))
    kid = home.child("지우")
    start = portfolio(client, kid, kid)
    assert portfolio(client, home.parent, kid) == start  # a second read, from the cache: the same

    bought = client.post(
        "/api/game/trade/buy", json={"symbol": SAMSUNG, "amount": 140_000}, headers=kid.headers
    )
    assert bought.status_code == 200, bought.text
    after_rest = portfolio(client, kid, kid)
    assert after_rest["cash"] == start["cash"] - 140_000 and held(after_rest) == {SAMSUNG: 2_000_000}

    push_buy(client, kid, 70_000)  # an order the device pushed (over sync, not REST)
    after_push = portfolio(client, home.parent, kid)
    assert after_push["cash"] == after_rest["cash"] - 70_000 and held(after_push) == {SAMSUNG: 3_000_000}

    grant(client, home, kid, 5_000)  # the parent's commit is the family's too
    assert portfolio(client, kid, kid)["cash"] == after_push["cash"] + 5_000


def test_a_price_moved_without_a_commit_shows_within_30_seconds_of_the_servers_clock(
    client: TestClient[Any], market: ScriptedMarket, clock: MovableClock
) -> None:
    home = Family.create(client, ("지우",))
    kid = home.child("지우")
    bought = client.post(
        "/api/game/trade/buy", json={"symbol": SAMSUNG, "amount": 70_000}, headers=kid.headers
    )
    assert bought.status_code == 200, bought.text
    first = portfolio(client, kid, kid)
    assert first["positions"][0]["price"] == 70_000

    market.trades(SAMSUNG, 80_000)  # a new quote: no change in the family
    clock.advance(seconds=29)
    kept = portfolio(client, kid, kid)
    assert kept == first  # valued 29 s ago, and says so (as_of)

    clock.advance(seconds=1)
    fresh = portfolio(client, kid, kid)
    assert fresh["positions"][0]["price"] == 80_000 and fresh["total_value"] > first["total_value"]
    assert fresh["as_of"] != first["as_of"] and fresh["cash"] == first["cash"]


def test_one_familys_cached_portfolio_is_never_served_to_another(
    client: TestClient[Any], market: ScriptedMarket
) -> None:
    ours, theirs = Family.create(client, ("지우",)), Family.create(client, ("하늘",))
    kid, other = ours.child("지우"), theirs.child("하늘")
    client.post("/api/game/trade/buy", json={"symbol": SAMSUNG, "amount": 70_000}, headers=kid.headers)
    mine = portfolio(client, kid, kid)  # cached now
    for stranger in (theirs.parent, other):
        response = client.get(f"/api/game/portfolio/{kid.user_id}", headers=stranger.headers)
        assert response.status_code == 404, response.text
    # the other family's own child is valued on its own: nothing of ours in it
    assert held(portfolio(client, theirs.parent, other)) == {} and held(mine) == {SAMSUNG: 1_000_000}


# -- the two twins, alone -----------------------------------------------------------------------


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    made: Cache = (
        MemoryCache()
        if request.param == "memory"
        else RedisCache(request.getfixturevalue("redis_url"), f"t{uuid.uuid4().hex}")
    )
    yield made
    made.close()


def test_an_entry_lives_its_ttl_on_the_clock_it_is_given(cache: Cache) -> None:
    stored = TUESDAY
    cache.put("k", b"value", timedelta(seconds=30), stored)
    assert cache.get("k", stored + timedelta(seconds=29.999)) == b"value"
    assert cache.get("k", stored + timedelta(seconds=30)) is None
    assert cache.get("k", stored - timedelta(seconds=1)) is None  # a clock moved back stretches nothing
    assert cache.get("other", stored) is None


def test_the_process_cache_keeps_a_bounded_number_of_entries() -> None:
    cache = MemoryCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, key.encode(), timedelta(minutes=1), TUESDAY)
    assert [cache.get(k, TUESDAY) for k in ("a", "b", "c")] == [None, b"b", b"c"]


def test_a_redis_that_does_not_answer_is_a_miss_not_a_failure() -> None:
    cache = RedisCache("redis://127.0.0.1:1/0")  # nothing listens there
    cache.put("k", b"value", timedelta(seconds=30), TUESDAY)
    assert cache.get("k", TUESDAY) is None
    cache.close()


def test_the_value_chart_shows_a_trade_at_once_and_a_new_price_within_30_seconds(
    client: TestClient[Any], market: ScriptedMarket, clock: MovableClock
) -> None:
    home = Family.create(client, ("지우",))
    kid = home.child("지우")

    def chart(member: Member) -> dict[str, Any]:
        response = client.get(
            f"/api/game/performance/{kid.user_id}", params={"range": "1W"}, headers=member.headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    before = chart(kid)
    assert chart(home.parent) == before  # kept: the same answer to the same family
    bought = client.post(
        "/api/game/trade/buy", json={"symbol": SAMSUNG, "amount": 70_000}, headers=kid.headers
    )
    assert bought.status_code == 200, bought.text
    after = chart(kid)
    assert len(after["series"]) > len(before["series"])  # the trade is a point of the chart at once

    market.trades(SAMSUNG, 140_000)  # a price moved, nothing committed in the family
    assert chart(kid) == after
    clock.advance(seconds=30)
    assert chart(kid)["total_value"] == after["total_value"] + 70_000


class _Wire:
    """A news source that counts how often it is asked."""

    name = "wire"

    def __init__(self) -> None:
        self.asked = 0

    def headlines(self, symbol: str, now: datetime, limit: int = 10) -> list[Headline]:
        self.asked += 1
        return [Headline(f"{symbol} story {self.asked}", "Wire", now, f"https://news.example/{self.asked}")]


class _LiveChain:
    live = True
    providers: list[object] = [object()]  # no news of its own: only the desk's extra source


def test_two_processes_news_desks_fetch_a_symbol_once_per_10_minutes(cache: Cache) -> None:
    wire = _Wire()
    one, two = NewsDesk([wire], cache=cache), NewsDesk([wire], cache=cache)  # one desk per process
    chain: Any = _LiveChain()
    fetched = one.page(chain, SAMSUNG, TUESDAY)
    assert two.page(chain, SAMSUNG, TUESDAY + timedelta(minutes=9)) == fetched and wire.asked == 1
    later = two.page(chain, SAMSUNG, TUESDAY + timedelta(minutes=10))
    assert wire.asked == 2 and later.items[0].title == f"{SAMSUNG} story 2"
    assert one.page(chain, SAMSUNG, TUESDAY + timedelta(minutes=11)) == later  # process one takes it
