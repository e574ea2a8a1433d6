"""I6: the server's mutation log, replayed into an empty database, reproduces the state — and the
check notices when it does not (a balance changed behind the rules' back, a quote rewritten, a
decision whose market facts were not recorded, a rejection that would apply in another place).

A family trades with market moves between decisions (so each trade must be decided on the quote it
saw, not today's), both parents approve a conversion (the second one too late), one pays it, and a
family next door trades on the same quotes; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from server.db.models import Balance, LedgerEntry, MutationRow, QuoteRow
from server.replication.replay import NotReplayable
from sync.records import Role

from ..support.device import Device
from ..support.invariants import check_mutation_log_replays
from ..support.world import World

SAMSUNG = "005930.KS"


def order(kid: Device, world: World, side: str, shares: int, price: int, n: int | str) -> str:
    """An order recorded on the device (not yet sent) at a fresh quote; returns its mutation id."""
    quote = world.quote(SAMSUNG, price)
    kid.pull()  # the quote is served to the device, so the fill rule accepts it
    args = {"trade_id": f"t{n}", "side": side, "symbol": SAMSUNG, "quantity": shares * 1_000_000,
            "quote_id": quote.quote_id, "price": price}  # fmt: skip
    return kid.act("trade.place/v1", args)


def trade(kid: Device, world: World, side: str, shares: int, price: int, n: int | str) -> None:
    order(kid, world, side, shares, price, n)
    kid.sync()


@pytest.fixture
def busy_family(world: World) -> World:
    family = world.family()
    child = world.member(family, Role.CHILD, "Jiu")
    mom = world.device(world.member(family, Role.PARENT, "Mom"), "mom", elevated=True)
    dad = world.device(world.member(family, Role.PARENT, "Dad"), "dad", elevated=True)
    kid = world.device(child, "kid")
    world.fx(1_400_000_000)
    for device in (kid, mom, dad):
        device.sync()
    for n, (side, shares, price) in enumerate(
        [("buy", 5, 70_000), ("buy", 5, 66_000), ("sell", 4, 81_000), ("sell", 6, 90_000)]
    ):
        trade(kid, world, side, shares, price, n)
        world.clock.advance(minutes=10)
    world.quote(SAMSUNG, 50_000)  # today's price differs from every price traded at
    kid.act("allowance.request/v1", {"request_id": "r1", "amount_game": 150_000})
    kid.sync()
    for parent in (mom, dad):
        parent.sync()
        seen = parent.state.replica.table("request")["r1"]
        parent.act("allowance.decide/v1", {
            "child_id": child.user_id, "request_id": "r1", "version": seen["version"],
            "amount_real": seen["amount_real"], "decision": "approve",
        })  # fmt: skip
        parent.sync()
    mom.sync()
    mom.act("allowance.mark_paid/v1", {"child_id": child.user_id, "request_id": "r1", "method": "cash"})
    grant = {"child_id": child.user_id, "grant_id": "g1", "amount": 5_000, "reason": "chores"}
    mom.act("family.grant/v1", grant)
    mom.sync()
    # the family next door trades on the same stored quotes: each family replays on its own
    neighbour = world.device(world.member(world.family("Lee"), Role.CHILD, "Minsu"), "minsu")
    neighbour.sync()
    trade(neighbour, world, "buy", 3, 52_000, "-lee")
    return world


def test_the_log_replays_into_the_same_state(busy_family: World, tmp_path: Path) -> None:
    with busy_family.db.read() as s:
        decided = select(func.count()).select_from(MutationRow)
        applied = s.scalar(decided.where(MutationRow.status.in_(("applied", "adjusted"))))
    # four trades, a request, mom's approval (dad's came second), a payout, a grant; next door a trade
    assert applied == 9
    check_mutation_log_replays(busy_family.db, tmp_path)


def test_a_balance_changed_behind_the_rules_back_is_caught(busy_family: World, tmp_path: Path) -> None:
    with busy_family.db.write() as s:
        s.execute(update(Balance).where(Balance.account == "cash").values(balance=Balance.balance + 1))
    with pytest.raises(AssertionError, match="balance"):
        check_mutation_log_replays(busy_family.db, tmp_path)


def test_a_rewritten_quote_changes_the_decision_and_is_caught(busy_family: World, tmp_path: Path) -> None:
    with busy_family.db.write() as s:
        first_buy = s.scalars(select(MutationRow.args).where(MutationRow.mutation_id.in_(
            select(LedgerEntry.txn_id).where(LedgerEntry.ref_id == "t0")
        ))).one()  # fmt: skip
        s.execute(update(QuoteRow).where(QuoteRow.quote_id == first_buy["quote_id"]).values(price=71_000))
    with pytest.raises(AssertionError, match="applied then, rejected PRICE_MISMATCH now"):
        check_mutation_log_replays(busy_family.db, tmp_path)


def test_a_decision_without_its_market_facts_cannot_be_replayed(busy_family: World, tmp_path: Path) -> None:
    with busy_family.db.write() as s:
        s.execute(update(MutationRow).where(MutationRow.name == "trade.place/v1").values(inputs=None))
    with pytest.raises(NotReplayable, match="no recorded inputs"):
        check_mutation_log_replays(busy_family.db, tmp_path)


@pytest.fixture
def refusals(world: World) -> tuple[World, str, str]:
    """Rejections between applied trades, each of which the rules would apply anywhere else: a sale
    before the buy that would cover it (first in its push), and a sale just after a sale that left
    too few shares (after an applied mutation of its push). Returns the world and the two ids."""
    kid = world.device(world.member(world.family(), Role.CHILD, "Jiu"), "kid")
    kid.sync()
    early = order(kid, world, "sell", 3, 70_000, "early-sale")
    bought = order(kid, world, "buy", 5, 70_000, "buy")
    kid.sync()
    order(kid, world, "sell", 2, 71_000, "sale")
    late = order(kid, world, "sell", 4, 71_000, "late-sale")
    kid.sync()
    outcomes = {m: r.status.value for m, r in kid.state.outcomes.items()}
    assert [outcomes[m] for m in (early, bought, late)] == ["rejected", "applied", "rejected"]
    return world, early, bought


def test_rejections_are_decided_again_in_their_place(
    refusals: tuple[World, str, str], tmp_path: Path
) -> None:
    world, _, _ = refusals
    check_mutation_log_replays(world.db, tmp_path)


def test_a_rejection_placed_elsewhere_would_apply_and_is_caught(
    refusals: tuple[World, str, str], tmp_path: Path
) -> None:
    world, early, bought = refusals
    with world.db.write() as s:
        row = s.get(MutationRow, early)
        assert row is not None and row.inputs is not None
        row.inputs = {**row.inputs, "after": {"mutation": bought}}  # as if it came after the buy
    with pytest.raises(AssertionError, match=f"{early}: rejected INSUFFICIENT_SHARES then, applied now"):
        check_mutation_log_replays(world.db, tmp_path)


def test_a_rejection_after_a_mutation_that_changed_nothing_keeps_its_place(
    world: World, tmp_path: Path
) -> None:
    """The daily limit refuses the 51st order; a no-op between the 50th and it changed nothing, so
    it cannot be what the refusal is placed after (a no-op has no place in the log)."""
    kid = world.device(world.member(world.family(), Role.CHILD, "Jiu"), "kid")
    kid.sync()
    quote = world.quote(SAMSUNG, 70_000)
    kid.pull()
    args = {
        "side": "buy",
        "symbol": SAMSUNG,
        "quantity": 100_000,
        "quote_id": quote.quote_id,
        "price": 70_000,
    }
    for n in range(50):
        kid.act("trade.place/v1", {**args, "trade_id": f"t{n}"})
    kid.act("noop/v1", {})
    limited = kid.act("trade.place/v1", {**args, "trade_id": "t50"})
    kid.sync()
    assert kid.state.outcomes[limited].code == "LIMIT_EXCEEDED"
    check_mutation_log_replays(world.db, tmp_path)


def test_trades_a_parent_approved_replay_and_so_does_the_count_of_the_first_n(
    world: World, tmp_path: Path
) -> None:
    """Graded approval reads only recorded facts: the order's total, the child's filled trades so far
    (the first N wait, the next trades alone) and, on approval, the market facts the decision read."""
    family = world.family()
    child = world.member(family, Role.CHILD, "Jiu")
    mom = world.device(world.member(family, Role.PARENT, "Mom"), "mom", elevated=True)
    kid = world.device(child, "kid")
    for device in (kid, mom):
        device.sync()
    mom.act(
        "rules.set/v1", {"child_id": child.user_id, "rules": {"trade_approval": "first", "approval_first": 1}}
    )
    mom.sync()
    trade(kid, world, "buy", 2, 70_000, "waits")
    trade(kid, world, "buy", 1, 70_000, "waits-too")  # nothing has filled yet: this one waits as well
    mom.sync()
    world.quote(SAMSUNG, 71_000)  # the approval meets today's price, within the collar
    decide = {"child_id": child.user_id, "decision": "approve"}
    mom.act("trade.decide/v1", {**decide, "trade_id": "twaits"})
    mom.act(
        "trade.decide/v1", {**decide, "trade_id": "twaits-too", "decision": "decline", "reason": "하나면 돼"}
    )
    mom.sync()
    trade(kid, world, "buy", 1, 72_000, "alone")  # one filled: the child trades alone now
    statuses = {t: d["status"] for t, d in kid.state.replica.table("trade").items()}
    assert statuses == {"twaits": "filled", "twaits-too": "cancelled", "talone": "filled"}
    check_mutation_log_replays(world.db, tmp_path)
