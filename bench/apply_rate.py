"""(a)–(c) The server's apply rate through HTTP: a real uvicorn process on loopback.

Batched: one device pushes 500 mutations per request (trades of a child, or a parent's grants).
Single: 8 client processes (one child device each) push one trade per request, closed loop, for a
fixed time; throughput counts applied mutations, latency is per request. Clients use the standard
library's ``http.client`` in separate processes, so the load generator costs the server's cores as
little as a Python generator can (research security.md §3e: httpx+asyncio tops out near 150–190/s).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import statistics
import time
from dataclasses import dataclass
from typing import Any

from tests.support.live import Seeded

__all__ = ["BatchResult", "SingleResult", "batched", "concurrent_single", "trade_args"]

SYMBOL = "005930.KS"
SHARES = 15_000  # micro-shares: 0.015 × 70,000 = 1,050 won, just above the minimum order


def trade_args(seeded: Seeded, trade_id: str, seq: int) -> dict[str, Any]:
    """Buy, then sell the same small amount: the money never runs out however long the run."""
    quote = seeded.quotes[SYMBOL]
    side = "buy" if seq % 2 else "sell"
    return {
        "trade_id": trade_id,
        "side": side,
        "symbol": SYMBOL,
        "quantity": SHARES,
        "quote_id": quote.quote_id,
        "price": quote.price,
    }


@dataclass
class BatchResult:
    rates: list[float]  # mutations/s of each batch
    statuses: dict[str, int]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def _post(
    connection: http.client.HTTPConnection, path: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    connection.request("POST", path, body=json.dumps(body), headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def batched(port: int, seeded: Seeded, device: str, size: int, batches: int, kind: str) -> BatchResult:
    """``batches`` pushes of ``size`` mutations each from ``device``; the rate of each push.

    ``kind`` is ``trade`` (a child's device) or ``grant`` (the parent's device, to ``kid1``).
    """
    rates: list[float] = []
    statuses: dict[str, int] = {}
    client_id = seeded.devices[device]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        for batch in range(batches):
            mutations = []
            for seq in range(batch * size + 1, (batch + 1) * size + 1):
                mutation_id = f"{client_id}-b{seq}"
                if kind == "grant":
                    args = {
                        "child_id": seeded.users["kid1"],
                        "grant_id": f"g-{mutation_id}",
                        "amount": 1_000,
                        "reason": "bench",
                    }
                    mutations.append({"seq": seq, "id": mutation_id, "name": "family.grant/v1", "args": args})
                else:
                    args = trade_args(seeded, f"t-{mutation_id}", seq)
                    mutations.append({"seq": seq, "id": mutation_id, "name": "trade.place/v1", "args": args})
            body = {"protocol": 1, "client_id": client_id, "mutations": mutations}
            started = time.perf_counter()
            status, answer = _post(connection, "/api/sync/push", body, seeded.headers(device))
            elapsed = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"batched push answered {status}: {str(answer)[:300]}")
            for result in answer["results"]:
                statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            rates.append(size / elapsed)
    finally:
        connection.close()
    return BatchResult(rates, statuses)


@dataclass
class SingleResult:
    rate: float
    latencies_ms: list[float]
    applied: int
    errors: int
    retries: int


def _single_client(args: tuple[int, str, dict[str, str], dict[str, Any], float, float]) -> dict[str, Any]:
    port, client_id, headers, quote, start_at, seconds = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    applied = errors = retries = 0
    seq = 0
    while time.time() < start_at:
        time.sleep(0.001)
    stop_at = start_at + seconds
    while time.time() < stop_at:
        seq += 1
        mutation_id = f"{client_id}-s{seq}"
        args = {
            "trade_id": f"t-{mutation_id}",
            "side": "buy" if seq % 2 else "sell",
            "symbol": SYMBOL,
            "quantity": SHARES,
            "quote_id": quote["quote_id"],
            "price": quote["price"],
        }
        body = {
            "protocol": 1,
            "client_id": client_id,
            "mutations": [{"seq": seq, "id": mutation_id, "name": "trade.place/v1", "args": args}],
        }
        while True:
            began = time.perf_counter()
            status, answer = _post(connection, "/api/sync/push", body, headers)
            latencies.append((time.perf_counter() - began) * 1000)
            if status == 503:  # busy: the protocol says retry the same push
                retries += 1
                continue
            break
        if status != 200:
            errors += 1
            break
        applied += sum(r["status"] in ("applied", "adjusted") for r in answer["results"])
    connection.close()
    return {
        "latencies": latencies,
        "applied": applied,
        "errors": errors,
        "retries": retries,
        "end": time.time(),
    }


def concurrent_single(port: int, seeded: Seeded, devices: list[str], seconds: float) -> SingleResult:
    quote = {"quote_id": seeded.quotes[SYMBOL].quote_id, "price": seeded.quotes[SYMBOL].price}
    start_at = time.time() + 0.5
    jobs = [(port, seeded.devices[d], seeded.headers(d), quote, start_at, seconds) for d in devices]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        outputs = pool.map(_single_client, jobs)
    elapsed = max(o["end"] for o in outputs) - start_at
    latencies = [ms for o in outputs for ms in o["latencies"]]
    applied = sum(o["applied"] for o in outputs)
    return SingleResult(
        applied / elapsed,
        latencies,
        applied,
        sum(o["errors"] for o in outputs),
        sum(o["retries"] for o in outputs),
    )
