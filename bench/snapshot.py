"""(g) A new device's first pull on a big family: the reset snapshot in pages (protocol 2) beside the
one-piece response protocol 1 still gets (the baseline), in the same run, on a real uvicorn process.

The family is made through the server's own push path (batched trades of several children, the
seeding of ``apply_rate``) until its ledger holds ``ledger_rows`` postings. The notification
dispatcher is off in this server: delivering one message per trade would run beside the measured
pulls (the outbox's own figure measures it), and the snapshot's size is the books', not the inbox's.
A parent's device pulls from cursor 0, so the snapshot holds every child's rows. Figures are
medians over ``repeats`` alternating runs of both; wall times on a shared machine move with its load.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.live import LiveServer, Seeded, seed_family

from . import apply_rate
from .report import Figure, percentile

__all__ = ["Stream", "figures", "measure"]

CHILDREN = 4
BATCH = 500


@dataclass
class Stream:
    """One pull from cursor 0 to the end: each response's seconds and bytes."""

    seconds: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    rows: int = 0

    @property
    def total(self) -> float:
        return sum(self.seconds)


def _pull(
    connection: http.client.HTTPConnection, headers: dict[str, str], body: dict[str, Any]
) -> tuple[float, bytes]:
    started = time.perf_counter()
    connection.request("POST", "/api/sync/pull", body=json.dumps(body), headers=headers)
    response = connection.getresponse()
    raw = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"pull answered {response.status}: {raw[:300]!r}")
    return elapsed, raw


def pull_stream(port: int, seeded: Seeded, device: str, protocol: int) -> Stream:
    """A first pull as the app of ``protocol`` makes it: pages until ``has_more`` is false."""
    stream = Stream()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    body: dict[str, Any] = {"protocol": protocol, "client_id": seeded.devices[device], "cursor": 0}
    try:
        while True:
            elapsed, raw = _pull(connection, seeded.headers(device), body)
            page = json.loads(raw)  # the device decodes every page: part of what it waits for
            stream.seconds.append(elapsed)
            stream.sizes.append(len(raw))
            stream.rows += len(page["changes"])
            if not page["has_more"]:
                return stream
            body = {**body, "cursor": page["cursor"]}
            if "snapshot" in page:
                body["snapshot"] = page["snapshot"]
            else:
                body.pop("snapshot", None)
    finally:
        connection.close()


