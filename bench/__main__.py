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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tests.support.live import LiveServer, seed_family

from . import apply_rate, raw_sqlite, search, sync_cycle
from .machine import describe
from .report import Figure, percentile, print_table, write_json

PG_ADMIN_URL = os.environ.get("YONGDON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS = Path(__file__).resolve().parent / "results"
CLIENTS = 8


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


FULL = Plan(
    batch=500,
    batches=3,
    single_seconds=8,
    cycle_small_repeats=20,
    cycle_sizes=(1000, 2000),
    raw_batched=10_000,
    raw_single=1_000,
    search_rounds=200,
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


def _not_measured(keys_labels: list[tuple[str, str, str]], why: str) -> list[Figure]:
    return [Figure(key, label, None, "", target, why) for key, label, target in keys_labels]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, short times")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figures")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    options = parser.parse_args(argv)
    plan = QUICK if options.quick else FULL
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="yongdon-bench-") as tmp:
        root = Path(tmp)
        sqlite_dir = root / "sqlite"
        sqlite_dir.mkdir()
        sqlite_targets = {"batched": "≥ 3,000 mut/s", "single": "≥ 800 mut/s, p99 < 100 ms"}
        figures += _server_figures(
            f"sqlite:///{sqlite_dir / 'yongdon.db'}",
            sqlite_dir,
            plan,
            "a",
            sqlite_targets,
            "SQLite",
            with_cycles=True,
        )
        pg_labels = [
            ("c1", "batched push of trades, HTTP, PostgreSQL", "≥ 1,500 mut/s"),
            ("c2", "batched push of grants, HTTP, PostgreSQL", "≥ 1,500 mut/s"),
            ("c3", f"1 mutation per push, {CLIENTS} clients of one family, HTTP, PostgreSQL", "≥ 600 mut/s"),
        ]
        with _postgres_database() as pg_url:
            machine = describe(pg_url)
            if options.no_postgres:
                figures += _not_measured(pg_labels, "skipped (--no-postgres)")
            elif pg_url is None:
                figures += _not_measured(pg_labels, f"skipped: PostgreSQL unreachable at {PG_ADMIN_URL}")
            else:
                pg_dir = root / "pg"
                pg_dir.mkdir()
                pg_targets = {"batched": "≥ 1,500 mut/s", "single": "≥ 600 mut/s"}
                figures += _server_figures(
                    pg_url, pg_dir, plan, "c", pg_targets, "PostgreSQL", with_cycles=False
                )
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
