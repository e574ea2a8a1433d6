"""Ids a device or a caller chooses (trade, request and grant ids, mutation ids, Idempotency-Keys)
belong to their family and child: another family's or a sibling's id is refused and touches
nothing, and a REST call retried with its key answers what it answered the first time."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.db.models import LedgerEntry, MutationRow
from server.gateway import record
from server.gateway.ids import Claims

from ..support.invariants import check_server
from ..support.world import World
from .homes import SAMSUNG, Home, home_of


def _outcome(answer: object) -> list[tuple[str, str | None]]:
    results = answer.json()["results"]  # type: ignore[attr-defined]
    return [(r["status"], r.get("code")) for r in results]


def test_the_writer_keeps_an_orders_owner_when_the_id_check_misses_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the gateway's id check ever let another family's order through (a bug), the write
    itself refuses to move the order (one pushed order: its writes go pipelined on PostgreSQL, where
    the refusal is known only at the pipeline's end): nothing is applied, the order stays ours."""
    ours, theirs = home_of(world), home_of(world, ("Minsu",))
    kid, intruder = ours.kid(), theirs.kid("Minsu")
    trade_id = ours.queued_order(kid)
    owned, reserved = ours.trade_row(trade_id), ours.balances(kid)
    monkeypatch.setattr(Claims, "clash", lambda *_args: None)
    quote = world.quote("035720.KS", 45_000)
    intruder.pull()
    order = {
        "side": "buy",
        "symbol": "035720.KS",
        "amount": 1_000,
        "quote_id": quote.quote_id,
        "price": 45_000,
    }
    pushed = theirs.push(intruder, ("trade.place/v1", {**order, "trade_id": trade_id}))
    assert pushed.status_code == 503, pushed.text  # the failure is counted (poison) and retried
    assert ours.trade_row(trade_id) == owned and ours.balances(kid) == reserved
    assert theirs.balances(intruder)["cash"] == 1_000_000


def test_a_queued_order_of_another_family_cannot_be_taken_over(world: World) -> None:
    ours, theirs = home_of(world), home_of(world, ("Minsu",))
    kid, intruder = ours.kid(), theirs.kid("Minsu")
    trade_id = ours.queued_order(kid)
    owned = ours.trade_row(trade_id)
    reserved = ours.balances(kid)
    # REST, then push: the other family's child reuses the id for a buy of its own
    quote = world.quote("035720.KS", 45_000)
    intruder.pull()
    order = {"symbol": "035720.KS", "amount": 1_000, "quote_id": quote.quote_id, "price": 45_000}
    answer = theirs.rest(intruder, "POST", "/api/game/trade/buy", {**order, "trade_id": trade_id})
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "ID_TAKEN"
    pushed = theirs.push(
        intruder,
        (
            "trade.place/v1",
            {
                "trade_id": trade_id,
                "side": "buy",
                "symbol": "035720.KS",
                "amount": 1_000,
                "quote_id": quote.quote_id,
                "price": 45_000,
            },
        ),
    )
    assert pushed.status_code == 200 and _outcome(pushed) == [("rejected", "ID_TAKEN")]
    assert ours.trade_row(trade_id) == owned and ours.balances(kid) == reserved
    assert theirs.balances(intruder)["cash"] == 1_000_000  # nothing happened on their side either
    # the owner still sees and cancels its order
    history = ours.rest(kid, "GET", f"/api/game/trades/{kid.actor.user_id}").json()
    assert [t["trade_id"] for t in history] == [trade_id]
    cancelled = ours.rest(kid, "DELETE", f"/api/game/orders/{trade_id}")
    assert cancelled.status_code == 200, cancelled.text
    assert ours.balances(kid).get("reserved", 0) == 0
    check_server(world.db)


def test_a_siblings_order_id_is_refused_too(world: World) -> None:
    home = home_of(world, ("Jiu", "Haneul"))
    jiu, haneul = home.kid("Jiu"), home.kid("Haneul")
    trade_id = home.queued_order(jiu)
    owned = home.trade_row(trade_id)
    answer = home.buy(haneul, trade_id=trade_id)
    assert answer.status_code == 409 and answer.json()["code"] == "ID_TAKEN", answer.text
    assert home.trade_row(trade_id) == owned


