"""The randomized sync model test (quality.md): devices, a fault-injecting network, the real server.

Two devices of one child and two parents' devices act, sync and suffer faults (lost requests, lost
responses after commit, duplicates, held-back and reordered requests, 503s), the server restarts,
time and prices move. After every step the safety invariants hold on the server and the devices; at
the end the network heals and everything must converge with nothing lost (I1, I13, I14), and the
server's mutation log, replayed into an empty database, must reproduce its state (I6).

On SQLite, CI (``YONGDON_CI=1``, set by ``.ci/run``, or ``CI=true``) runs 200 examples × 50 steps,
a laptop 25 × 30; ``YONGDON_SOAK=1`` runs 2,000 × 100. PostgreSQL runs fewer examples (each starts
from an empty schema). Hypothesis prints the seed of a failing run (``--hypothesis-seed``)
so it replays exactly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from sync.records import Role
from sync.rules import Market

from ..conftest import reset_pg
from ..support.device import Device, SyncFailed
from ..support.faults import FAULTS
from ..support.invariants import (
    check_change_log_replays,
    check_converged,
    check_device,
    check_mutation_log_replays,
    check_server,
)
from ..support.world import World

SOAK = bool(os.environ.get("YONGDON_SOAK"))
IN_CI = os.environ.get("CI") == "true" or bool(os.environ.get("YONGDON_CI"))  # .ci/run sets the latter
SYMBOLS = ["005930.KS", "035720.KQ", "AAPL"]
START_PRICES = {"005930.KS": 70_000, "035720.KQ": 45_000, "AAPL": 190_000_000}
# the trade journal: none, blank (the same as none), a sentence, one with blanks around it
JOURNALS = [None, None, "", "반도체가 잘 될 것 같아서", "  a reason with blanks  "]
# graded trade approval: off twice as often, so a run also trades freely
APPROVAL_MODES = ["off", "off", "every", "above", "first"]
# The CI size runs 10-11 minutes on a loaded 2-core machine, past pytest-timeout's 600 s default; a
# timeout firing inside Hypothesis reads as a flaky failure, not a hang. A soak has no bound at all.
MODEL_TIMEOUT = pytest.mark.timeout(0 if SOAK else 1800)


class SyncModel(RuleBasedStateMachine):
    database_url: str | None = None  # None: a fresh SQLite file per example

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="yongdon-model-"))
        if self.database_url is not None:
            reset_pg(self.database_url)
        self.world = World(self.tmp, database_url=self.database_url)
        family = self.world.family()
        mom = self.world.member(family, Role.PARENT, "Mom")
        dad = self.world.member(family, Role.PARENT, "Dad")
        self.child = self.world.member(family, Role.CHILD, "Jiu")
        self.kids = [self.world.device(self.child, "kid-phone"), self.world.device(self.child, "kid-tablet")]
        self.parents = [
            self.world.device(mom, "mom", elevated=True),
            self.world.device(dad, "dad", elevated=True),
        ]
        self.prices = dict(START_PRICES)
        for symbol, price in self.prices.items():
            self.world.quote(symbol, price)
        self.world.fx(1_400_000_000)
        self.created: set[str] = set()
        self.counter = 0
        self._realise_some_profit()
        for device in self.devices:
            device.sync()

    def _realise_some_profit(self) -> None:
        """Buy low, sell high once, so conversions have realised profit to work with."""
        kid = self.kids[0]
        kid.sync()
        for side, price in (("buy", 70_000), ("sell", 80_000)):
            quote = self.world.quote("005930.KS", price)
            kid.pull()
            args = {
                "trade_id": self._id("t"),
                "side": side,
                "symbol": "005930.KS",
                "quantity": 10_000_000,
                "quote_id": quote.quote_id,
                "price": price,
            }
            self._act(kid, "trade.place/v1", args)
            kid.sync()
        self.prices["005930.KS"] = 80_000

    @property
    def devices(self) -> list[Device]:
        return self.kids + self.parents

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _act(self, device: Device, name: str, args: dict) -> None:  # type: ignore[type-arg]
        self.created.add(device.act(name, args))

    # -- children --------------------------------------------------------------------------------
    @rule(
        k=st.integers(0, 1),
        side=st.sampled_from(["buy", "sell"]),
        symbol=st.sampled_from(SYMBOLS),
        shares=st.integers(1, 40),
        by_amount=st.booleans(),
        journal=st.sampled_from(JOURNALS),
    )
    def trade(
        self, k: int, side: str, symbol: str, shares: int, by_amount: bool, journal: str | None
    ) -> None:
        device = self.kids[k]
        quotes = [q for q in device.state.replica.quotes().values() if q.symbol == symbol]
        args: dict[str, object] = {"trade_id": self._id("t"), "side": side, "symbol": symbol}
        if quotes:
            quote = max(quotes, key=lambda q: q.seq)
            args |= {"quote_id": quote.quote_id, "price": quote.price}
        if by_amount:
            args["amount"] = shares * 10_000
        else:
            args["quantity"] = shares * 1_000_000
        if journal is not None:
            args["journal"] = journal
        self._act(device, "trade.place/v1", args)

    @rule(k=st.integers(0, 1), amount=st.sampled_from([10_000, 20_000, 50_000, 150_000]))
    def request(self, k: int, amount: int) -> None:
        self._act(self.kids[k], "allowance.request/v1", {"request_id": self._id("r"), "amount_game": amount})

    @rule(k=st.integers(0, 1), pick=st.integers(0, 5))
    def cancel_order(self, k: int, pick: int) -> None:
        """A queued order, or one waiting for a parent (which a parent may be deciding meanwhile)."""
        queued = sorted(
            t
            for t, d in self.kids[k].state.replica.table("trade").items()
            if d["status"] in ("queued", "awaiting")
        )
        if queued:
            self._act(self.kids[k], "trade.cancel/v1", {"trade_id": queued[pick % len(queued)]})

    # -- parents ---------------------------------------------------------------------------------
    @rule(p=st.integers(0, 1), pick=st.integers(0, 5), approve=st.booleans())
    def decide(self, p: int, pick: int, approve: bool) -> None:
        device = self.parents[p]
        pending = sorted(device.state.replica.table("request").values(), key=lambda d: d["request_id"])
        pending = [d for d in pending if d["status"] == "pending"]
        if not pending:
            return
        seen = pending[pick % len(pending)]
        args = {
            "child_id": self.child.user_id,
            "request_id": seen["request_id"],
            "version": seen["version"],
            "amount_real": seen["amount_real"],
            "decision": "approve" if approve else "reject",
        }
        if not approve:
            args["reason"] = "let's wait until the weekend"
        self._act(device, "allowance.decide/v1", args)

    @rule(p=st.integers(0, 1))
    def mark_paid(self, p: int) -> None:
        device = self.parents[p]
        approved = sorted(
            r for r, d in device.state.replica.table("request").items() if d["status"] == "approved"
        )
        if approved:
            args = {"child_id": self.child.user_id, "request_id": approved[0], "method": "cash"}
            self._act(device, "allowance.mark_paid/v1", args)

    @rule(p=st.integers(0, 1), on=st.booleans())
    def journal_rule(self, p: int, on: bool) -> None:
        """A parent asks for a reason with every order (or stops): orders a kid's device queued under
        the old rules are decided by the rules in force when they reach the server."""
        rules = {"journal_required": on}
        self._act(self.parents[p], "rules.set/v1", {"child_id": self.child.user_id, "rules": rules})

    @rule(p=st.integers(0, 1), mode=st.sampled_from(APPROVAL_MODES), number=st.sampled_from([1, 5, 100_000]))
    def approval_rule(self, p: int, mode: str, number: int) -> None:
        """A parent sets graded trade approval (every order, those above a total, the first N): orders a
        kid's device predicted under the old rules are decided by the rules in force at the server."""
        rules: dict[str, object] = {"trade_approval": mode}
        if mode == "above":
            rules["approval_above"] = number
        if mode == "first":
            rules["approval_first"] = min(number, 1_000)
        self._act(self.parents[p], "rules.set/v1", {"child_id": self.child.user_id, "rules": rules})

    @initialize(mode=st.sampled_from(APPROVAL_MODES), number=st.sampled_from([1, 5, 100_000]))
    def house_rule_at_start(self, mode: str, number: int) -> None:
        """Most runs start under a trade-approval mode (a run is short: a rule set late in it would
        meet few orders), so orders wait, parents decide and children cancel throughout."""
        if mode != "off":
            self.approval_rule(0, mode, number)
            with contextlib.suppress(SyncFailed):
                self.parents[0].sync()

    @rule(p=st.integers(0, 1), pick=st.integers(0, 5), approve=st.booleans())
    def decide_trade(self, p: int, pick: int, approve: bool) -> None:
        """A parent approves or declines an order waiting for it, perhaps as the other parent or the
        child does something to it too (ALREADY_DECIDED for the later one)."""
        device = self.parents[p]
        with contextlib.suppress(SyncFailed):  # the approvals screen shows what the last pull brought
            device.sync()
        waiting = sorted(
            t for t, d in device.state.replica.table("trade").items() if d["status"] == "awaiting"
        )
        if not waiting:
            return
        args = {
            "child_id": self.child.user_id,
            "trade_id": waiting[pick % len(waiting)],
            "decision": "approve" if approve else "decline",
        }
        if not approve:
            args["reason"] = "너무 많이 사는 것 같아"
        self._act(device, "trade.decide/v1", args)

    @rule(p=st.integers(0, 1), amount=st.sampled_from([5_000, 100_000]))
    def grant(self, p: int, amount: int) -> None:
        args = {
            "child_id": self.child.user_id,
            "grant_id": self._id("g"),
            "amount": amount,
            "reason": "chores",
        }
        self._act(self.parents[p], "family.grant/v1", args)

    # -- the world -------------------------------------------------------------------------------
    @rule(d=st.integers(0, 3))
    def sync(self, d: int) -> None:
        with contextlib.suppress(SyncFailed):  # the queue is intact; a later round retries
            self.devices[d].sync()

    @rule(symbol=st.sampled_from(SYMBOLS), move_bps=st.integers(-800, 800))
    def quote_tick(self, symbol: str, move_bps: int) -> None:
        self.prices[symbol] = max(1, self.prices[symbol] * (10_000 + move_bps) // 10_000)
        self.world.quote(symbol, self.prices[symbol])

    @rule(market=st.sampled_from(list(Market)), open_=st.booleans())
    def market_hours(self, market: Market, open_: bool) -> None:
        (self.world.market.open_markets.add if open_ else self.world.market.open_markets.discard)(market)

    @rule(minutes=st.sampled_from([1, 10, 30, 24 * 60]))
    def time_passes(self, minutes: int) -> None:
        self.world.clock.advance(minutes=minutes)

    @rule(d=st.integers(0, 3), faults=st.lists(st.sampled_from(FAULTS), min_size=1, max_size=3))
    def network_fault(self, d: int, faults: list[str]) -> None:
        self.world.transports[self.devices[d].client_id].plan(faults)

    @rule(d=st.integers(0, 3))
    def late_delivery(self, d: int) -> None:
        self.world.transports[self.devices[d].client_id].release_held()

    @rule()
    def server_restart(self) -> None:
        self.world.restart()

    @rule(d=st.integers(0, 1), hours=st.sampled_from([-1, 1, 24 * 365]))
    def device_clock_jump(self, d: int, hours: int) -> None:
        device = self.kids[d]
        base = device.now
        device.now = lambda: base() + timedelta(hours=hours)  # predictions only: never decides anything

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def server_is_consistent(self) -> None:
        check_server(self.world.db)

    @invariant()
    def devices_are_consistent(self) -> None:
        for device in self.devices:
            check_device(device)

    def teardown(self) -> None:
        try:
            for transport in self.world.transports.values():
                transport.heal()
                transport.release_held()
            for _round in range(4):  # I14: queues drain without any new user action
                for device in self.devices:
                    device.sync()
            check_server(self.world.db)
            check_change_log_replays(self.world.db)
            check_mutation_log_replays(self.world.db, self.tmp)
            check_converged(self.world.db, self.devices, self.created)
            for device in self.devices:  # what the run exercised (--hypothesis-show-statistics)
                for result in device.state.outcomes.values():
                    event(f"{device.name.split('-')[0]}: {result.status.value} {result.code or ''}".strip())
        finally:
            self.world.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


def _settings(examples: int, steps: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        print_blob=True,
    )


@MODEL_TIMEOUT
def test_sync_model_sqlite() -> None:
    SyncModel.database_url = None
    run_state_machine_as_test(
        SyncModel, settings=_settings(*((2000, 100) if SOAK else (200, 50) if IN_CI else (25, 30)))
    )


@pytest.mark.postgres
@MODEL_TIMEOUT
def test_sync_model_postgres(pg_url: str) -> None:
    """Fewer examples: each one starts from an empty PostgreSQL schema."""
    SyncModel.database_url = pg_url
    try:
        run_state_machine_as_test(
            SyncModel, settings=_settings(*((500, 100) if SOAK else (40, 40) if IN_CI else (8, 25)))
        )
    finally:
        SyncModel.database_url = None
