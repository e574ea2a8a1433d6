"""The device's view: confirmed state ⊕ replay(pending), and the balance checksums it compares."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync import MemoryBook, Trade
from sync.context import kst_day
from sync.money import MICRO
from sync.rebase import Pending, Replayed, balances_checksum, rebase
from sync.records import TradeStatus

from .factory import CHILD, MOM, SAMSUNG, T0, new_book, publish


def confirmed_book() -> tuple[MemoryBook, str]:
    book = new_book()
    quote = publish(book, SAMSUNG, 100_000)
    return book, quote.quote_id


def buy(seq: int, quote_id: str, n: int) -> Pending:
    args: dict[str, Any] = {
        "trade_id": f"t{seq}",
        "side": "buy",
        "symbol": SAMSUNG,
        "quantity": n * MICRO,
        "quote_id": quote_id,
        "price": 100_000,
    }
    return Pending(seq=seq, mutation_id=f"m{seq}", name="trade.place/v1", args=args)


def sell(seq: int, quote_id: str, n: int) -> Pending:
    pending = buy(seq, quote_id, n)
    return Pending(seq, pending.mutation_id, pending.name, {**pending.args, "side": "sell"})


def test_rebase_shows_pending_effects_without_touching_the_confirmed_state() -> None:
    book, quote_id = confirmed_book()
    snapshot = copy.deepcopy(book)
    view, outcomes = rebase({"kid": book}, [buy(1, quote_id, 2), buy(2, quote_id, 3)], CHILD, T0)
    assert book == snapshot
    assert outcomes == [Replayed(1, at_risk=False), Replayed(2, at_risk=False)]
    assert view["kid"].balance("cash") == 500_000
    assert view["kid"].position(SAMSUNG).quantity == 5 * MICRO
    assert book.balance("cash") == 1_000_000


def test_pending_replays_in_seq_order_whatever_order_it_is_given_in() -> None:
    book, quote_id = confirmed_book()
    # seq 2 sells what seq 1 buys: in seq order both succeed
    view, outcomes = rebase({"kid": book}, [sell(2, quote_id, 1), buy(1, quote_id, 1)], CHILD, T0)
    assert [o.at_risk for o in outcomes] == [False, False]
    assert [o.seq for o in outcomes] == [1, 2]
    assert view["kid"].balance("cash") == 1_000_000


def test_a_pending_mutation_that_fails_locally_is_kept_and_marked_at_risk() -> None:
    book, quote_id = confirmed_book()
    pending = [buy(1, quote_id, 8), buy(2, quote_id, 8), buy(3, quote_id, 2)]
    view, outcomes = rebase({"kid": book}, pending, CHILD, T0)
    # the second buy would overspend: the server decides, the device only warns
    assert outcomes == [
        Replayed(1, at_risk=False),
        Replayed(2, at_risk=True, code="INSUFFICIENT_FUNDS"),
        Replayed(3, at_risk=False),
    ]
    assert view["kid"].balance("cash") == 1_000_000 - 1_000_000  # 8 + 2 shares, the failed one left out
    assert view["kid"].position(SAMSUNG).quantity == 10 * MICRO


def test_bad_arguments_an_unknown_mutation_or_an_unknown_child_are_at_risk_too() -> None:
    book, _ = confirmed_book()
    pending = [
        Pending(1, "m1", "trade.place/v1", {"trade_id": "t1", "side": "hold", "symbol": SAMSUNG}),
        Pending(2, "m2", "trade.teleport/v9", {}),
        Pending(3, "m3", "noop/v1", {}),
    ]
    _, outcomes = rebase({"kid": book}, pending, CHILD, T0)
    assert outcomes == [
        Replayed(1, at_risk=True, code="INVALID_ARGS"),
        Replayed(2, at_risk=True, code="INVALID_ARGS"),
        Replayed(3, at_risk=False),
    ]
    grant = {"child_id": "stranger", "grant_id": "g1", "amount": 1_000, "reason": "hi"}
    _, outcomes = rebase({"kid": book}, [Pending(4, "m4", "family.grant/v1", grant)], MOM, T0)
    assert outcomes == [Replayed(4, at_risk=True, code="NOT_FOUND")]


def test_a_parent_s_pending_grant_replays_on_the_named_child() -> None:
    book, _ = confirmed_book()
    grant = {"child_id": "kid", "grant_id": "g1", "amount": 50_000, "reason": "chores"}
    view, outcomes = rebase({"kid": book}, [Pending(1, "m1", "family.grant/v1", grant)], MOM, T0)
    assert outcomes == [Replayed(1, at_risk=False)]
    assert view["kid"].balance("cash") == 1_050_000
    assert book.balance("cash") == 1_000_000


balances = st.dictionaries(
    st.sampled_from(["cash", "reserved", "market", "grants", f"position:{SAMSUNG}", "allowance_payable"]),
    st.integers(-(10**12), 10**12),
)


@given(balances, st.randoms(use_true_random=False))
def test_checksum_does_not_depend_on_order(values: dict[str, int], rnd: Any) -> None:
    items = list(values.items())
    rnd.shuffle(items)
    assert balances_checksum(dict(items)) == balances_checksum(values)


@given(balances, st.lists(st.sampled_from(["conversion_sink", "family_expense", "reserved:AAPL"])))
def test_checksum_ignores_zero_balances(values: dict[str, int], zeros: list[str]) -> None:
    padded = {**values, **{name: 0 for name in zeros if name not in values}}
    assert balances_checksum(padded) == balances_checksum(values)


def test_checksum_changes_when_any_balance_changes() -> None:
    base = {"cash": 1_000, "market": -1_000}
    assert balances_checksum(base) != balances_checksum({"cash": 1_001, "market": -1_001})
    assert balances_checksum(base) != balances_checksum({"cash": 1_000, "grants": -1_000})
    assert balances_checksum({}) == balances_checksum({"cash": 0})


# the daily order limit counts Korean days: 23:30 UTC is already the next day in Seoul
_moments = st.sampled_from([T0 + timedelta(hours=h) for h in (-72, 0, 14.5, 24)])
_trades = st.builds(
    lambda n, status, at: Trade(
        trade_id=f"t{n}",
        child_id="kid",
        side="buy",
        symbol=SAMSUNG,
        status=status,
        policy="quote",
        created_at=at,
    ),
    st.integers(0, 8),
    st.sampled_from(list(TradeStatus)),
    _moments,
)


def _scanned(book: MemoryBook, day: str) -> int:
    return sum(1 for t in book.trades.values() if t.status != "rejected" and kst_day(t.created_at) == day)


@given(st.lists(_trades, max_size=8), st.lists(_trades, max_size=8), st.lists(_trades, max_size=4))
def test_a_fork_counts_orders_per_korean_day_like_a_scan_and_leaves_its_book_alone(
    confirmed: list[Trade], forked: list[Trade], again: list[Trade]
) -> None:
    """What the daily limit reads on a rebased view is what a scan of every trade says, however the
    trades were replaced (a queued order filled, cancelled or rejected), and the book it was forked
    from does not change."""
    book, _ = confirmed_book()
    for trade in confirmed:
        book.put(trade)
    snapshot = copy.deepcopy(book)
    days = {kst_day(T0 + timedelta(hours=h)) for h in (-72, 0, 14.5, 24)}
    view = book.fork()
    for trade in forked:
        view.put(trade)
    deeper = view.fork()  # a preview on the rebased view
    for trade in again:
        deeper.put(trade)
    for day in days:
        assert view.trades_on_day(day) == _scanned(view, day)
        assert deeper.trades_on_day(day) == _scanned(deeper, day)
        assert book.trades_on_day(day) == _scanned(snapshot, day)
    assert book == snapshot and view.trades == {**book.trades, **{t.trade_id: t for t in forked}}
    assert set(view.written().trades) == {t.trade_id for t in forked}


def test_a_fork_sees_the_latest_quote_and_its_book_keeps_its_own() -> None:
    book, _ = confirmed_book()
    view = book.fork()
    newer = publish(view, SAMSUNG, 101_000)
    assert view.latest_quote(SAMSUNG) == newer and view.newest_served_quote(SAMSUNG) == newer
    assert book.latest_quote(SAMSUNG) != newer and newer.quote_id not in book.quotes