def test_an_approved_request_of_another_family_cannot_be_taken_over(world: World) -> None:
    ours, theirs = home_of(world), home_of(world, ("Minsu",))
    kid, intruder = ours.kid(), theirs.kid("Minsu")
    request = ours.approved_request(kid)
    request_id = request["request_id"]
    owned = ours.request_row(request_id)
    theirs.realise_profit(intruder)
    answer = theirs.request(intruder, request_id=request_id)
    assert answer.status_code == 409 and answer.json()["code"] == "ID_TAKEN", answer.text
    pushed = theirs.push(
        intruder, ("allowance.request/v1", {"request_id": request_id, "amount_game": 20_000})
    )
    assert _outcome(pushed) == [("rejected", "ID_TAKEN")]
    assert ours.request_row(request_id) == owned
    # their parent cannot decide it; ours can still pay it
    decide = {"version": 1, "amount_real": request["amount_real"]}
    refused = theirs.rest(theirs.parent, "PUT", f"/api/allowance/{request_id}/approve", decide)
    assert refused.status_code == 404, refused.text
    paid = ours.rest(ours.parent, "PUT", f"/api/allowance/{request_id}/paid", {"method": "cash"})
    assert paid.status_code == 200, paid.text
    assert ours.request_row(request_id) == (ours.family_id, kid.actor.user_id, "paid")
    check_server(world.db)


def test_a_grant_id_of_a_sibling_is_refused(world: World) -> None:
    home = home_of(world, ("Jiu", "Haneul"))
    jiu, haneul = home.kid("Jiu"), home.kid("Haneul")
    grant = {"grant_id": "g-1", "amount": 1_000, "reason": "chores"}
    pushed = home.push(
        home.parent,
        ("family.grant/v1", {**grant, "child_id": jiu.actor.user_id}),
        ("family.grant/v1", {**grant, "child_id": haneul.actor.user_id}),
    )
    assert _outcome(pushed) == [("applied", None), ("rejected", "ID_TAKEN")]
    assert home.balances(haneul)["cash"] == 1_000_000


def test_a_mutation_id_of_another_family_is_not_adopted(world: World) -> None:
    ours, theirs = home_of(world), home_of(world, ("Minsu",))
    grant = {
        "child_id": ours.kid().actor.user_id,
        "grant_id": "g-ours",
        "amount": 5_000,
        "reason": "birthday",
    }
    mutation_id = f"m-{uuid.uuid4().hex}"
    assert _outcome(ours.push(ours.parent, ("family.grant/v1", grant), ids=[mutation_id])) == [
        ("applied", None)
    ]
    # their parent's device replays our mutation, id and arguments: it must not get our outcome back
    pushed = theirs.push(theirs.parent, ("family.grant/v1", grant), ids=[mutation_id])
    assert pushed.status_code == 200, pushed.text
    assert _outcome(pushed) == [("rejected", "ID_TAKEN")]
    assert "server_seq" not in pushed.json()["results"][0]
    with world.db.read() as s:
        row = s.get(MutationRow, mutation_id)
        assert row is not None and row.family_id == ours.family_id
    assert theirs.balances(theirs.kid("Minsu"))["cash"] == 1_000_000
    check_server(world.db)


def test_idempotency_keys_are_per_caller(world: World) -> None:
    ours, theirs = home_of(world), home_of(world, ("Minsu",))
    key = "buy-2026-11-24-1"
    mine = ours.buy(ours.kid(), key=key)
    other = theirs.buy(theirs.kid("Minsu"), key=key)
    assert mine.status_code == other.status_code == 200, (mine.text, other.text)
    assert mine.json()["mutation_id"] != other.json()["mutation_id"]
    assert mine.json()["trade"]["child_id"] == ours.kid().actor.user_id
    assert other.json()["trade"]["child_id"] == theirs.kid("Minsu").actor.user_id
    # a grant's key: the same, for two parents
    for home in (ours, theirs):
        body = {"child_id": home.kids[next(iter(home.kids))].actor.user_id, "amount": 700, "reason": "x"}
        granted = home.rest(home.parent, "POST", "/api/family/grants", body, key="grant-1")
        assert granted.status_code == 201, granted.text


