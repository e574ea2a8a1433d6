"""``python -m bench [--quick]``: measure, print one table, write JSON to ``bench/results/``.

Figures, not pass/fail (quality.md, "Performance targets"). The machine's load average is recorded
with them: on a shared 2-core machine other work moves every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.live import LiveServer, seed_family

from . import (
    apply_rate,
    cache,
    mixed_load,
    outbox,
    raw_postgres,
    raw_sqlite,
    rebase,
    search,
    snapshot,
    sync_cycle,
)
from .machine import describe
from .report import Figure, percentile, print_table, write_json

PG_ADMIN_URL = os.environ.get("YONGDON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RAW_PG_BATCHED = "raw psycopg baseline, row by row, 500 per transaction + savepoints"
RAW_PG_SINGLE = "raw psycopg baseline, 1 committed transaction per mutation"
REDIS_URL = os.environ.get("YONGDON_TEST_REDIS", "redis://127.0.0.1:6379/0")
RESULTS = Path(__file__).resolve().parent / "results"
CLIENTS = 8
MIXED_RATES = (100.0, 200.0, 300.0)  # offered req/s (quality.md: 300 req/s)


@dataclass(frozen=True)
class Plan:
    batch: int
    batches: int
    single_seconds: float
    cycle_small_repeats: int
    cycle_sizes: tuple[int, int]
    raw_batched: int
    raw_single: int
    search_rounds: int
    rebase_repeats: int
    naive_pending: int  # the pre-issue-16 baseline is slow: fewer pending in a quick run
    mixed_seconds: float  # each offered rate of the mixed load
    cache_trades: int  # the child's history behind the cached portfolio reads (bench/cache.py)
    cache_reads: int


FULL = Plan(
    batch=500,
    batches=5,  # the median of five: the first push warms up, and one in a few dips on a shared machine
    single_seconds=8,
    cycle_small_repeats=20,
    cycle_sizes=(1000, 2000),
    raw_batched=10_000,
    raw_single=1_000,
    search_rounds=200,
    rebase_repeats=5,
    naive_pending=1_000,
    mixed_seconds=15,
    cache_trades=1_000,
    cache_reads=300,
)
QUICK = Plan(
    batch=50,
    batches=1,
    single_seconds=1.5,
    cycle_small_repeats=3,
    cycle_sizes=(100, 200),
    raw_batched=1_000,
    raw_single=100,
    search_rounds=20,
    rebase_repeats=3,
    naive_pending=100,
    mixed_seconds=3,
    cache_trades=100,
    cache_reads=30,
)


@contextmanager
def _postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this run (dropped afterwards), or ``None`` when unreachable."""
    name = f"yongdon_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _rate_notes(result: apply_rate.BatchResult) -> str:
    spread = f"{min(result.rates):,.0f}–{max(result.rates):,.0f}" if len(result.rates) > 1 else "1 run"
    return f"median of {len(result.rates)} pushes ({spread}); outcomes {result.statuses}"


