"""(k) The read cache (``server.cache``): each cached read, hit against miss, beside the uncached read.

A child holding 10 stocks after ``trades`` orders (pushed to a real server process, practice fills).
Its portfolio (k1–k5) and its value chart (k8–k12) are read as the routes run them
(``server.game.services``) in this process on the server's database: without a cache (the baseline),
on a miss (the change-log head, the computation, the entry stored) and on a hit (the access check and
the head in one statement, the entry), in process and in Redis; CPU time of this thread, rounds
interleaved (the machine is shared). Then the portfolio route over loopback HTTP from the server
process (its in-process cache): a read right after a commit of the family (a miss) against a repeated
read (a hit), k6 and k7. ``kp…``: the same service reads on PostgreSQL.

Not measured, because not cached: quotes (the fill rule reads what the price route served), the stock
page (the process's directory is kept for the process's life already) and the news (the news desk
keeps each symbol's headlines 10 minutes in process already).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .report import Figure, percentile

__all__ = ["figures"]

SYMBOLS = (
    "005930.KS",
    "000660.KS",
    "373220.KS",
    "207940.KS",
    "005380.KS",
    "000270.KS",
    "068270.KS",
    "035420.KS",
    "035720.KS",
    "005490.KS",
)
TARGET = "(a hit must beat the uncached read)"


@dataclass(frozen=True)
class Reads:
    ms: list[float]  # wall time of each read
    cpu_ms: list[float]  # this thread's CPU time of each read: what other work on the machine moves least

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms)

    def notes(self, baseline: Reads | None = None, *, cpu: bool = True) -> str:
        text = f"wall median {self.median:.2f} ms, p95 {percentile(self.ms, 95):.2f} ms, {len(self.ms)} reads"
        if baseline is not None:
            ratio = baseline.cpu / self.cpu if cpu else baseline.median / self.median
            text += f"; {ratio:.1f}× less {'CPU' if cpu else 'wall time'} than the baseline"
        return text


Variant = tuple[Callable[[], Any] | None, Callable[[], Any]]  # (before each read, untimed; the read)


def _interleaved(variants: dict[str, Variant], rounds: int) -> dict[str, Reads]:
    """Each round times every variant once, in turn: the machine's load moves them all alike."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _, read in variants.values():
        read()  # warm: statements compiled, connections open
    for _ in range(rounds):
        for name, (before, read) in variants.items():
            if before is not None:
                before()
            started, used = time.perf_counter(), time.thread_time()
            read()
            cpu[name].append((time.thread_time() - used) * 1000)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: Reads(times[name], cpu[name]) for name in variants}


def _seed(server: Any, trades: int) -> Any:
    from tests.support.live import seed_family

    prices = {s: 10_000 + 1_000 * i for i, s in enumerate(SYMBOLS)}
    rules = {"fill_policy": "practice", "trades_per_day": 1_000_000}
    seeded = seed_family(server.settings(), children=1, prices=prices, rules=rules)
    server.start()
    grant = {
        "child_id": seeded.users["kid0"],
        "grant_id": uuid.uuid4().hex,
        "amount": 100_000_000,
        "reason": "bench",
    }
    _push(server.port, seeded, "mom", [("family.grant/v1", grant)])
    orders = [
        (
            "trade.place/v1",
            {
                "trade_id": uuid.uuid4().hex,
                "side": "buy",
                "symbol": SYMBOLS[n % len(SYMBOLS)],
                "amount": 20_000,
            },
        )
        for n in range(trades)
    ]
    _push(server.port, seeded, "kid0", orders)
    return seeded