def _retried(home: Home, path: str, body: dict[str, object], key: str) -> tuple[object, object]:
    device = home.kid()
    first = home.rest(device, "POST", path, body, key)
    again = home.rest(device, "POST", path, body, key)
    return first, again


def test_a_rest_buy_retried_with_its_key_answers_the_stored_outcome(world: World) -> None:
    home = home_of(world)
    kid = home.kid()
    quote = world.quote(SAMSUNG, 70_000)
    kid.pull()
    body = {"symbol": SAMSUNG, "quantity": 1_000_000, "quote_id": quote.quote_id, "price": 70_000}
    first, again = _retried(home, "/api/game/trade/buy", body, "k-buy")
    assert first.status_code == again.status_code == 200, again.text  # type: ignore[attr-defined]
    assert first.json() == again.json()  # type: ignore[attr-defined]
    assert home.balances(kid)["cash"] == 1_000_000 - 70_000
    # a rejected buy (too expensive) is rejected the same way again, without a second decision
    big = {**body, "quantity": 100_000_000}
    first, again = _retried(home, "/api/game/trade/buy", big, "k-big")
    assert first.status_code == again.status_code == 409  # type: ignore[attr-defined]
    assert first.json() == again.json()  # type: ignore[attr-defined]
    # another body under a used key is refused
    other = home.rest(kid, "POST", "/api/game/trade/buy", {**body, "quantity": 2_000_000}, "k-buy")
    assert other.status_code == 409 and other.json()["code"] == "ID_TAKEN"
    # a grant and a request retried the same way
    grant = {"child_id": kid.actor.user_id, "amount": 1_000, "reason": "chores"}
    granted = [home.rest(home.parent, "POST", "/api/family/grants", grant, "k-grant") for _ in range(2)]
    assert [g.status_code for g in granted] == [201, 201] and granted[0].json() == granted[1].json()
    with world.db.read() as s:
        grants = s.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "family.grant")
        )
    assert grants == 2  # one grant: two entries


def test_a_rest_buy_that_answered_503_is_decided_on_its_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = home_of(world)
    kid = home.kid()
    real_decide = record.decide_valid
    failures = iter([RuntimeError("a bug that went away")])

    def flaky(*args: object, **kwargs: object) -> object:
        for error in failures:
            raise error
        return real_decide(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(record, "decide_valid", flaky)
    quote = world.quote(SAMSUNG, 70_000)
    kid.pull()
    body = {"symbol": SAMSUNG, "quantity": 1_000_000, "quote_id": quote.quote_id, "price": 70_000}
    first, again = _retried(home, "/api/game/trade/buy", body, "k-flaky")
    assert first.status_code == 503 and again.status_code == 200, again.text  # type: ignore[attr-defined]
    assert home.balances(kid)["cash"] == 1_000_000 - 70_000


def test_even_past_the_gateway_an_order_never_moves_to_another_child(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the id check ever miss one, the write itself keeps each order with its owner: the
    intruder's order fails (and is retried, then recorded as INTERNAL) and nothing else changes."""
    ours, theirs = home_of(world), home_of(world, ("Minsu",))
    kid, intruder = ours.kid(), theirs.kid("Minsu")
    trade_id = ours.queued_order(kid)
    owned, reserved = ours.trade_row(trade_id), ours.balances(kid)
    monkeypatch.setattr(Claims, "clash", lambda self, name, args, child_id: None)
    quote = world.quote(SAMSUNG, 70_000)
    intruder.pull()
    body = {"symbol": SAMSUNG, "quantity": 1_000_000, "quote_id": quote.quote_id, "price": 70_000}
    path = "/api/game/trade/buy"
    attempts = [
        theirs.rest(intruder, "POST", path, {**body, "trade_id": trade_id}, key="k-1") for _ in range(3)
    ]
    statuses = [a.status_code for a in attempts]
    assert statuses == [503] * (record.POISON_AFTER - 1) + [500]
    assert ours.trade_row(trade_id) == owned and ours.balances(kid) == reserved
    assert theirs.balances(intruder)["cash"] == 1_000_000
    check_server(world.db)
