"""The README's first command, end to end over a real socket: ``yongdon demo`` on an empty data dir.

The demo family signs in (parent by password, child by PIN on its enrolled device), the child buys
with the demo prices and the purchase arrives on the child's device through a pull. The app the demo
opens shows the demo child's home in a real browser.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import chromium_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Demo:
    url: str
    data_dir: Path
    log: Path

    def app_link(self, timeout: float = 30.0) -> str:
        """The link the demo's app printed for the person who started it (with its secret)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"Yongdon is open at (http://127\.0\.0\.1:\d+/\?key=\S+)", self.log.read_text())
            if found:
                return found.group(1)
            time.sleep(0.1)
        raise AssertionError(f"the demo opened no app:\n{self.log.read_text()[-2000:]}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")}
    log = (tmp_path / "demo.log").open("w")
    command = ["demo", "--data-dir", str(tmp_path / "data"), "--port", str(port)]
    command += ["--app-port", str(_free_port()), "--no-browser"]
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "server", *command],
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
        yield Demo(url, tmp_path / "data", tmp_path / "demo.log")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_demo_family_can_sign_in_and_trade(demo: Demo) -> None:
    url, data_dir = demo.url, demo.data_dir
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
        assert quote["source"] == "sim" and quote["currency"] == "KRW"  # no bundled Korean history
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
        trades = {c["id"]: c["data"] for c in pulled.json()["changes"] if c["entity"] == "trade"}
        assert trades[bought.json()["trade"]["trade_id"]]["symbol"] == "005930.KS"
        # and the demo's first orders (Samsung and Apple at the prices the demo started with)
        assert sorted(t["symbol"] for t in trades.values()) == ["005930.KS", "005930.KS", "AAPL"]


def test_the_demo_opens_the_app_signed_in_as_the_demo_child(demo: Demo) -> None:
    from playwright.sync_api import sync_playwright

    link = demo.app_link()
    credentials = json.loads((demo.data_dir / "demo-credentials.json").read_text())
    child = credentials["children"][0]["name"]
    chromium = chromium_path()
    with sync_playwright() as p:
        args = ["--no-sandbox", "--enable-unsafe-swiftshader"]
        browser = p.chromium.launch(executable_path=chromium, args=args)
        try:
            page = browser.new_page(viewport={"width": 420, "height": 860})
            page.set_default_timeout(30_000)
            page.goto(link)
            page.wait_for_function("!document.getElementById('loading')")
            page.locator("flt-semantics-placeholder").dispatch_event("click")
            page.wait_for_function("document.querySelectorAll('flt-semantics').length > 1")
            # the child's home, not the enrolment or PIN screen: the demo signed the child in
            page.locator("[flt-semantics-identifier=home-total-label]").wait_for()
            assert page.get_by_text(child).count() >= 1
            assert page.locator("[flt-semantics-identifier=stepup-password]").count() == 0
        finally:
            browser.close()