def _push(port: int, seeded: Any, device: str, mutations: list[tuple[str, dict[str, Any]]]) -> None:
    """The device's first pushes (its seqs from 1), 500 mutations each (the protocol's most)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        for start in range(0, len(mutations), 500):
            body = {
                "protocol": 1,
                "client_id": seeded.devices[device],
                "mutations": [
                    {"seq": n + 1, "id": uuid.uuid4().hex, "name": name, "args": args}
                    for n, (name, args) in enumerate(mutations[start : start + 500], start)
                ],
            }
            connection.request("POST", "/api/sync/push", json.dumps(body), seeded.headers(device))
            answer = connection.getresponse()
            payload = json.loads(answer.read())
            if answer.status != 200 or any(
                r["status"] not in ("applied", "adjusted") for r in payload["results"]
            ):
                raise RuntimeError(f"seeding push answered {answer.status}: {str(payload)[:300]}")
    finally:
        connection.close()


def figures(
    root: Path, redis_url: str | None, trades: int, rounds: int, pg_url: str | None = None
) -> list[Figure]:
    """k1–k7 on SQLite (k6, k7 over HTTP); kp1–kp5 the same reads on PostgreSQL when ``pg_url``."""
    redis_url = redis_url if redis_url and _answers(redis_url) else None
    data = root / "cache"
    data.mkdir()
    found = _backend(f"sqlite:///{data / 'yongdon.db'}", data, "k", "SQLite", redis_url, trades, rounds)
    if pg_url is not None:
        (root / "cache-pg").mkdir()
        found += _backend(pg_url, root / "cache-pg", "kp", "PostgreSQL", redis_url, trades, rounds)
    return found


def _answers(redis_url: str) -> bool:
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _backend(
    url: str, data: Path, key: str, backend: str, redis_url: str | None, trades: int, rounds: int
) -> list[Figure]:
    from server.cache import Cache, MemoryCache, RedisCache
    from server.db import Database
    from server.game import services
    from server.principal import Principal
    from sync.records import Role
    from tests.support.live import LiveServer
    from tests.support.market import ScriptedMarket

    found: list[Figure] = []
    with LiveServer(url, data) as server:
        seeded = _seed(server, trades)
        child = seeded.users["kid0"]
        me = Principal(child, Role.CHILD, seeded.family_id, seeded.devices["kid0"])
        db = Database(url)
        _settle(db, seeded.family_id)
        now = datetime.now(UTC)
        chain = ScriptedMarket(lambda: now).attach_db(db, data).chain  # no network: Yahoo scripted
        try:
            held = len(services.portfolio(db, me, child, now).positions)
            setting = f"{held} holdings, {trades:,} trades, {backend}"
            stores: list[tuple[str, Cache]] = [("in process", MemoryCache())]
            if redis_url is not None:
                stores.append(("Redis", RedisCache(redis_url, f"bench{uuid.uuid4().hex[:8]}")))
            reads: list[tuple[str, int, Callable[[Cache | None], Any]]] = [
                ("portfolio", 1, lambda c: services.portfolio(db, me, child, now, c)),
                ("value chart (1M)", 8, lambda c: services.performance(db, me, child, "1M", now, chain, c)),
            ]
            for what, first, read in reads:
                found += _tier(what, key, first, read, stores, seeded, backend, setting, rounds)
            if redis_url is None:
                found.append(Figure(f"{key}4", "Redis cache hit", None, "", TARGET, "not measured: no Redis"))
            for _, cache in stores:
                cache.close()
        finally:
            db.dispose()
        if key == "k":
            found += _over_http(server, seeded, rounds)
        server.stop()
    return found


def _settle(db: Any, family: str) -> None:
    """Wait until the family's change-log head stops moving: the server delivers a notification per
    order after the push (each a change-log row), and every new head is a miss by design."""
    from server.game.writer import change_log_head

    last, deadline = -1, time.monotonic() + 300
    while time.monotonic() < deadline:
        with db.read() as session:
            head = change_log_head(session, family)
        if head == last:
            return
        last = head
        time.sleep(1.0)


def _tier(
    what: str,
    key: str,
    first: int,
    read: Callable[[Any], Any],
    stores: list[tuple[str, Any]],
    seeded: Any,
    backend: str,
    setting: str,
    rounds: int,
) -> list[Figure]:
    """``what`` read without a cache, then on a miss and on a hit of each store, interleaved."""
    child = seeded.users["kid0"]
    variants: dict[str, Variant] = {"uncached": (None, lambda: read(None))}
    for where, cache in stores:
        variants[f"{where} miss"] = (
            (lambda c: lambda: _forget(c, seeded.family_id, child))(cache),
            (lambda c: lambda: read(c))(cache),
        )
        variants[f"{where} hit"] = (None, (lambda c: lambda: read(c))(cache))  # after the miss stored it
    reads = _interleaved(variants, rounds)
    uncached = reads["uncached"]
    base = f"{key}{first}"
    found = [
        Figure(
            base,
            f"{what} read, no cache (baseline), {setting}, CPU",
            uncached.cpu,
            "ms",
            "(baseline for the hits and misses below)",
            uncached.notes(),
        )
    ]
    for n, (where, _) in enumerate(stores):
        hit, miss = reads[f"{where} hit"], reads[f"{where} miss"]
        found.append(
            Figure(
                f"{key}{first + 1 + 2 * n}",
                f"{what} read, {where} cache hit, {backend}, CPU",
                hit.cpu,
                "ms",
                TARGET,
                hit.notes(uncached),
            )
        )
        found.append(
            Figure(
                f"{key}{first + 2 + 2 * n}",
                f"{what} read, {where} cache miss (compute, store), {backend}, CPU",
                miss.cpu,
                "ms",
                f"(cost of a miss over {base})",
                miss.notes() + f"; {miss.cpu / uncached.cpu:.2f}× the baseline's CPU",
            )
        )
    return found


def _forget(cache: Any, family: str, child: str) -> None:
    """Every entry gone (in process), or this child's (Redis): the next read is a miss."""
    if hasattr(cache, "_entries"):
        cache.close()
        return
    for key in cache._redis.scan_iter(f"{cache._prefix}*:{family}:{child}:*"):
        cache._redis.delete(key)


def _over_http(server: Any, seeded: Any, rounds: int) -> list[Figure]:
    """The route over loopback, the server's own cache in process: repeated reads against reads right
    after a commit of the family (a grant of 1 won from the parent's device: always a miss)."""
    path = f"/api/game/portfolio/{seeded.users['kid0']}"
    headers = seeded.headers("kid0")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    grants = iter(range(2, 10_000_000))

    def get() -> None:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"portfolio answered {answer.status}")

    def commit() -> None:
        n = next(grants)
        grant = {"child_id": seeded.users["kid0"], "grant_id": f"g{n}", "amount": 1, "reason": "bench"}
        body = {
            "protocol": 1,
            "client_id": seeded.devices["mom"],
            "mutations": [{"seq": n, "id": f"m{n}", "name": "family.grant/v1", "args": grant}],
        }
        connection.request("POST", "/api/sync/push", json.dumps(body), seeded.headers("mom"))
        connection.getresponse().read()

    try:
        reads = _interleaved({"miss": (commit, get), "hit": (None, get)}, rounds)
    finally:
        connection.close()
    hit, miss = reads["hit"], reads["miss"]
    return [
        Figure(
            "k6",
            "portfolio GET over HTTP, repeated (server's in-process cache hit)",
            hit.median,
            "ms",
            TARGET,
            hit.notes(miss, cpu=False) + " (k7)",
        ),
        Figure(
            "k7",
            "portfolio GET over HTTP right after a commit of the family (miss)",
            miss.median,
            "ms",
            "(baseline for k6)",
            miss.notes(),
        ),
    ]
