"""The README's first command, end to end over a real socket: ``yongdon demo`` on an empty data dir.

The demo family signs in (parent by password, child by PIN on its enrolled device), the child buys
with the demo prices and the purchase arrives on the child's device through a pull.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")}
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "demo", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the demo server did not become ready")
        yield url, tmp_path / "data"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_demo_family_can_sign_in_and_trade(demo: tuple[str, Path]) -> None:
    url, data_dir = demo
    credentials = json.loads((data_dir / "demo-credentials.json").read_text())
    with httpx.Client(base_url=url, timeout=10) as http:
        parent = http.post(
            "/api/users/login",
            json={
                "email": credentials["email"],
                "password": credentials["password"],
                "client_id": "readme-parent-laptop",
            },
        )
        assert parent.status_code == 200, parent.text
        jiu = next(c for c in credentials["children"] if c["preset"] == "classic")
        child = http.post(
            "/api/users/login/pin",
            json={"client_id": jiu["client_id"], "child_id": jiu["user_id"], "pin": jiu["pin"]},
        )
        assert child.status_code == 200, child.text
        kid = {"Authorization": f"Bearer {child.json()['access_token']}"}
        quote = http.get("/api/market/stocks/005930.KS/price", headers=kid).json()
        assert quote["source"] == "demo" and quote["currency"] == "KRW"
        bought = http.post(
            "/api/game/trade/buy",
            headers=kid,
            json={
                "symbol": "005930.KS",
                "quantity": 2_000_000,
                "quote_id": quote["quote_id"],
                "price": quote["price"],
            },
        )
        assert bought.status_code == 200, bought.text
        # whether the market is open right now decides between a fill and a queued order
        assert bought.json()["trade"]["status"] in ("filled", "queued")
        portfolio = http.get(f"/api/game/portfolio/{jiu['user_id']}", headers=kid).json()
        assert (
            portfolio["cash"] + portfolio["reserved"] + sum(p["value"] for p in portfolio["positions"])
            == portfolio["total_value"]
        )
        assert portfolio["cash"] < 1_000_000
        pulled = http.post("/api/sync/pull", headers=kid, json={"protocol": 1, "client_id": jiu["client_id"]})
        assert pulled.status_code == 200
        trades = [c for c in pulled.json()["changes"] if c["entity"] == "trade"]
        assert [t["data"]["symbol"] for t in trades] == ["005930.KS"]
