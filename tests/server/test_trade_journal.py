"""The trade journal on the server: a child's sentence on why, pushed with the order as a device sends
it, is kept with the trade and comes back in the pulls of the child and its parents only; the house rule
``journal_required`` refuses an order without one on both paths (push and REST) with the same code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .test_authz_matrix import SYMBOL, World, _ok, _pull, _push, served_world

WHY = "지우의 이유: 새 휴대폰이 잘 팔린대서 샀어요"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from served_world(request, tmp_path_factory.mktemp(f"journal-{request.param}"))


def _order(world: World, **extra: Any) -> dict[str, Any]:
    quote = world.quote
    return {
        "trade_id": f"t-{uuid.uuid4().hex}",
        "side": "buy",
        "symbol": SYMBOL,
        "quantity": 1_000_000,
        "quote_id": quote.quote_id,
        "price": quote.price,
        **extra,
    }


def _journals(answer: dict[str, Any]) -> dict[str, str | None]:
    return {c["id"]: (c["data"] or {}).get("journal") for c in answer["changes"] if c["entity"] == "trade"}


def test_a_pushed_sentence_is_kept_and_pulled_by_the_child_and_its_parent_only(world: World) -> None:
    order = _order(world, journal=f"  {WHY}  ")
    answer = _push(world, "A1", [("trade.place/v1", order)])
    assert answer["results"][0]["status"] == "applied", answer
    trade_id = order["trade_id"]
    assert _journals(_pull(world, "A1"))[trade_id] == WHY  # kept without its blanks
    assert _journals(_pull(world, "PA"))[trade_id] == WHY  # the parent reads it beside the trade
    for outsider in ("A2", "B1", "PB"):  # a sibling, the other family's child and parent
        assert trade_id not in _journals(_pull(world, outsider)), outsider
    # the parent's REST view of the child's trades has it too; the other family's parent cannot look
    child = world.members["A1"].user_id
    listed = _ok(world.client.get(f"/api/game/trades/{child}", headers=world.members["PA"].headers), 200)
    assert {t["trade_id"]: t.get("journal") for t in listed}[trade_id] == WHY
    theirs = world.client.get(f"/api/game/trades/{child}", headers=world.members["PB"].headers)
    assert theirs.status_code == 404 and WHY not in theirs.text


def test_a_sentence_that_is_not_one_line_is_refused_without_being_echoed(world: World) -> None:
    order = _order(world, journal="첫 줄\n둘째 줄 비밀")
    (result,) = _push(world, "A1", [("trade.place/v1", order)])["results"]
    assert (result["status"], result["code"]) == ("rejected", "INVALID_ARGS")
    assert "비밀" not in str(result.get("detail"))


def test_the_house_rule_refuses_an_order_without_a_sentence_on_push_and_rest(world: World) -> None:
    child = world.members["A2"].user_id
    url = f"/api/family/children/{child}/rules"
    _ok(world.client.put(url, json={"journal_required": True}, headers=world.elevated["A"]), 200)
    pushed = _push(
        world, "A2", [("trade.place/v1", _order(world)), ("trade.place/v1", _order(world, journal=" "))]
    )
    assert [(r["status"], r.get("code")) for r in pushed["results"]] == [("rejected", "JOURNAL_REQUIRED")] * 2
    body = {k: v for k, v in _order(world).items() if k not in ("side", "trade_id")}
    refused = world.client.post("/api/game/trade/buy", json=body, headers=world.members["A2"].headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "JOURNAL_REQUIRED")
    written = world.client.post(
        "/api/game/trade/buy",
        json={**body, "journal": "규칙대로 한 줄 적었어요"},
        headers=world.members["A2"].headers,
    )
    assert _ok(written, 200)["trade"]["journal"] == "규칙대로 한 줄 적었어요"
    # the rule is the child's own: a sibling without it still trades without a sentence
    assert _push(world, "A1", [("trade.place/v1", _order(world))])["results"][0]["status"] == "applied"
