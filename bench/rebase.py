"""(r) The device's rebase: confirmed state ⊕ replay(pending) with the shared rules of ``sync/``.

A child who has been offline for a week has 1,000 orders queued over a history of confirmed trades
(10,000 rows, and a big family's 60,000). Three ways to replay the same queue are timed:

- ``sync.rebase.rebase`` itself, over 10k and over 60k confirmed trades (what device and replay run);
- the same queue over an empty history: the floor, what deciding 1,000 orders costs by itself;
- the algorithm before issue 16 (a deep copy of the book, every trade converted to a Korean day for
  every order, every quote scanned), kept here as the baseline the figures are compared with.

Every figure is a median of several runs, with the load average read before and after.
"""

from __future__ import annotations

import copy
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from sync.book import MemoryBook
from sync.context import Context, kst_day
from sync.errors import Rejected
from sync.handlers import decide
from sync.market import Quote
from sync.money import MICRO
from sync.protocol import Change, PullResponse
from sync.rebase import Pending, rebase
from sync.records import Actor, Role, Trade, TradeStatus
from sync.rules import HouseRules
from sync.trading import open_account

__all__ = [
    "RebaseTimes",
    "measure",
    "measure_live_quote",
    "measure_pull",
    "measure_tap",
    "naive_rebase",
    "offline_week",
]

NOW = datetime(2024, 3, 4, 1, 0, tzinfo=UTC)  # a Monday, 10:00 in Seoul: KRX is in session
CHILD = Actor("kid", Role.CHILD, "fam")
SYMBOLS = ("005930.KS", "035720.KQ", "000660.KS", "035420.KS")


def offline_week(confirmed_trades: int, pending: int) -> tuple[MemoryBook, list[Pending]]:
    """A child's confirmed book with ``confirmed_trades`` filled trades spread over two years (a few
    of them today) and ``pending`` small orders queued offline, buys and sells of one symbol."""
    rules = HouseRules(starting_money=10**12, trades_per_day=1_000_000)
    book = MemoryBook(child_id=CHILD.user_id, rules_=rules)
    book.apply(open_account(CHILD.user_id, rules, NOW))
    for seq, symbol in enumerate(SYMBOLS * 5, start=1):  # a price history: the latest one counts
        as_of = NOW - timedelta(minutes=60 - seq)
        book.add_quote(Quote(f"q{seq}", symbol, 50_000 + seq, "KRW", as_of, seq=seq))
    for i in range(confirmed_trades):
        created = NOW - timedelta(hours=i % (2 * 365 * 24))
        book.put(
            Trade(
                trade_id=f"c{i}",
                child_id=CHILD.user_id,
                side="buy",
                symbol=SYMBOLS[i % len(SYMBOLS)],
                status=TradeStatus.REJECTED if i % 17 == 0 else TradeStatus.FILLED,
                policy="quote",
                created_at=created,
                quantity=MICRO,
                fill_price=50_000,
            )
        )
    quote = book.latest_quote(SYMBOLS[0])
    assert quote is not None
    queue = [
        Pending(
            seq=seq,
            mutation_id=f"m{seq}",
            name="trade.place/v1",
            args={
                "trade_id": f"p{seq}",
                "side": "sell" if seq % 2 == 0 else "buy",
                "symbol": SYMBOLS[0],
                "quantity": MICRO,
                "quote_id": quote.quote_id,
                "price": quote.price,
            },
        )
        for seq in range(1, pending + 1)
    ]
    return book, queue


def naive_rebase(
    confirmed: Mapping[str, MemoryBook], pending: list[Pending], actor: Actor, now: datetime
) -> int:
    """The rebase as it was before issue 16: deep copies, and per order a scan of every trade (each
    converted to a Korean day) and of every quote. Returns how many orders were at risk."""

    class Scanning(MemoryBook):
        def trades_on_day(self, day: str) -> int:
            return sum(
                1 for t in self.trades.values() if t.status != "rejected" and kst_day(t.created_at) == day
            )

        def latest_quote(self, symbol: str) -> Quote | None:
            candidates = [q for q in self.quotes.values() if q.symbol == symbol]
            return max(candidates, key=lambda q: (q.seq, q.as_of), default=None)

    view: dict[str, MemoryBook] = {}
    for child, book in confirmed.items():
        scanning = Scanning(child_id=book.child_id)
        for name in ("rules_", "balances", "positions_", "trades", "requests_", "stats_", "quotes", "served"):
            setattr(scanning, name, copy.deepcopy(getattr(book, name)))
        view[child] = scanning
    at_risk = 0
    for item in sorted(pending, key=lambda p: p.seq):
        book = view[actor.user_id]
        try:
            book.apply(
                decide(item.name, item.args, book, Context(actor, actor.user_id, now, item.mutation_id))
            )
        except Rejected:
            at_risk += 1
    return at_risk


