"""The mixed-load users, for ``locust --headless`` (started by :mod:`bench.mixed_load`, not imported).

Each user is one enrolled child device of the family: 90 % reads (pulls, and the price GET a trade
screen makes), 10 % single-trade pushes citing the last price it was shown, at a constant rate each.
A 503 from load shedding is recorded as the failure ``shed`` so the report counts it apart.

``YONGDON_BENCH_DEVICES`` is a JSON file: ``[{"client_id", "token", "cursor", "mark", "seq"}, ...]``,
one per user, each device as its first sync left it; ``YONGDON_BENCH_STATE`` a folder where each
device's cursor, mark and seq are kept when a run stops and taken up by the next;
``YONGDON_BENCH_USER_RATE`` the requests per second of each user; ``YONGDON_BENCH_HEALTH=1`` makes
every user only GET ``/health`` (the raw baseline: the load generator and the HTTP stack alone);
``YONGDON_BENCH_SERVERS`` several server URLs to share the users among.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

SYMBOL = "005930.KS"
PRICE = f"/api/market/stocks/{SYMBOL}/price"
_DEVICES: list[dict[str, str]] = json.loads(Path(os.environ["YONGDON_BENCH_DEVICES"]).read_text())
_RATE = float(os.environ["YONGDON_BENCH_USER_RATE"])
_HEALTH = os.environ.get("YONGDON_BENCH_HEALTH") == "1"
# several server processes (``YONGDON_BENCH_SERVERS``, comma-separated URLs): user k talks to server
# k mod n throughout, as a round-robin proxy in front of them would spread the devices
_SERVERS = [u for u in os.environ.get("YONGDON_BENCH_SERVERS", "").split(",") if u]
_STATE = Path(os.environ.get("YONGDON_BENCH_STATE", "") or "state")
_numbers = itertools.count()


def _judge(response: Any) -> dict[str, Any] | None:
    """The answer's JSON when it is a 200; otherwise the request is marked failed (503: ``shed``)."""
    if response.status_code == 503:
        response.failure("shed")
    elif response.status_code != 200:
        response.failure(f"HTTP {response.status_code}")
    else:
        answer: dict[str, Any] = response.json()
        return answer
    return None


class ChildDevice(FastHttpUser):
    wait_time = constant_throughput(_RATE)

    def on_start(self) -> None:
        number = next(_numbers)
        device = _DEVICES[number % len(_DEVICES)]
        self.base = _SERVERS[number % len(_SERVERS)] if _SERVERS else ""  # "": the --host
        self.client_id = device["client_id"]
        self.auth = {"Authorization": f"Bearer {device['token']}"}
        saved = self._saved()
        if saved is not None:  # the same device in an earlier step
            device = {**device, **saved}
        self.cursor, self.mark = device.get("cursor", 0), device.get("mark")
        self.seq = self.acked = device.get("seq", 0)  # the device's last acknowledged mutation
        self.quote: dict[str, Any] | None = None
        if not _HEALTH:  # the app opened: it syncs and shows the price
            self.pull()
            self.price()

    def on_stop(self) -> None:
        _STATE.mkdir(parents=True, exist_ok=True)
        state = {"cursor": self.cursor, "mark": self.mark, "seq": self.seq}
        (_STATE / f"{self.client_id}.json").write_text(json.dumps(state))

    def _saved(self) -> dict[str, Any] | None:
        path = _STATE / f"{self.client_id}.json"
        return json.loads(path.read_text()) if path.exists() else None

    @task(45)
    def pull(self) -> None:
        if _HEALTH:
            self.health()
            return
        body = {
            "protocol": 3,  # the app's: its cursor proved by the mark it was answered with
            "client_id": self.client_id,
            "cursor": self.cursor,
            "checksum_mismatch": False,
            "last_seq_acked": self.acked,
        }
        if self.mark is not None:
            body["cursor_mark"] = self.mark
        with self.client.post(
            f"{self.base}/api/sync/pull", json=body, headers=self.auth, name="pull", catch_response=True
        ) as response:
            answer = _judge(response)
            if answer is not None:
                self.cursor, self.acked = answer["cursor"], answer["last_seq"]
                self.mark = answer.get("cursor_mark")
                self.seq = max(self.seq, answer["last_seq"])

    @task(45)
    def price(self) -> None:
        if _HEALTH:
            self.health()
            return
        url = f"{self.base}{PRICE}"
        with self.client.get(url, headers=self.auth, name="price", catch_response=True) as response:
            answer = _judge(response)
            if answer is not None:
                self.quote = answer

    @task(10)
    def push(self) -> None:
        if _HEALTH:
            self.health()
            return
        if self.quote is None:
            self.price()
            return
        seq = self.seq + 1
        mutation_id = f"{self.client_id}-{seq}"
        args = {
            "trade_id": f"t-{mutation_id}",
            "side": "buy",
            "symbol": SYMBOL,
            "amount": 2_000,
            "quote_id": self.quote["quote_id"],
            "price": self.quote["price"],
        }
        mutation = {"seq": seq, "id": mutation_id, "name": "trade.place/v1", "args": args}
        body = {"protocol": 3, "client_id": self.client_id, "mutations": [mutation]}
        with self.client.post(
            f"{self.base}/api/sync/push", json=body, headers=self.auth, name="push", catch_response=True
        ) as response:
            if response.status_code == 409 and response.json().get("code") == "GAP":
                self.seq = int(response.json()["expected_seq"]) - 1  # the protocol's answer: resend
                response.success()
            elif _judge(response) is not None:
                self.seq = seq  # a shed push is sent again with the same seq

    def health(self) -> None:
        with self.client.get(f"{self.base}/health", name="health", catch_response=True) as response:
            _judge(response)