def _server_figures(
    database_url: str,
    data_dir: Path,
    plan: Plan,
    prefix: str,
    targets: dict[str, str],
    backend: str,
    with_cycles: bool,
) -> list[Figure]:
    figures: list[Figure] = []
    children = 2 + CLIENTS + 3
    with LiveServer(database_url, data_dir) as server:
        seeded = seed_family(server.settings(), children=children, rules={"trades_per_day": 1_000_000})
        server.start()
        trades = apply_rate.batched(server.port, seeded, "kid0", plan.batch, plan.batches, "trade")
        figures.append(
            Figure(
                f"{prefix}1",
                f"batched push of {plan.batch} trades, HTTP, {backend}",
                trades.median,
                "mut/s",
                targets["batched"],
                _rate_notes(trades),
            )
        )
        grants = apply_rate.batched(server.port, seeded, "mom", plan.batch, plan.batches, "grant")
        figures.append(
            Figure(
                f"{prefix}2",
                f"batched push of {plan.batch} grants, HTTP, {backend}",
                grants.median,
                "mut/s",
                targets["batched"],
                _rate_notes(grants),
            )
        )
        clients = [f"kid{2 + i}" for i in range(CLIENTS)]
        single = apply_rate.concurrent_single(server.port, seeded, clients, plan.single_seconds)
        lat = single.latencies_ms
        figures.append(
            Figure(
                f"{prefix}3",
                f"1 mutation per push, {CLIENTS} clients of one family, HTTP, {backend}",
                single.rate,
                "mut/s",
                targets["single"],
                f"p50 {percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.1f} ms; "
                f"{single.applied} applied in {plan.single_seconds:g} s, {single.errors} errors, "
                f"{single.retries} busy retries",
                {"p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99)},
            )
        )
        if with_cycles:
            small = sync_cycle.cycle_seconds(
                server.url, seeded, f"kid{2 + CLIENTS}", 10, plan.cycle_small_repeats
            )
            totals = [c.total for c in small]
            median = statistics.median(totals) * 1000
            figures.append(
                Figure(
                    "e10",
                    "sync cycle (push 10 + pull + rebase), loopback, p95",
                    percentile(totals, 95) * 1000,
                    "ms",
                    "p95 < 100 ms",
                    f"{len(small)} cycles, median {median:.0f} ms",
                )
            )
            for k, (size, limit) in enumerate(zip(plan.cycle_sizes, ("< 2 s", "< 4 s"), strict=True)):
                cycle = sync_cycle.cycle_seconds(server.url, seeded, f"kid{3 + CLIENTS + k}", size, 1)[0]
                key = ("e1000", "e2000")[k]
                label = f"sync cycle (push {size:,} + pull + rebase), loopback"
                figures.append(
                    Figure(
                        key,
                        label,
                        cycle.total,
                        "s",
                        f"N = {int(key[1:]):,}: {limit}",
                        f"1 cycle: {cycle.notes()}",
                    )
                )
        server.stop()
    return figures


def _search_figures(rounds: int) -> list[Figure]:
    times = search.measure(rounds)
    common = f"{times.queries} queries × {rounds} rounds over {times.entries} symbols"
    index_p99, naive_p99 = times.p("index", 99), times.p("naive", 99)
    return [
        Figure(
            "s1",
            "symbol search, index (ranked, consonants, typos), p99",
            index_p99,
            "ms",
            "p99 < 1 ms",
            f"p50 {times.p('index', 50):.3f} ms; {common}; index built in {times.build_ms:.0f} ms",
            {"p50_ms": times.p("index", 50), "p99_ms": index_p99},
        ),
        Figure(
            "s2",
            "symbol search, naive linear scan with `in` (baseline for s1), p99",
            naive_p99,
            "ms",
            "(baseline for s1)",
            f"p50 {times.p('naive', 50):.3f} ms; no ranking, consonants or typos",
            {"p50_ms": times.p("naive", 50), "p99_ms": naive_p99},
        ),
    ]


def _rebase_figures(plan: Plan, directory: Path) -> list[Figure]:
    """(r) The device's rebase: 1,000 pending over 10k and 60k confirmed trades, beside the same queue
    over no history (the rules' own cost, the floor) and the algorithm before issue 16."""
    pending, repeats = 1_000, plan.rebase_repeats
    floor = rebase.measure(0, pending, repeats)
    naive = rebase.measure(10_000, plan.naive_pending, 3, naive=True)
    naive_cpu_per_1000 = naive.cpu * 1_000 / plan.naive_pending  # per order, as it is O(pending × trades)
    figures = []
    for key, rows in (("r1", 10_000), ("r2", 60_000)):
        times = rebase.measure(rows, pending, repeats)
        # ratios of CPU time: on a loaded machine wall times of separate runs do not compare
        versus = f"; CPU {times.cpu / floor.cpu:.2f}× the floor r3"
        if rows == 10_000:
            versus += f", {naive_cpu_per_1000 / times.cpu:,.0f}× less than r4"
        figures.append(
            _timed(
                key,
                f"rebase of {pending:,} pending over {rows:,} confirmed trades (sync.rebase)",
                times,
                "< 50 ms" if rows == 10_000 else "(quality.md: < 50 ms over 10k)",
                versus,
            )
        )
    figures.append(
        _timed(
            "r3",
            f"the same {pending:,} pending over no history (floor: the rules alone)",
            floor,
            "(floor for r1, r2)",
        )
    )
    figures.append(
        _timed(
            "r4",
            f"rebase before issue 16 (deep copy, per order a scan of every trade), {plan.naive_pending:,} "
            "pending over 10,000",
            naive,
            "(baseline for r1)",
        )
    )
    for key, rows in (("r5", 10_000), ("r6", 60_000)):
        tap = rebase.measure_tap(directory, rows, pending, repeats)
        figures.append(
            _timed(
                key,
                f"a tap on the device (LocalStore.record) with {pending:,} pending over {rows:,} trades",
                tap,
                "(r1 or r2 plus SQLite)",
            )
        )
    live = rebase.measure_live_quote(directory, 60_000, pending, repeats)
    figures.append(
        _timed(
            "r7",
            f"a live price kept on the device (LocalStore.keep_quote), {pending:,} pending over 60,000",
            live,
            "(r2 plus SQLite)",
        )
    )
    pull = rebase.measure_pull(directory, 60_000, pending, repeats)
    figures.append(
        _timed(
            "r8",
            f"a pull applied on the device (3 changes, LocalStore.commit_pull), {pending:,} pending over 60k",
            pull,
            "(r2 plus SQLite)",
        )
    )
    return figures


def _timed(key: str, label: str, times: Any, target: str, versus: str = "") -> Figure:
    """A figure in milliseconds from a device measurement (median, notes, CPU and wall runs)."""
    return Figure(
        key, label, times.median, "ms", target, times.notes() + versus,
        {"cpu_ms": times.cpu, "runs_ms": times.wall_ms},
    )  # fmt: skip


def _mixed_postgres_figures(root: Path, plan: Plan, skip: bool) -> list[Figure]:
    """m5, m6: the mixed load at the top rate on PostgreSQL, one server process, then two with Redis."""
    rate, found = max(MIXED_RATES), []
    for key, processes in (("m5", 1), ("m6", 2)):
        label = f"mixed load, {rate:g} req/s offered (locust), PostgreSQL, {processes} process" + (
            "es + Redis" if processes > 1 else ""
        )
        with _postgres_database() as pg_url:
            why = "skipped (--no-postgres)" if skip else None
            why = why or (f"skipped: PostgreSQL unreachable at {PG_ADMIN_URL}" if pg_url is None else None)
            redis = mixed_load.redis_or_none(REDIS_URL) if processes > 1 else None
            if why is None and processes > 1 and redis is None:
                why = f"skipped: Redis unreachable at {REDIS_URL}"
            if why is not None or pg_url is None:
                found += _not_measured([(key, label, "300 req/s, p99 < 150 ms, 0 errors")], why or "")
                continue
            step = mixed_load.measure_postgres(root, pg_url, redis, processes, rate, plan.mixed_seconds)
            found.append(mixed_load.figure_of(key, label, step, "300 req/s, p99 < 150 ms, 0 errors"))
    return found


def _not_measured(keys_labels: list[tuple[str, str, str]], why: str) -> list[Figure]:
    return [Figure(key, label, None, "", target, why) for key, label, target in keys_labels]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, short times")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figures")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--only",
        choices=sorted(_PARTS),
        help="only these figures: rebase (r, no server), sqlite (a1–a3, e), mixed (m1–m4), "
        "postgres (c1–c3, d3, d4)",
    )
    options = parser.parse_args(argv)
    plan = QUICK if options.quick else FULL
    figures: list[Figure] = []
    if options.only is not None:  # one part alone: to compare a change's figures back to back
        with tempfile.TemporaryDirectory(prefix="yongdon-bench-") as tmp:
            figures += _PARTS[options.only](plan, Path(tmp))
        return _report(figures, describe(None), options)
    with tempfile.TemporaryDirectory(prefix="yongdon-bench-") as tmp:
        root = Path(tmp)
        figures += _rebase_figures(plan, root)  # first: the server runs below would load the machine
        figures += _sqlite_figures(plan, root)
        events = 1_000 if options.quick else 15_000  # issue 16: 15,000 trades took 130 s to notify
        figures += outbox.figures(outbox.measure(root, events, plan.cycle_small_repeats))
        figures += _mixed_figures(plan, root)
        figures += snapshot.figures(root, *((3_000, 1) if options.quick else (60_000, 3)))
        with _postgres_database() as pg_url:
            machine = describe(pg_url)
            figures += _postgres_push_figures(pg_url, plan, root, skip=options.no_postgres)
            cached_pg = None if options.no_postgres else pg_url
            figures += cache.figures(root, REDIS_URL, plan.cache_trades, plan.cache_reads, cached_pg)
        figures += _mixed_postgres_figures(root, plan, options.no_postgres)
        batched = raw_sqlite.batched_rate(root / "raw-batched.db", plan.raw_batched)
        single = raw_sqlite.single_rate(root / "raw-single.db", plan.raw_single)
    server_batched = next(f for f in figures if f.key == "a1").value or 0.0
    server_single = next(f for f in figures if f.key == "a3").value or 0.0
    figures.append(
        Figure(
            "d1",
            "raw sqlite3 baseline, 500 per transaction + savepoints",
            batched,
            "mut/s",
            "~50,000 mut/s (server within ~15×)",
            f"server a1 is {batched / max(server_batched, 1e-9):,.0f}× slower",
        )
    )
    figures.append(
        Figure(
            "d2",
            "raw sqlite3 baseline, 1 transaction per mutation (fsync)",
            single,
            "mut/s",
            "(baseline for a3)",
            f"server a3 is {single / max(server_single, 1e-9):,.1f}× slower",
        )
    )
    figures += _search_figures(plan.search_rounds)
    return _report(figures, machine, options)