@dataclass(frozen=True)
class RebaseTimes:
    """Wall and CPU milliseconds per run; the first run after a pull also builds the confirmed
    book's indexes (``cold``), the later ones reuse them."""

    wall_ms: list[float]
    cpu_ms: list[float]
    at_risk: int
    load_before: float
    load_after: float

    @property
    def median(self) -> float:
        return statistics.median(self.wall_ms)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms)

    def notes(self) -> str:
        spread = f"{min(self.wall_ms):,.1f}–{max(self.wall_ms):,.1f}"
        return (
            f"median of {len(self.wall_ms)} ({spread} ms; first {self.wall_ms[0]:,.1f}); "
            f"CPU {self.cpu:,.1f} ms; {self.at_risk} at risk; "
            f"load {self.load_before:.2f}→{self.load_after:.2f}"
        )


def _time(run: Callable[[], Any], repeats: int) -> tuple[list[float], list[float], Any]:
    wall, cpu, result = [], [], None
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu, result


def measure(confirmed_trades: int, pending: int, repeats: int, *, naive: bool = False) -> RebaseTimes:
    """Milliseconds to replay ``pending`` orders over ``confirmed_trades`` confirmed trades, each
    run from the same confirmed book as the device does between two pulls."""
    book, queue = offline_week(confirmed_trades, pending)
    load_before = os.getloadavg()[0]
    if naive:
        wall, cpu, at_risk = _time(lambda: naive_rebase({CHILD.user_id: book}, queue, CHILD, NOW), repeats)
    else:
        wall, cpu, (_, outcomes) = _time(lambda: rebase({CHILD.user_id: book}, queue, CHILD, NOW), repeats)
        at_risk = sum(1 for o in outcomes if o.at_risk)
    return RebaseTimes(wall, cpu, at_risk, load_before, os.getloadavg()[0])


@contextmanager
def _device(
    directory: Path, confirmed_trades: int, pending: int, spare: int
) -> Iterator[tuple[Any, list[Pending]]]:
    """A device's store after a pull of ``confirmed_trades`` trades with ``pending`` orders queued
    (and ``spare`` more orders to queue), its view built."""
    from client.store import IdentityRow, LocalStore
    from client.store.rows import dumps

    book, queue = offline_week(confirmed_trades, pending + spare + 1)
    changes = [Change("put", "balance", f"kid:{a}", {"child_id": "kid", "account": a, "balance": b})
               for a, b in book.balances.items()]  # fmt: skip
    changes += [Change("put", "trade", t.trade_id, msgspec.to_builtins(t)) for t in book.trades.values()]
    changes += [Change("put", "quote", q.quote_id, msgspec.to_builtins(q)) for q in book.quotes.values()]
    changes.append(Change("put", "stats", "kid", msgspec.to_builtins(book.stats())))
    rules = {"child_id": "kid", "version": 1, **msgspec.to_builtins(book.rules())}
    changes.append(Change("put", "rules", "kid", rules))
    store = LocalStore.open(directory / f"device-{uuid.uuid4().hex[:8]}.db")
    try:
        store.init_identity(IdentityRow("device-1", "kid", "child", "fam", "지우", "http://x"), NOW)
        page = PullResponse(
            cursor=1, reset=True, has_more=False, changes=changes, last_seq=0, results=[], checksums={},
            server_time=NOW.isoformat(),
        )  # fmt: skip
        store.commit_pull([page], store.preview([page]), NOW)
        with store.db.conn:  # a week of queued orders (as record() stores them, without a view each)
            store.db.conn.executemany(
                "INSERT INTO pending_mutation (seq, mutation_id, name, args, base_cursor, created_at) "
                "VALUES (?, ?, ?, ?, 1, ?)",
                [(p.seq, p.mutation_id, p.name, dumps(p.args), NOW.isoformat()) for p in queue[:pending]],
            )
            store.db.conn.execute("UPDATE sync_meta SET next_seq = ? WHERE id = 1", [pending + 1])
        item = queue[pending]
        store.record(item.name, item.args, item.mutation_id, NOW)  # the view of them all
        yield store, queue[pending + 1 :]
    finally:
        store.close()


