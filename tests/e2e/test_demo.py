"""The README's first command, end to end over real sockets: ``yongdon demo`` on an empty data dir.

The first run makes the demo family and lives its weeks of history through the product at replayed
real prices; the family is then checked only through the API, as the app sees it. A second run keeps
the family and its history and names each child's current rules. The terminal keeps the app's link
and the sign-in details (the request log goes to a file), and the app the demo opens shows the
family's history in a real browser: the child's home and allowance, the parent's approvals.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from server.market.providers.replay import bundled_history
from sync.rules import PRESETS, HouseRules
from tests.conftest import chromium_path
from tests.support.logs import keep_server_log, plant

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Demo:
    url: str
    data_dir: Path
    terminal: Path  # everything the command wrote to stdout and stderr, as a terminal shows it
    process: Any = None  # the `yongdon demo` process

    def credentials(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((self.data_dir / "demo-credentials.json").read_text())
        return found

    def output(self) -> str:
        return self.terminal.read_text()

    def app_link(self, timeout: float = 60.0) -> str:
        """The link the demo's app printed for the person who started it (with its secret)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"Yongdon is open at (http://127\.0\.0\.1:\d+/\?key=\S+)", self.output())
            if found:
                return found.group(1)
            time.sleep(0.2)
        raise AssertionError(f"the demo opened no app:\n{self.output()[-2000:]}")


@contextmanager
def running_demo(data_dir: Path, terminal: Path, *, app: bool, app_port: int | None = None) -> Iterator[Demo]:
    """``yongdon demo`` as a person runs it, stopped with Ctrl-C (SIGINT) at the end."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")}
    command = ["demo", "--data-dir", str(data_dir), "--port", str(port)]
    if app:
        command += ["--app-port", str(app_port or _free_port()), "--no-browser"]
        env |= {"YONGDON_APP_VIEW": "web", "LANG": "ko_KR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # the test machine has no keyring
    else:
        command.append("--no-app")
    out = terminal.open("w")
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "server", *command], env=env, stdout=out, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a first start builds the exchange calendars and the history
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"the demo server did not become ready:\n{terminal.read_text()[-3000:]}")
        demo = Demo(url, data_dir, terminal, process)
        # the log canary greps the demo's log file at the end of the session for the family's secrets
        # (the terminal shows the sign-in details on purpose: it is no log)
        keep_server_log(data_dir / "demo.log")
        credentials = demo.credentials()
        plant(credentials["password"], *(child["pin"] for child in credentials["children"]))
        yield demo
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.close()


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo as ``make demo`` starts it the first time: an empty data dir, with the app."""
    base = tmp_path_factory.mktemp("demo")
    with running_demo(base / "data", base / "terminal.txt", app=True) as demo:
        yield demo