def _sqlite_figures(plan: Plan, root: Path) -> list[Figure]:
    """(a, e) Pushes to a server on SQLite, and the sync cycle."""
    sqlite_dir = root / "sqlite"
    sqlite_dir.mkdir()
    targets = {"batched": "≥ 3,000 mut/s", "single": "≥ 800 mut/s, p99 < 100 ms"}
    url = f"sqlite:///{sqlite_dir / 'yongdon.db'}"
    return _server_figures(url, sqlite_dir, plan, "a", targets, "SQLite", with_cycles=True)


def _mixed_figures(plan: Plan, root: Path) -> list[Figure]:
    """(m1–m4) The mixed load on SQLite, step by step, and its raw baseline."""
    steps, raw = mixed_load.measure(root, MIXED_RATES, plan.mixed_seconds)
    return mixed_load.figures_of(steps, raw)


def _postgres_push_figures(pg_url: str | None, plan: Plan, root: Path, *, skip: bool = False) -> list[Figure]:
    """(c1–c3, d3, d4) Pushes to a server on PostgreSQL, and raw psycopg beside them."""
    labels = [
        ("c1", "batched push of trades, HTTP, PostgreSQL", "≥ 1,500 mut/s"),
        ("c2", "batched push of grants, HTTP, PostgreSQL", "≥ 1,500 mut/s"),
        ("c3", f"1 mutation per push, {CLIENTS} clients of one family, HTTP, PostgreSQL", "≥ 600 mut/s"),
        ("d3", RAW_PG_BATCHED, "(baseline for c1)"),
        ("d4", RAW_PG_SINGLE, "(baseline for c3)"),
    ]
    if skip:
        return _not_measured(labels, "skipped (--no-postgres)")
    if pg_url is None:
        return _not_measured(labels, f"skipped: PostgreSQL unreachable at {PG_ADMIN_URL}")
    pg_dir = root / "pg"
    pg_dir.mkdir()
    targets = {"batched": "≥ 1,500 mut/s", "single": "≥ 600 mut/s"}
    figures = _server_figures(pg_url, pg_dir, plan, "c", targets, "PostgreSQL", with_cycles=False)
    return figures + _raw_postgres_figures(pg_url, plan, figures)