def measure_tap(directory: Path, confirmed_trades: int, pending: int, repeats: int) -> RebaseTimes:
    """A tap on the device: ``LocalStore.record`` (one SQLite transaction: the queued row, the
    rebase, the changed view rows) with ``pending`` orders already queued over ``confirmed_trades``
    confirmed trades pulled from the server."""
    with _device(directory, confirmed_trades, pending, repeats) as (store, spare):
        taps = iter(spare)
        load_before = os.getloadavg()[0]

        def tap() -> None:
            item = next(taps)
            store.record(item.name, item.args, item.mutation_id, NOW)

        wall, cpu, _ = _time(tap, repeats)
        at_risk = sum(1 for p in store.pending() if p.at_risk)
    return RebaseTimes(wall, cpu, at_risk, load_before, os.getloadavg()[0])


def measure_live_quote(directory: Path, confirmed_trades: int, pending: int, repeats: int) -> RebaseTimes:
    """A price pushed on the live channel: ``LocalStore.keep_quote`` stores it and rebuilds the view
    (the orders are decided against the newer price), with ``pending`` orders over the history."""
    with _device(directory, confirmed_trades, pending, 0) as (store, _):
        seqs = iter(range(1_000, 1_000 + repeats))
        load_before = os.getloadavg()[0]

        def push() -> None:
            seq = next(seqs)
            quote = Quote(f"live{seq}", SYMBOLS[1], 60_000, "KRW", NOW, seq=seq)
            assert store.keep_quote(msgspec.to_builtins(quote), NOW)

        wall, cpu, _ = _time(push, repeats)
        at_risk = sum(1 for p in store.pending() if p.at_risk)
    return RebaseTimes(wall, cpu, at_risk, load_before, os.getloadavg()[0])


def measure_pull(directory: Path, confirmed_trades: int, pending: int, repeats: int) -> RebaseTimes:
    """A pull applied on the device (``LocalStore.commit_pull``): a new price and a changed balance,
    then the view rebuilt over ``pending`` orders and the history."""
    with _device(directory, confirmed_trades, pending, 0) as (store, _):
        cursors = iter(range(2, 2 + repeats))
        load_before = os.getloadavg()[0]

        def pull() -> None:
            cursor = next(cursors)
            quote = Quote(f"pulled{cursor}", SYMBOLS[2], 60_000, "KRW", NOW, seq=2_000 + cursor)
            grants = {"child_id": "kid", "account": "grants", "balance": -(10**12) - cursor}
            cash = {"child_id": "kid", "account": "cash", "balance": 10**12 + cursor}
            changes = [
                Change("put", "quote", quote.quote_id, msgspec.to_builtins(quote)),
                Change("put", "balance", "kid:grants", grants),
                Change("put", "balance", "kid:cash", cash),
            ]
            page = PullResponse(
                cursor=cursor, reset=False, has_more=False, changes=changes, last_seq=0, results=[],
                checksums={}, server_time=NOW.isoformat(),
            )  # fmt: skip
            store.commit_pull([page], store.preview([page]), NOW)

        wall, cpu, _ = _time(pull, repeats)
        at_risk = sum(1 for p in store.pending() if p.at_risk)
    return RebaseTimes(wall, cpu, at_risk, load_before, os.getloadavg()[0])


if __name__ == "__main__":  # a quick look without the whole bench: python -m bench.rebase
    for rows in (0, 10_000, 60_000):
        print(f"{rows:>6} rows: {measure(rows, 1_000, 3).notes()}")
    print(f"naive 10k: {measure(10_000, 1_000, 3, naive=True).notes()}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (10_000, 60_000):
            print(f"tap {rows:>6}: {measure_tap(Path(tmp), rows, 1_000, 3).notes()}")
            print(f"live quote {rows:>6}: {measure_live_quote(Path(tmp), rows, 1_000, 3).notes()}")
            print(f"pull {rows:>6}: {measure_pull(Path(tmp), rows, 1_000, 3).notes()}")