class Session:
    """The demo family over the API: the parent on its own phone, the children on their devices."""

    def __init__(self, demo: Demo) -> None:
        self.http = httpx.Client(base_url=demo.url, timeout=20)
        self.credentials = demo.credentials()
        login = {
            "email": self.credentials["email"],
            "password": self.credentials["password"],
            "client_id": self.credentials["parent_client_id"],
        }
        self.parent = self._bearer(self.http.post("/api/users/login", json=login))
        self.kids = {}
        for child in self.credentials["children"]:
            body = {"client_id": child["client_id"], "child_id": child["user_id"], "pin": child["pin"]}
            self.kids[child["name"]] = self._bearer(self.http.post("/api/users/login/pin", json=body))
        self.ids = {c["name"]: c["user_id"] for c in self.credentials["children"]}

    @staticmethod
    def _bearer(response: httpx.Response) -> dict[str, str]:
        assert response.status_code == 200, response.text
        tokens = response.json()
        plant(tokens["access_token"], tokens.get("refresh_token"))  # for the log canary
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    def get(self, path: str, who: str = "엄마", **params: Any) -> Any:
        headers = self.parent if who == "엄마" else self.kids[who]
        response = self.http.get(path, headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def ledger(self, name: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        while True:
            before = {"before": entries[-1]["id"]} if entries else {}
            page = self.get(f"/api/game/ledger/{self.ids[name]}", limit=100, **before)
            entries += page
            if len(page) < 100:
                return entries

    def state(self) -> dict[str, Any]:
        """Everything a family would notice had changed: members, trades, requests, inboxes, ledgers."""
        family = self.get("/api/family")
        return {
            "members": sorted((m["user_id"], m["display_name"]) for m in family["members"]),
            "trades": {n: self.get(f"/api/game/trades/{i}", limit=100) for n, i in self.ids.items()},
            "requests": {n: self.get(f"/api/allowance/history/{i}") for n, i in self.ids.items()},
            "inbox": {w: self.get("/api/notifications", w)["notifications"] for w in ("엄마", *self.ids)},
            "ledger": {n: self.ledger(n) for n in self.ids},
        }

    def close(self) -> None:
        self.http.close()


def _replayed_quotes(data_dir: Path) -> dict[str, tuple[str, str, int]]:
    """Read-only: the server's quotes (symbol, source, price) by id, to trace where fills' prices
    came from (the API answers only the newest quote of a symbol)."""
    with sqlite3.connect(f"file:{data_dir / 'yongdon.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT quote_id, symbol, source, price FROM quotes").fetchall()
    return {quote_id: (symbol, source, price) for quote_id, symbol, source, price in rows}


def test_the_new_demo_family_has_lived_weeks_at_replayed_prices(first: Demo) -> None:
    family = Session(first)
    try:
        jiu, haneul = family.ids["지우"], family.ids["하늘"]

        # 지우 (classic rules) realised a profit by selling what she bought, at real replayed prices
        portfolio = family.get(f"/api/game/portfolio/{jiu}")
        assert portfolio["realised"] > 0
        assert portfolio["convertible_profit"] > 0
        assert (
            portfolio["cash"] + portfolio["reserved"] + sum(p["value"] for p in portfolio["positions"])
            == portfolio["total_value"]
        )
        trades = family.get(f"/api/game/trades/{jiu}", limit=100)
        sells = [t for t in trades if t["side"] == "sell"]
        assert sells and all(t["status"] == "filled" for t in trades)
        assert sum(t["realised"] for t in sells) == portfolio["realised"]
        quotes = _replayed_quotes(first.data_dir)
        for sale in sells:
            symbol, source, price = quotes[sale["fill_quote_id"]]
            assert (symbol, price) == (sale["symbol"], sale["fill_price"])
            assert source.startswith("replay:")  # the bundled real close of that day
            bar = bundled_history().bar_on(symbol, date.fromisoformat(source.removeprefix("replay:")))
            assert bar is not None and bar[1].close == price
        assert any(t["realised"] > 0 for t in sells)

        # her requests: one paid in cash, one rejected with a reason she can read, one waiting
        requests = {r["status"]: r for r in family.get(f"/api/allowance/history/{jiu}")}
        assert sorted(requests) == ["paid", "pending", "rejected"]
        assert requests["paid"]["paid_method"] == "cash"
        assert requests["paid"]["amount_real"] == requests["paid"]["amount_game"] // 10
        assert requests["rejected"]["reason"]
        assert family.get(f"/api/allowance/history/{jiu}", "지우") == family.get(
            f"/api/allowance/history/{jiu}"
        )

        # both inboxes were delivered before the app opened
        parent_inbox = {n["event"] for n in family.get("/api/notifications")["notifications"]}
        assert {"AllowanceRequested", "DeviceEnrolled"} <= parent_inbox
        kid_inbox = family.get("/api/notifications", "지우")["notifications"]
        assert {"TradeExecuted", "AllowanceApproved", "AllowancePaid", "AllowanceRejected"} <= {
            n["event"] for n in kid_inbox
        }
        rejection = next(n for n in kid_inbox if n["event"] == "AllowanceRejected")
        assert requests["rejected"]["reason"] in rejection["body"]

        # 하늘 is on the beginner rules with a small portfolio of Korean stocks
        rules = {r["child_id"]: r["rules"] for r in family.get("/api/family")["rules"]}
        assert msgspec.convert(rules[haneul], HouseRules) == PRESETS["beginner"]
        small = family.get(f"/api/game/portfolio/{haneul}", "하늘")
        assert small["positions"] and all(p["symbol"].endswith(".KS") for p in small["positions"])

        # every ledger transaction balances
        for name in family.ids:
            totals: dict[str, int] = {}
            for entry in family.ledger(name):
                totals[entry["txn_id"]] = totals.get(entry["txn_id"], 0) + entry["amount"]
            assert totals and set(totals.values()) == {0}, name
    finally:
        family.close()


def test_the_terminal_keeps_the_link_and_sign_in_details_and_the_app_shows_the_history(
    first: Demo,
) -> None:
    link = first.app_link()
    credentials = first.credentials()
    family = Session(first)
    try:
        jiu = family.ids["지우"]
        convertible = family.get(f"/api/game/portfolio/{jiu}")["convertible_profit"]
        waiting = [r for r in family.get(f"/api/allowance/history/{jiu}") if r["status"] == "pending"]
    finally:
        family.close()
    _walk_through_the_app(link, credentials, convertible, waiting[0]["amount_real"])
    output = first.output()
    # the app's link, the sign-in details and each child's current rules, and where the log is
    assert credentials["email"] in output and credentials["password"] in output
    for child in credentials["children"]:
        assert f"PIN {child['pin']}" in output
    assert re.search(r"지우 .*classic rules", output) and re.search(r"하늘 .*beginner rules", output)
    log = first.data_dir / "demo.log"
    assert str(log) in output
    # the browser made many requests: they are in the log file, none on the terminal
    assert '"route": "/api/sync/pull"' in log.read_text()
    assert '"event": "request"' not in output and "/api/" not in output.replace(first.url, "")
    assert len(output.splitlines()) < 20


def _walk_through_the_app(
    link: str, credentials: dict[str, Any], convertible: int, waiting_real: int
) -> None:
    """The child's home and allowance screens, then the parent's approvals, each kept as a picture
    in tests/artifacts (not committed)."""
    from playwright.sync_api import expect, sync_playwright

    from tests.client.browser.test_family_flow import sid, tap

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        args = ["--no-sandbox", "--enable-unsafe-swiftshader"]
        browser = p.chromium.launch(executable_path=chromium_path(), args=args)
        try:
            page = browser.new_page(viewport={"width": 420, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(link)
            page.wait_for_function("!document.getElementById('loading')")
            page.locator("flt-semantics-placeholder").dispatch_event("click")
            page.wait_for_function("document.querySelectorAll('flt-semantics').length > 1")
            try:
                # the child's home, not the enrolment or PIN screen: the demo signed 지우 in
                page.locator(sid("home-total-label")).wait_for()
                assert page.get_by_text(credentials["children"][0]["name"]).count() >= 1
                page.wait_for_timeout(800)
                page.screenshot(path=str(ARTIFACTS / "demo_child_home.png"))

                tap(page, page.get_by_role("tab", name="용돈 바꾸기"), page.locator(sid("allowance-amount")))
                requests = page.locator("[flt-semantics-identifier^=request-]")
                expect(requests).to_have_count(3, timeout=30_000)
                expect(page.locator(sid("allowance-convertible"))).to_contain_text(f"{convertible:,}")
                page.wait_for_timeout(800)
                page.screenshot(path=str(ARTIFACTS / "demo_child_allowance.png"), full_page=True)

                # the parent's approvals have work the moment they open (the demo fills in the password)
                tap(page, page.locator(sid("open-parent-mode")), page.get_by_role("button", name="열기"))
                jiu = credentials["children"][0]["user_id"]
                tap(page, page.get_by_role("button", name="열기"), page.locator(sid(f"dash-child-{jiu}")))
                expect(page.locator(sid(f"dash-pending-{jiu}"))).to_contain_text("1건")
                tap(
                    page,
                    page.locator(sid("dash-approvals")),
                    page.locator("[flt-semantics-identifier^=approval-pays-]"),
                )
                expect(page.locator("[flt-semantics-identifier^=approval-pays-]")).to_have_text(
                    f"승인하면 {waiting_real:,}원을 지급해요."
                )
                page.wait_for_timeout(800)
                page.screenshot(path=str(ARTIFACTS / "demo_parent_approvals.png"))
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "demo_failure.png"))
                raise
        finally:
            browser.close()


def test_a_second_run_keeps_the_family_and_names_its_current_rules(first: Demo, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    _copy_data_dir(first.data_dir, copy)
    with running_demo(copy, tmp_path / "second.txt", app=False) as second:
        family = Session(second)
        try:
            before = family.state()
            # a parent changes 지우's rules (with the password again, as the app asks)
            stepped = family.http.post(
                "/api/auth/step-up", headers=family.parent, json={"password": family.credentials["password"]}
            )
            elevated = {"Authorization": f"Bearer {stepped.json()['access_token']}"}
            changed = family.http.put(
                f"/api/family/children/{family.ids['지우']}/rules", headers=elevated, json={"fee_bps": 25}
            )
            assert changed.status_code == 200 and changed.json()["status"] == "applied", changed.text
        finally:
            family.close()
    with running_demo(copy, tmp_path / "third.txt", app=False) as third:
        family = Session(third)
        try:
            assert family.state() == before  # the same family, the same history, once
        finally:
            family.close()
    output = third.output()
    assert re.search(r"지우 .*custom rules: classic with fee_bps 25", output), output
    assert re.search(r"하늘 .*beginner rules", output), output
    assert "1 request waiting" in output


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_a_demo_whose_app_cannot_start_says_so_and_its_app_ends_with_it(first: Demo, tmp_path: Path) -> None:
    """The app's port is taken: the terminal says the app could not start (it waited with no link
    before) and the server goes on. Then a demo killed outright (no Ctrl-C, no SIGTERM handler
    runs) takes its app with it: an app left behind kept the port, and the next demo hung."""
    copy = tmp_path / "data"
    _copy_data_dir(first.data_dir, copy)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        with running_demo(copy, tmp_path / "taken.txt", app=True, app_port=port) as demo:
            deadline = time.monotonic() + 60
            while "The app could not start" not in demo.output() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "The app could not start" in demo.output() and "demo.log" in demo.output()
            assert httpx.get(f"{demo.url}/ready", timeout=5).status_code == 200
    with running_demo(copy, tmp_path / "killed.txt", app=True) as demo:
        app_port = int(re.search(r":(\d+)/", demo.app_link()).group(1))  # type: ignore[union-attr]
        assert _listening(app_port)
        demo.process.kill()
        deadline = time.monotonic() + 30
        while _listening(app_port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(app_port), "the demo's app outlived the demo"


def _copy_data_dir(source: Path, target: Path) -> None:
    """The first run's data dir while it runs: the database through SQLite's online backup, the
    secrets and credentials as files (the calendars' cache too, so the copy starts quickly)."""
    import shutil

    target.mkdir(parents=True)
    for name in ("secret.key", "demo-credentials.json"):
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "cache", target / "cache")
    with sqlite3.connect(source / "yongdon.db") as live, sqlite3.connect(target / "yongdon.db") as copy:
        live.backup(copy)