def _postgres_figures(plan: Plan, root: Path) -> list[Figure]:
    """``--only postgres``: c1–c3 and their raw baselines on a fresh database."""
    with _postgres_database() as pg_url:
        return _postgres_push_figures(pg_url, plan, root)


_PARTS: dict[str, Callable[[Plan, Path], list[Figure]]] = {
    "rebase": _rebase_figures,
    "sqlite": _sqlite_figures,
    "mixed": _mixed_figures,
    "postgres": _postgres_figures,
}


def _raw_postgres_figures(pg_url: str, plan: Plan, figures: list[Figure]) -> list[Figure]:
    """d3, d4: psycopg alone doing one trade's writes, beside the server's c1 and c3."""
    server = {f.key: f.value or 0.0 for f in figures if f.key in ("c1", "c3")}
    batched = raw_postgres.batched_rate(pg_url, plan.raw_batched // 4)
    single = raw_postgres.single_rate(pg_url, plan.raw_single)
    return [
        Figure(
            "d3",
            RAW_PG_BATCHED,
            batched,
            "mut/s",
            "(baseline for c1)",
            f"server c1 is {server['c1'] / max(batched, 1e-9):,.1f}× this",
        ),
        Figure(
            "d4",
            RAW_PG_SINGLE,
            single,
            "mut/s",
            "(baseline for c3)",
            f"server c3 is {server['c3'] / max(single, 1e-9):,.2f}× this",
        ),
    ]


def _report(figures: list[Figure], machine: dict[str, Any], options: argparse.Namespace) -> int:
    figures.sort(key=lambda f: f.key)
    summary = (
        f"{machine['cpu']}, {machine['cores']} cores, load {machine['load_average_1m']}, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {machine['postgresql'] or '-'}"
    )
    figures.append(Figure("f", "machine", None, "", "", summary))
    print_table(figures)
    path = write_json(figures, machine, options.results, quick=options.quick)
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