def _ledger_rows(database_url: str, family_id: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT count(*) FROM ledger_entries WHERE family_id = :f")
            return int(connection.execute(query, {"f": family_id}).scalar_one())
    finally:
        engine.dispose()


def _grow(server: LiveServer, seeded: Seeded, database_url: str, ledger_rows: int) -> tuple[int, int]:
    """Push trades (batches of ``BATCH``, the children in turn) until the ledger holds ``ledger_rows``;
    returns (ledger rows, trades)."""
    kids = [f"kid{i}" for i in range(CHILDREN)]
    _batched_from(server.port, seeded, kids[0], 1, 0)  # how many postings a trade makes
    per_trade = max(1, _ledger_rows(database_url, seeded.family_id) // BATCH)
    batches = max(1, -(-ledger_rows // (per_trade * BATCH)) - 1)
    per_kid = [batches // CHILDREN + (1 if i < batches % CHILDREN else 0) for i in range(CHILDREN)]
    for i, (kid, count) in enumerate(zip(kids, per_kid, strict=True)):
        if count:
            # kid0's first batch went above: its seqs go on from there
            start = 1 if i == 0 else 0
            _batched_from(server.port, seeded, kid, count, start)
    trades = (1 + batches) * BATCH
    return _ledger_rows(database_url, seeded.family_id), trades


def _batched_from(port: int, seeded: Seeded, kid: str, batches: int, done: int) -> None:
    """``batches`` more pushes of ``BATCH`` trades from ``kid``'s device after ``done`` batches."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    client_id = seeded.devices[kid]
    try:
        for batch in range(done, done + batches):
            mutations = []
            for seq in range(batch * BATCH + 1, (batch + 1) * BATCH + 1):
                mutation_id = f"{client_id}-b{seq}"
                args = apply_rate.trade_args(seeded, f"t-{mutation_id}", seq)
                mutations.append({"seq": seq, "id": mutation_id, "name": "trade.place/v1", "args": args})
            body = {"protocol": 1, "client_id": client_id, "mutations": mutations}
            connection.request("POST", "/api/sync/push", body=json.dumps(body), headers=seeded.headers(kid))
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"seeding push answered {response.status}: {answer[:300]!r}")
    finally:
        connection.close()


@contextmanager
def _no_dispatcher() -> Any:
    before = os.environ.get("YONGDON_NOTIFY_DISPATCHER")
    os.environ["YONGDON_NOTIFY_DISPATCHER"] = "0"  # read when the server's process is forked
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("YONGDON_NOTIFY_DISPATCHER", None)
        else:
            os.environ["YONGDON_NOTIFY_DISPATCHER"] = before


@dataclass
class Measured:
    ledger_rows: int
    trades: int
    seed_seconds: float
    paged: list[Stream]
    whole: list[Stream]


def measure(root: Path, ledger_rows: int, repeats: int) -> Measured:
    data_dir = root / "snapshot"
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{data_dir / 'yongdon.db'}"
    with _no_dispatcher(), LiveServer(database_url, data_dir) as server:
        seeded = seed_family(server.settings(), children=CHILDREN, rules={"trades_per_day": 1_000_000})
        server.start()
        began = time.perf_counter()
        rows, trades = _grow(server, seeded, database_url, ledger_rows)
        seed_seconds = time.perf_counter() - began
        pull_stream(server.port, seeded, "mom", 2)  # warm: the first read fills the page cache
        paged, whole = [], []
        for _ in range(repeats):  # alternating, so both see the same load
            paged.append(pull_stream(server.port, seeded, "mom", 2))
            whole.append(pull_stream(server.port, seeded, "mom", 1))
        server.stop()
    return Measured(rows, trades, seed_seconds, paged, whole)


def figures(root: Path, ledger_rows: int, repeats: int) -> list[Figure]:
    m = measure(root, ledger_rows, repeats)
    first = statistics.median(s.seconds[0] for s in m.paged) * 1000
    pages = [t * 1000 for s in m.paged for t in s.seconds]
    stream = statistics.median(s.total for s in m.paged)
    whole = statistics.median(s.total for s in m.whole)
    page_count = len(m.paged[0].seconds)
    family = f"{m.ledger_rows:,} ledger rows, {m.trades:,} trades, {m.paged[0].rows:,} snapshot rows"
    largest = max(m.paged[0].sizes) / 1e6
    return [
        Figure(
            "g1",
            f"snapshot pull of a big family, paged: first page ({family})",
            first,
            "ms",
            "paged, < 1 s",
            f"{page_count} pages; page p50 {percentile(pages, 50):.0f} ms, "
            f"p99 {percentile(pages, 99):.0f} ms, largest {largest:.2f} MB; median of {repeats}",
            {
                "page_p50_ms": percentile(pages, 50),
                "page_p99_ms": percentile(pages, 99),
                "pages": page_count,
            },
        ),
        Figure(
            "g2",
            "snapshot pull of a big family, paged: the whole stream",
            stream,
            "s",
            "(a device sees its first page after g1)",
            f"{sum(m.paged[0].sizes) / 1e6:.1f} MB in {page_count} responses; {stream / whole:.2f}× g3",
        ),
        Figure(
            "g3",
            "snapshot pull of a big family, one piece (protocol 1; baseline for g1, g2)",
            whole,
            "s",
            "(baseline)",
            f"{sum(m.whole[0].sizes) / 1e6:.1f} MB in one response; family seeded in {m.seed_seconds:.0f} s",
        ),
    ]


if __name__ == "__main__":  # python -m bench.snapshot [ledger rows] [repeats]
    import sys
    import tempfile

    from .machine import describe
    from .report import print_table

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 60_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory(prefix="yongdon-bench-") as tmp:
        found = figures(Path(tmp), rows, runs)
    machine = describe(None)
    found.append(Figure("f", "machine", None, "", "", f"load {machine['load_average_1m']}"))
    print_table(found)
