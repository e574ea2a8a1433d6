"""The trading budget holds on every path: at most 10 orders a child places in any minute, whether
they come one by one over REST or thirty in one push, while a week of orders recorded offline at a
human pace is accepted whole when the device comes back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..support.invariants import check_server
from ..support.world import World
from .homes import SAMSUNG, Home, home_of

PER_MINUTE = 10


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    w = World(tmp_path, database_url=database_url, rate_limits=True)
    yield w
    w.close()
    w.db.dispose()


def _order(i: int) -> tuple[str, dict[str, Any]]:
    # an amount order citing no quote fills at the newest price: nothing here depends on quotes
    return "trade.place/v1", {
        "trade_id": f"t{i}-{uuid.uuid4().hex}",
        "side": "buy",
        "symbol": SAMSUNG,
        "amount": 1_000,
    }


def _push_orders(home: Home, times: list[datetime]) -> list[dict[str, Any]]:
    device = home.kid()
    answer = home.push(device, *(_order(i) for i in range(len(times))), created=times)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["last_seq"] == home.world_last_seq(device)  # nothing wedges: every order was processed
    assert [r["seq"] for r in body["results"]][-1] == body["last_seq"]
    return list(body["results"])


def _admitted(times: list[datetime]) -> list[bool]:
    """The rule, as a model: in time order, an order is admitted when fewer than 10 admitted
    orders were placed in the minute up to it."""
    admitted: list[datetime] = []
    answer = []
    for t in times:
        ok = sum(1 for a in admitted if t - a < timedelta(seconds=60)) < PER_MINUTE
        answer.append(ok)
        if ok:
            admitted.append(t)
    return answer


def test_thirty_orders_pushed_in_one_minute_are_not_all_placed(world: World) -> None:
    home = home_of(world)
    world.quote(SAMSUNG, 70_000)
    now = world.clock()
    times = [now - timedelta(seconds=59) + timedelta(seconds=2 * i) for i in range(30)]
    results = _push_orders(home, times)
    placed = [r for r in results if r["status"] != "rejected"]
    refused = [r for r in results if r["status"] == "rejected"]
    assert len(placed) == PER_MINUTE
    assert {(r["code"], r["detail"]["max"]) for r in refused} == {("RATE_LIMITED", PER_MINUTE)}
    assert home.balances(home.kid())["cash"] == 1_000_000 - PER_MINUTE * 1_000
    check_server(world.db)


def test_rest_and_push_share_one_budget(world: World) -> None:
    home = home_of(world)
    kid = home.kid()
    quote = world.quote(SAMSUNG, 70_000)
    _push_orders(home, [world.clock()] * PER_MINUTE)
    kid.pull()
    body = {"symbol": SAMSUNG, "amount": 1_000, "quote_id": quote.quote_id, "price": 70_000}
    refused = home.rest(kid, "POST", "/api/game/trade/buy", body)
    assert refused.status_code == 429 and refused.json()["code"] == "RATE_LIMITED", refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    world.clock.advance(minutes=1)
    world.quote(SAMSUNG, 70_000)
    kid.pull()
    assert home.buy(kid, quantity=None, amount=1_000).status_code == 200


def test_a_device_cannot_backdate_past_its_own_orders_or_post_date(world: World) -> None:
    home = home_of(world)
    world.quote(SAMSUNG, 70_000)
    now = world.clock()
    assert [r["status"] for r in _push_orders(home, [now])] == ["adjusted"]  # at the newest price
    # thirty more, claiming the hour before the order already placed, or a time to come: they count
    # as placed no earlier than that order and no later than they arrived
    before = [now - timedelta(minutes=60) + timedelta(minutes=2 * i) for i in range(15)]
    after = [now + timedelta(minutes=2 * i) for i in range(1, 16)]
    results = _push_orders(home, before + after)
    assert sum(r["status"] != "rejected" for r in results) == PER_MINUTE - 1


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(gaps=st.lists(st.integers(min_value=0, max_value=20 * 3600), min_size=1, max_size=40))
def test_a_week_offline_is_accepted_at_a_human_pace_and_only_then(world: World, gaps: list[int]) -> None:
    home = home_of(world)  # enrolled and synced now, then a week without a connection
    start = world.clock()
    times = []
    t = start
    for gap in gaps:
        t += timedelta(seconds=gap)
        times.append(min(t, start + timedelta(days=7)))
    world.clock.advance(days=7, seconds=1)
    world.quote(SAMSUNG, 70_000)
    results = _push_orders(home, times)
    placed = [r["status"] != "rejected" for r in results]
    assert placed == _admitted(times)
    for result, ok in zip(results, placed, strict=True):
        assert ok or result["code"] == "RATE_LIMITED", result
    human_pace = all(_admitted(times))
    assert human_pace == all(placed)


def test_a_device_clock_that_runs_behind_keeps_its_pace(world: World) -> None:
    """A clock stuck years behind (a flat battery) neither locks the child out nor packs its
    orders together: the spacing of the stamps is kept, anchored to when the push arrived."""
    home = home_of(world)
    stuck = datetime(2020, 1, 1, tzinfo=UTC)
    placed = 0
    for minute in range(PER_MINUTE + 3):  # one order a minute, each pushed at once
        world.clock.advance(minutes=1)
        world.quote(SAMSUNG, 70_000)
        (result,) = _push_orders(home, [stuck + timedelta(minutes=minute)])
        placed += result["status"] != "rejected"
    assert placed == PER_MINUTE + 3
    # a week offline on that clock: three orders a day, all kept
    home.kid().sync()
    week = [stuck + timedelta(days=1, hours=8 * i) for i in range(21)]
    world.clock.advance(days=7)
    world.quote(SAMSUNG, 70_000)
    results = _push_orders(home, week)
    assert all(r["status"] != "rejected" for r in results), results
