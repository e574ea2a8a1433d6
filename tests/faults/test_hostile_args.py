"""Arguments are judged by one rule on every path: REST refuses what a push refuses (a price with a
fraction, a blank reason), and a device's token speaks only for that device."""

from __future__ import annotations

from typing import Any

import pytest

from ..support.world import World
from .homes import SAMSUNG, home_of


@pytest.mark.parametrize("field", ["price", "quantity"])
@pytest.mark.parametrize("value", [74_800.5, "74800"])
def test_money_and_shares_are_integers_on_every_path(world: World, field: str, value: Any) -> None:
    home = home_of(world)
    kid = home.kid()
    quote = world.quote(SAMSUNG, 74_800)
    kid.pull()
    order = {"symbol": SAMSUNG, "quantity": 1_000_000, "quote_id": quote.quote_id, "price": 74_800}
    answer = home.rest(kid, "POST", "/api/game/trade/buy", {**order, field: value})
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_ARGS", answer.text
    pushed = home.push(kid, ("trade.place/v1", {**order, field: value, "trade_id": "t-1", "side": "buy"}))
    assert [(r["status"], r.get("code")) for r in pushed.json()["results"]] == [("rejected", "INVALID_ARGS")]
    assert home.balances(kid)["cash"] == 1_000_000


def test_a_whole_number_spelled_as_a_float_is_that_integer_on_every_path(world: World) -> None:
    """JSON Schema's ``integer`` admits ``74800.0`` (the OpenAPI document says so): both paths read it
    as 74800, and both refuse a fraction (above)."""
    home = home_of(world)
    kid = home.kid()
    quote = world.quote(SAMSUNG, 74_800)
    kid.pull()
    order = {"symbol": SAMSUNG, "quantity": 1_000_000.0, "quote_id": quote.quote_id, "price": 74_800.0}
    answer = home.rest(kid, "POST", "/api/game/trade/buy", order)
    assert answer.status_code == 200, answer.text
    spent = 1_000_000 - home.balances(kid)["cash"]
    assert spent >= 74_800  # one share at 74,800 (and its fee)
    pushed = home.push(kid, ("trade.place/v1", {**order, "trade_id": "t-1", "side": "buy"}))
    assert [r["status"] for r in pushed.json()["results"]] == ["applied"], pushed.text
    assert home.balances(kid)["cash"] == 1_000_000 - 2 * spent


def test_a_rejection_needs_a_reason_with_words(world: World) -> None:
    home = home_of(world)
    kid = home.kid()
    home.realise_profit(kid)
    request = home.request(kid).json()["request"]
    path = f"/api/allowance/{request['request_id']}/reject"
    blank = home.rest(home.parent, "PUT", path, {"version": 1, "reason": " \t  "})
    assert blank.status_code == 422 and blank.json()["code"] == "INVALID_ARGS", blank.text
    decide = {
        "child_id": kid.actor.user_id,
        "request_id": request["request_id"],
        "version": 1,
        "amount_real": request["amount_real"],
        "decision": "reject",
        "reason": "   ",
    }
    pushed = home.push(home.parent, ("allowance.decide/v1", decide))
    assert [(r["status"], r.get("code")) for r in pushed.json()["results"]] == [("rejected", "INVALID_ARGS")]
    assert home.request_row(request["request_id"])[2] == "pending"  # type: ignore[index]
    worded = home.rest(home.parent, "PUT", path, {"version": 1, "reason": "다음 주에 다시 보자"})
    assert worded.status_code == 200, worded.text


def test_a_devices_token_pushes_and_pulls_only_for_that_device(world: World) -> None:
    home = home_of(world)
    phone = home.kid()
    tablet = world.device(world.member(home.family_id, phone.actor.role, "unused"), "spare")
    # a second device of the same child
    from server.db.models import Device as DeviceRow

    with world.db.write(home.family_id) as s:
        row = s.get(DeviceRow, tablet.client_id)
        assert row is not None
        row.user_id = phone.actor.user_id
    body = {"protocol": 1, "client_id": tablet.client_id, "mutations": []}
    pushed = world.client.post("/api/sync/push", json=body, headers=phone.headers())
    assert pushed.status_code == 403 and pushed.json()["code"] == "FORBIDDEN", pushed.text
    pull = {"protocol": 1, "client_id": tablet.client_id, "cursor": 0}
    pulled = world.client.post("/api/sync/pull", json=pull, headers=phone.headers())
    assert pulled.status_code == 403 and pulled.json()["code"] == "FORBIDDEN", pulled.text
