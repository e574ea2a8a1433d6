"""Ledger invariants under random sequences of mutations decided through ``decide`` on a MemoryBook.

After every step: each decision's entries balance per (ledger, unit); no account that may not go
negative is negative; positions agree with their share accounts; GAME won, REAL won and every
symbol's shares sum to zero; reservations are exactly what queued orders and pending requests hold;
Σ approved real == Σ floor(approved game × rate) (I10); and a rejected mutation changes nothing.
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sync import Actor, Code, Effects, FillPolicy, HouseRules, Market, MemoryBook, Rejected, decide
from sync.allowance import convertible_profit, real_amount
from sync.ledger import Entry, Ledger, account_spec, apply_entries, check_balanced, move
from sync.money import MICRO
from sync.records import Request, RequestStatus, Trade, TradeStatus
from sync.trading import apply_split, fill_queued, pay_dividend, settle_delisting

from .factory import AAPL, CHILD, DAD, FX, MOM, SAMSUNG, T0, ctx, new_book, publish, usd, won_per_usd

SYMBOLS = (SAMSUNG, AAPL)
POLICIES = (FillPolicy.QUOTE, FillPolicy.QUOTE, FillPolicy.NEXT_OPEN, FillPolicy.PRACTICE)


def machine_rules(policy: FillPolicy) -> HouseRules:
    # Small limits so that requests, caps and both approval paths all happen within a short run.
    return HouseRules(
        fill_policy=policy,
        fee_bps=15,
        sell_tax_bps=20,
        fx_spread_bps=50,
        limit_orders=True,
        min_request=1_000,
        request_cap_week=20_000,
        request_cap_month=50_000,
        request_cooldown_s=3_600,
        second_parent_threshold=3_000,
        cooling_off_s=3_600,
    )


class LedgerMachine(RuleBasedStateMachine):
    book: MemoryBook

    @initialize(
        parents=st.sampled_from([1, 2]),
        policy=st.sampled_from(POLICIES),
        head_start=st.sampled_from([0, 5_000, 50_000, 300_000]),
    )
    def start(self, parents: int, policy: FillPolicy, head_start: int) -> None:
        self.house_rules = machine_rules(policy)
        self.now = T0
        self.book = new_book(machine_rules(FillPolicy.QUOTE), parents=parents)
        self.n = 0
        self.dividends = 0
        self.settled = 0  # realised by delistings
        if head_start:  # a first profitable round trip, so that conversions have something to convert
            for side, price in (("buy", 500_000), ("sell", 500_000 + head_start)):
                quote = publish(self.book, SAMSUNG, price, at=self.now)
                args = {"trade_id": f"t-{side}", "side": side, "symbol": SAMSUNG, "quantity": MICRO}
                assert self.mutate("trade.place/v1", {**args, "quote_id": quote.quote_id})
        assert self.mutate(
            "rules.set/v1", {"child_id": CHILD.user_id, "rules": {"fill_policy": policy.value}}, MOM
        )
        assert self.book.rules() == self.house_rules
        publish(self.book, FX, won_per_usd(1300), at=self.now)
        publish(self.book, SAMSUNG, 70_000, at=self.now)
        publish(self.book, AAPL, usd(150), at=self.now)

    # --- plumbing -------------------------------------------------------------------------------

    def post(self, effects: Effects) -> Effects:
        check_balanced(effects.entries)
        self.book.apply(effects)  # raises ValueError when an account would go negative
        return effects

    def mutate(self, name: str, args: dict[str, Any], actor: Actor = CHILD) -> Effects | None:
        self.n += 1
        before = copy.deepcopy(self.book)
        try:
            effects = decide(name, args, self.book, ctx(actor, self.now, f"m{self.n}"))
        except Rejected as rejected:
            assert self.book == before, "a rejected mutation changed the book"
            event(f"{name} {rejected.code}")
            return None
        event(f"{name} {'adjusted' if effects.adjusted else 'ok'}")
        return self.post(effects)

    def pick(self, data: st.DataObject, ids: list[str], likely: list[str] | None = None) -> str:
        """One of ``ids`` (mostly one of the ``likely`` ones when there are any) or an unknown id."""
        if likely and data.draw(st.integers(0, 3)):
            return data.draw(st.sampled_from(likely))
        return data.draw(st.sampled_from([*ids, "unknown"]) if ids else st.just("unknown"))

    def request_ids(self, *statuses: RequestStatus) -> list[str]:
        return [r.request_id for r in self.book.requests() if not statuses or r.status in statuses]

    def requests_with(self, *statuses: RequestStatus) -> list[Request]:
        return [r for r in self.book.requests() if r.status in statuses]

    # --- the market and the clock ---------------------------------------------------------------

    @rule(
        symbol=st.sampled_from([*SYMBOLS, FX]),
        move_bps=st.integers(-800, 800),
        served=st.booleans(),
    )
    def tick(self, symbol: str, move_bps: int, served: bool) -> None:
        latest = self.book.latest_quote(symbol)
        assert latest is not None
        price = max(1, latest.price * (10_000 + move_bps) // 10_000)
        publish(self.book, symbol, price, at=self.now, served=served)

    @rule(minutes=st.sampled_from([1, 10, 30, 61, 6 * 60, 24 * 60, 8 * 24 * 60]))
    def wait(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(market=st.sampled_from(list(Market)))
    def toggle_market(self, market: Market) -> None:
        self.book.open_markets ^= {market}

    # --- trading --------------------------------------------------------------------------------

    @rule(
        data=st.data(),
        side=st.sampled_from(["buy", "sell"]),
        symbol=st.sampled_from(SYMBOLS),
        size=st.one_of(
            st.tuples(st.just("quantity"), st.integers(1, 5 * MICRO)),
            st.tuples(st.just("whole"), st.integers(1, 5).map(lambda n: n * MICRO)),
            st.tuples(st.just("amount"), st.integers(500, 400_000)),
        ),
        cite=st.sampled_from(["served", "served", "served", "older", "none", "wrong_price"]),
        limit_bps=st.none() | st.integers(-300, 300),
    )
    def place(
        self,
        data: st.DataObject,
        side: str,
        symbol: str,
        size: tuple[str, int],
        cite: str,
        limit_bps: int | None,
    ) -> None:
        kind, value = size
        args: dict[str, Any] = {"trade_id": f"t{self.n}", "side": side, "symbol": symbol}
        args["amount" if kind == "amount" else "quantity"] = value
        quote = self.book.newest_served_quote(symbol)
        if cite == "older":
            quote = data.draw(st.sampled_from([q for q in self.book.quotes.values() if q.symbol == symbol]))
        if cite != "none" and quote is not None:
            args["quote_id"] = quote.quote_id
            args["price"] = quote.price + (1 if cite == "wrong_price" else 0)
        # limit orders are whole shares; now and then try one that is not
        if (
            limit_bps is not None
            and quote is not None
            and (kind == "whole" or data.draw(st.integers(0, 9)) == 0)
        ):
            args["limit_price"] = max(1, quote.price * (10_000 + limit_bps) // 10_000)
        self.mutate("trade.place/v1", args)

    @rule(data=st.data(), parent=st.booleans())
    def cancel(self, data: st.DataObject, parent: bool) -> None:
        queued = [t.trade_id for t in self.book.trades.values() if t.status is TradeStatus.QUEUED]
        trade_id = self.pick(data, list(self.book.trades), queued)
        args = {"trade_id": trade_id, "child_id": CHILD.user_id} if parent else {"trade_id": trade_id}
        self.mutate("trade.cancel/v1", args, MOM if parent else CHILD)

    @rule(data=st.data())
    def open_bell(self, data: st.DataObject) -> None:
        """The server's job at the open: a queued order meets the opening price."""
        queued = [t for t in self.book.trades.values() if t.status is TradeStatus.QUEUED]
        if not queued:
            return
        order: Trade = data.draw(st.sampled_from(queued))
        opening = self.book.latest_quote(order.symbol)
        assert opening is not None
        effects = self.post(fill_queued(self.book, order.trade_id, opening, self.now))
        event(f"fill_queued {effects.detail.get('code', 'filled')}")

    @rule(symbol=st.sampled_from(SYMBOLS), per_share=st.integers(1, 30_000))
    def dividend(self, symbol: str, per_share: int) -> None:
        fx = self.book.fx_quote() if symbol == AAPL else None
        effects = self.post(pay_dividend(self.book, symbol, per_share, fx, self.now, f"d{self.n}"))
        self.dividends += effects.entries[1].amount if effects.entries else 0

    @rule(symbol=st.sampled_from(SYMBOLS), ratio=st.sampled_from([(2, 1), (3, 2), (1, 2)]))
    def split(self, symbol: str, ratio: tuple[int, int]) -> None:
        queued = [t for t in self.book.trades.values() if t.status is TradeStatus.QUEUED]
        self.post(apply_split(self.book, symbol, *ratio, self.now, queued=queued))

    @rule(symbol=st.sampled_from(SYMBOLS), price=st.integers(1, 300_000_000))
    def delist(self, symbol: str, price: int) -> None:
        fx = self.book.fx_quote() if symbol == AAPL else None
        if symbol == AAPL and fx is None:
            return
        queued = [t for t in self.book.trades.values() if t.status is TradeStatus.QUEUED]
        effects = self.post(
            settle_delisting(self.book, symbol, price, fx, self.now, f"d{self.n}", queued=queued)
        )
        self.settled += sum(f["realised"] for n, f in effects.events if n == "StockDelisted")

    @rule(amount=st.integers(1, 500_000))
    def grant(self, amount: int) -> None:
        args = {"child_id": CHILD.user_id, "grant_id": f"g{self.n}", "amount": amount, "reason": "birthday"}
        self.mutate("family.grant/v1", args, MOM)

    # --- allowance ------------------------------------------------------------------------------

    def amount(self, data: st.DataObject) -> int:
        """Mostly within what is convertible now, sometimes beyond it."""
        room = convertible_profit(self.book.stats(), self.book.requests())
        return data.draw(st.integers(500, max(1_000, room * 5 // 4)))

    @rule(data=st.data())
    def request(self, data: st.DataObject) -> None:
        args = {"request_id": f"r{self.n}", "amount_game": self.amount(data)}
        self.mutate("allowance.request/v1", args)

    @rule(data=st.data())
    def edit(self, data: st.DataObject) -> None:
        request_id = self.pick(data, self.request_ids(), self.request_ids(RequestStatus.PENDING))
        self.mutate("allowance.edit/v1", {"request_id": request_id, "amount_game": self.amount(data)})

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        request_id = self.pick(data, self.request_ids(), self.request_ids(RequestStatus.PENDING))
        self.mutate("allowance.cancel/v1", {"request_id": request_id})

    @rule(
        data=st.data(),
        parent=st.sampled_from([MOM, DAD]),
        approve=st.booleans(),
        stale=st.sampled_from(["no", "no", "version", "amount"]),
    )
    def decide_request(self, data: st.DataObject, parent: Actor, approve: bool, stale: str) -> None:
        requests = self.book.requests()
        if not requests:
            return
        pending = self.requests_with(RequestStatus.PENDING)
        mostly_pending: bool = bool(pending) and data.draw(st.booleans())
        pool = pending if mostly_pending else requests
        seen = data.draw(st.sampled_from(pool))
        args: dict[str, Any] = {
            "child_id": CHILD.user_id,
            "request_id": seen.request_id,
            "version": max(1, seen.version - 1) if stale == "version" else seen.version,
            "amount_real": seen.amount_real + (1 if stale == "amount" else 0),
            "decision": "approve" if approve else "reject",
        }
        if not approve:
            args["reason"] = "not this week"
        self.mutate("allowance.decide/v1", args, parent)

    @rule(data=st.data(), parent=st.sampled_from([MOM, DAD]))
    def mark_paid(self, data: st.DataObject, parent: Actor) -> None:
        request_id = self.pick(data, self.request_ids(), self.request_ids(RequestStatus.APPROVED))
        args = {"child_id": CHILD.user_id, "request_id": request_id, "method": "cash"}
        self.mutate("allowance.mark_paid/v1", args, parent)

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def no_forbidden_negative_balance(self) -> None:
        for name, value in self.book.balances.items():
            assert value >= 0 or account_spec(name).may_go_negative, (name, value)

    @invariant()
    def every_ledger_and_unit_sums_to_zero(self) -> None:
        sums: Counter[tuple[Ledger, str]] = Counter()
        for name, value in self.book.balances.items():
            spec = account_spec(name)
            sums[(spec.ledger, spec.unit)] += value
        assert {key: total for key, total in sums.items() if total} == {}

    @invariant()
    def positions_agree_with_share_accounts(self) -> None:
        for symbol, position in self.book.positions_.items():
            held = self.book.balance(f"position:{symbol}") + self.book.balance(f"reserved:{symbol}")
            assert position.quantity == held, (symbol, position, held)
            assert position.quantity >= 0 and position.cost >= 0
            assert position.cost == 0 or position.quantity > 0, f"cost without shares: {position}"

    @invariant()
    def reservations_are_exactly_what_is_held(self) -> None:
        queued = [t for t in self.book.trades.values() if t.status is TradeStatus.QUEUED]
        pending = self.requests_with(RequestStatus.PENDING)
        held_won = sum(t.reserved for t in queued if t.side == "buy") + sum(r.amount_game for r in pending)
        assert self.book.balance("reserved") == held_won
        for symbol in SYMBOLS:
            held = sum(t.reserved for t in queued if t.side == "sell" and t.symbol == symbol)
            assert self.book.balance(f"reserved:{symbol}") == held
        for trade in self.book.trades.values():
            assert (trade.reserved > 0) == (trade.status is TradeStatus.QUEUED), trade

    @invariant()
    def conversions_pay_floor_of_game_times_rate(self) -> None:
        # I10, with the rules constant during a run
        approved = self.requests_with(RequestStatus.APPROVED, RequestStatus.PAID)
        paid = self.requests_with(RequestStatus.PAID)
        real = sum(r.amount_real for r in approved)
        assert real == sum(real_amount(r.amount_game, self.house_rules) for r in approved)
        assert self.book.balance("allowance_payable") + self.book.balance("allowance_paid") == real
        assert self.book.balance("allowance_paid") == sum(r.amount_real for r in paid)
        game = sum(r.amount_game for r in approved)
        assert self.book.balance("conversion_sink") == game == self.book.stats().converted

    @invariant()
    def the_accounts_explain_the_headline(self) -> None:
        """cash + reserved + cost basis of the shares == money put in + realised profit."""
        stats = self.book.stats()
        assert -self.book.balance("grants") == stats.invested
        basis = sum(p.cost for p in self.book.positions_.values())
        held = self.book.balance("cash") + self.book.balance("reserved") + basis
        assert held == stats.invested - stats.converted + stats.realised
        sold = [t for t in self.book.trades.values() if t.status is TradeStatus.FILLED and t.side == "sell"]
        assert stats.realised == sum(t.realised for t in sold) + self.dividends + self.settled
        assert (
            0 <= convertible_profit(stats, self.book.requests()) <= max(0, stats.realised - stats.converted)
        )


LedgerMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedger = LedgerMachine.TestCase


# --- the ledger primitives themselves ------------------------------------------------------------


def test_entries_that_do_not_balance_are_refused_before_anything_changes() -> None:
    balances = {"cash": 100}
    with pytest.raises(ValueError, match="do not balance"):
        apply_entries(balances, [Entry("cash", -50), Entry("market", 49)])
    with pytest.raises(ValueError, match="do not balance"):  # same amount, different ledgers
        apply_entries(balances, [Entry("cash", -50), Entry("allowance_payable", 50)])
    with pytest.raises(ValueError, match="do not balance"):  # shares are not won
        apply_entries(balances, [Entry("cash", -50), Entry(f"position:{SAMSUNG}", 50)])
    assert balances == {"cash": 100}


def test_an_account_that_may_not_go_negative_is_never_posted_negative() -> None:
    balances = {"cash": 100}
    with pytest.raises(ValueError, match="negative"):
        apply_entries(balances, move("cash", "market", 101))
    assert balances == {"cash": 100}
    assert apply_entries(balances, move("cash", "market", 100)) == {"cash": 0, "market": 100}
    apply_entries(balances, move("market", "grants", 500))  # counterparties may go negative
    assert balances["market"] == -400


def test_moves_are_never_negative_and_empty_when_zero() -> None:
    with pytest.raises(ValueError):
        move("cash", "market", -1)
    assert move("cash", "market", 0) == []


def test_account_names_are_a_closed_set() -> None:
    assert account_spec(f"reserved:{SAMSUNG}").unit == SAMSUNG
    assert account_spec(f"market:{AAPL}").may_go_negative
    for name in ("wallet", "position:", "bonus:AAPL"):
        with pytest.raises(KeyError):
            account_spec(name)


def test_a_rejected_mutation_leaves_no_trace() -> None:
    book = new_book()
    before = copy.deepcopy(book)
    with pytest.raises(Rejected) as info:
        decide("allowance.request/v1", {"request_id": "r1", "amount_game": 10_000}, book, ctx(now=_T1))
    assert info.value.code is Code.INSUFFICIENT_PROFIT
    assert book == before


_T1: datetime = T0 + timedelta(hours=1)
