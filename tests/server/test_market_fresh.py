"""A fresh server, where a new family starts: every symbol in the directory can be priced and traded
from the first request, with no quote put in by hand (issue 13).

Each test starts like a user: an empty database, a parent registered through the API, a child added
and its device paired with a code. Prices then come only from the product: the replay of the bundled
real history (``replay:<date>``) or the labelled simulation (``sim``).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from litestar import Litestar
from litestar.testing import TestClient
from requests.models import PreparedRequest, Response

from server.cli import main
from server.market.admin import choose_mode
from server.market.clock import FixedMarketClock
from server.market.fx import ecb_usdkrw
from server.market.pricer import FIRST_QUOTE_WAIT
from server.market.providers import build_chain
from server.market.refresher import Refresher, provide_market_chain
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family, Member
from tests.server.test_providers_yahoo import FakeYahoo
from tests.support.live import yongdon_server

REPLAYED = re.compile(r"^replay:\d{4}-\d{2}-\d{2}$")
FIRST = ("AAPL", "MSFT", "005930.KS", "035720.KS")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url=database_url, live_quote_interval_s=0.05)  # quotes every 50 ms


@pytest.fixture
def home(client: TestClient[Any], app: Litestar) -> Family:
    app.state.market_clock = FixedMarketClock()  # both markets open: an order fills now
    return Family.create(client, ("지우",))


def price(client: TestClient[Any], member: Member, symbol: str) -> dict[str, Any]:
    response = client.get(f"/api/market/stocks/{symbol}/price", headers=member.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def pull(client: TestClient[Any], member: Member) -> dict[str, Any]:
    body = {"protocol": 1, "client_id": member.client_id, "cursor": 0}
    response = client.post("/api/sync/pull", json=body, headers=member.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def push_order(client: TestClient[Any], member: Member, args: dict[str, Any]) -> dict[str, Any]:
    seq = int(pull(client, member)["last_seq"]) + 1
    mutation = {"seq": seq, "id": uuid.uuid4().hex, "name": "trade.place/v1", "args": args}
    body = {"protocol": 1, "client_id": member.client_id, "mutations": [mutation]}
    response = client.post("/api/sync/push", json=body, headers=member.headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["results"][0])


def test_the_first_price_of_each_symbol_comes_from_the_replay_or_the_simulation(
    client: TestClient[Any], app: Litestar, home: Family, clock: MovableClock
) -> None:
    kid = home.child("지우")
    first = {symbol: price(client, kid, symbol) for symbol in FIRST}
    assert REPLAYED.match(first["AAPL"]["source"]) and REPLAYED.match(first["MSFT"]["source"])
    assert first["005930.KS"]["source"] == first["035720.KS"]["source"] == "sim"
    assert [first[s]["currency"] for s in FIRST] == ["USD", "USD", "KRW", "KRW"]
    assert all(q["price"] > 0 for q in first.values())
    # asking again records nothing new: the price has not moved
    assert price(client, kid, "MSFT")["quote_id"] == first["MSFT"]["quote_id"]
    # a KRX code finds its ticker, as the stock page does
    assert price(client, kid, "035720")["quote_id"] == first["035720.KS"]["quote_id"]

    # the symbols are watched now: the next replayed session moves every one of them
    refresher = Refresher(app.state.db, provide_market_chain(app.state), clock)
    clock.advance(days=1)
    moved = {q.symbol: q for q in refresher.run_once()}
    assert set(moved) >= set(FIRST)
    assert moved["MSFT"].source != first["MSFT"]["source"] and REPLAYED.match(moved["MSFT"].source)


def test_the_stock_page_and_the_chart_make_a_symbol_priced(client: TestClient[Any], home: Family) -> None:
    kid = home.child("지우")
    page = client.get("/api/market/stocks/000660.KS", headers=kid.headers)
    assert page.status_code == 200, page.text
    chart = client.get("/api/market/stocks/KO/history", params={"range": "1M"}, headers=kid.headers)
    assert chart.status_code == 200, chart.text
    # the device's next pull brings the prices of what it looked at, ready to trade on
    quotes = {c["data"]["symbol"]: c["data"] for c in pull(client, kid)["changes"] if c["entity"] == "quote"}
    assert quotes["000660.KS"]["source"] == "sim"
    assert REPLAYED.match(quotes["KO"]["source"])
    assert quotes["USDKRW=X"]["price"] > 0  # a US stock's page brings the rate its fills convert at


def test_the_child_buys_through_rest_and_through_a_push_on_a_fresh_server(
    client: TestClient[Any], home: Family
) -> None:
    kid = home.child("지우")
    # REST, citing no quote: a US stock, so the rate must be there too from the first request
    bought = client.post(
        "/api/game/trade/buy", json={"symbol": "AAPL", "amount": 100_000}, headers=kid.headers
    )
    assert bought.status_code == 200, bought.text
    trade = bought.json()["trade"]
    assert trade["status"] == "filled" and trade["fx_quote_id"], trade

    # a push citing no quote (an order placed offline on a symbol the server never priced)
    offline = push_order(
        client, kid, {"trade_id": uuid.uuid4().hex, "side": "buy", "symbol": "035720.KS", "amount": 100_000}
    )
    assert offline["status"] in ("applied", "adjusted"), offline

    # a push citing the quote the device pulled after its parent looked at Samsung
    price(client, home.parent, "005930.KS")
    pulled = {c["data"]["symbol"]: c["data"] for c in pull(client, kid)["changes"] if c["entity"] == "quote"}
    samsung = pulled["005930.KS"]
    cited = push_order(
        client,
        kid,
        {
            "trade_id": uuid.uuid4().hex,
            "side": "buy",
            "symbol": "005930.KS",
            "quantity": 1_000_000,
            "quote_id": samsung["quote_id"],
            "price": samsung["price"],
        },
    )
    assert cited["status"] == "applied", cited
    holdings = client.get(f"/api/game/portfolio/{kid.user_id}", headers=kid.headers).json()
    assert {h["symbol"] for h in holdings["positions"]} == {"AAPL", "035720.KS", "005930.KS"}


def test_a_live_subscribe_on_a_fresh_server_gets_a_quote(client: TestClient[Any], home: Family) -> None:
    kid = home.child("지우")
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": kid.access})
        assert ws.receive_json(timeout=5)["type"] == "ready"
        ws.send_json({"type": "subscribe", "channels": ["prices:035420.KS", "prices:GE"]})
        assert ws.receive_json(timeout=5)["type"] == "subscribed"
        got = {}
        while len(got) < 2:
            message = ws.receive_json(timeout=5)
            assert message["type"] == "quote", message
            got[message["symbol"]] = message
    assert got["035420.KS"]["source"] == "sim" and got["035420.KS"]["price"] > 0
    assert REPLAYED.match(got["GE"]["source"])


def test_a_symbol_not_listed_yet_on_the_replay_date_is_watched_until_it_is(
    client: TestClient[Any], app: Litestar, home: Family, clock: MovableClock
) -> None:
    """META was listed on 2012-05-18: a time machine at 2012-05-16 has no price for it (never a made-up
    one), and the first replayed session after its listing prices it without anyone asking again."""
    choose_mode(app.state.db, clock(), "replay", date(2012, 5, 16), 1.0)
    kid = home.child("지우")
    response = client.get("/api/market/stocks/META/price", headers=kid.headers)
    assert response.status_code == 404 and response.json()["code"] == "SYMBOL_UNKNOWN"
    refresher = Refresher(app.state.db, provide_market_chain(app.state), clock)
    assert "META" not in {q.symbol for q in refresher.run_once()}
    clock.advance(days=2)
    listed = {q.symbol: q for q in refresher.run_once()}
    assert listed["META"].source == "replay:2012-05-18"


def test_a_symbol_outside_the_directory_is_still_unknown(client: TestClient[Any], home: Family) -> None:
    response = client.get("/api/market/stocks/NOPE.KS/price", headers=home.child("지우").headers)
    assert response.status_code == 404 and response.json()["code"] == "SYMBOL_UNKNOWN"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    """``yongdon server`` on an empty data dir, in its own process, over a real socket."""
    data = tmp_path / "family"
    with yongdon_server(data, tmp_path / "server.log") as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http, data


def test_yongdon_server_on_an_empty_data_dir_prices_and_trades_from_the_first_request(
    served: tuple[httpx.Client, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    http, data = served
    family = Family.create(http, ("지우",))  # type: ignore[arg-type]  (an httpx client, like TestClient)
    kid = family.child("지우")
    for symbol in FIRST:
        quote = price(http, kid, symbol)  # type: ignore[arg-type]
        assert REPLAYED.match(quote["source"]) or quote["source"] == "sim", quote
    # the markets may be open or closed as this runs: filled now, or queued for the opening price
    bought = http.post(
        "/api/game/trade/buy", json={"symbol": "MSFT", "quantity": 1_000_000}, headers=kid.headers
    )
    assert bought.status_code == 200, bought.text
    assert bought.json()["trade"]["status"] in ("filled", "queued"), bought.text
    queued_or_held = http.post(
        "/api/game/trade/buy", json={"symbol": "035720.KS", "amount": 50_000}, headers=kid.headers
    )
    assert queued_or_held.status_code == 200, queued_or_held.text

    # the operator sees what the server keeps priced; a backfilled symbol joins it
    main(["market", "backfill", "KO", "--range", "1W", "--data-dir", str(data)])
    assert "watching: KO" in capsys.readouterr().out
    main(["market", "status", "--data-dir", str(data)])
    status = capsys.readouterr().out
    watched = next(line for line in status.splitlines() if line.startswith("watched:"))
    for symbol in (*FIRST, "KO", "USDKRW=X"):
        assert symbol in watched, status
    assert REPLAYED.match(price(http, kid, "KO")["source"])  # type: ignore[arg-type]


# -- live mode: Yahoo first, never waited on for more than a moment ------------------------------------


class SlowYahoo(FakeYahoo):
    """Yahoo's answers, each after ``delay`` seconds (a congested link, a stalled connection)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        time.sleep(self.delay)
        return super().send(request, **kwargs)


@pytest.fixture
def live(app: Litestar, clock: MovableClock) -> Iterator[Callable[[FakeYahoo], None]]:
    """Switch the app to live mode with Yahoo answering through ``fake`` (the HTTP boundary)."""
    sessions: list[requests.Session] = []

    def use(fake: FakeYahoo) -> None:
        session = requests.Session()
        session.mount("https://", fake)
        session.mount("http://", fake)
        sessions.append(session)
        choose_mode(app.state.db, clock(), "live", None, None)
        app.state.market_chain = build_chain(
            app.state.db, app.state.settings.data_dir, clock(), yahoo_session=session
        )

    yield use
    for session in sessions:
        session.close()


def test_live_the_first_price_is_yahoos(
    client: TestClient[Any], home: Family, live: Callable[[FakeYahoo], None]
) -> None:
    live(FakeYahoo())
    kid = home.child("지우")
    samsung = price(client, kid, "005930.KS")
    assert (samsung["source"], samsung["price"]) == ("yahoo", 72_000)
    bought = client.post(
        "/api/game/trade/buy", json={"symbol": "AAPL", "amount": 1_000_000}, headers=kid.headers
    )
    assert bought.status_code == 200, bought.text
    trade = bought.json()["trade"]
    assert trade["fill_price"] == 516_169_983 and trade["fx_rate"] == 1_385_230_000  # Yahoo's KRW=X


def test_live_a_slow_yahoo_is_not_waited_for(
    client: TestClient[Any],
    app: Litestar,
    home: Family,
    live: Callable[[FakeYahoo], None],
    clock: MovableClock,
) -> None:
    slow = SlowYahoo(delay=FIRST_QUOTE_WAIT + 1.5)
    live(slow)
    kid = home.child("지우")
    started = time.monotonic()
    first = price(client, kid, "005930.KS")
    assert time.monotonic() - started < FIRST_QUOTE_WAIT + 1.0  # about the bound, not Yahoo's delay
    assert first["source"] == "sim"  # the chain's fallback, labelled (nothing was stored before)
    # Yahoo answers later; the refresher's next pass brings its live price
    slow.delay = 0
    refresher = Refresher(app.state.db, app.state.market_chain, clock, FixedMarketClock())
    time.sleep(FIRST_QUOTE_WAIT + 1.0)
    moved = {q.symbol: q for q in refresher.run_once()}
    assert (moved["005930.KS"].source, moved["005930.KS"].price) == ("yahoo", 72_000)


def test_live_with_yahoo_down_a_us_buy_converts_at_todays_bundled_rate(
    client: TestClient[Any], home: Family, live: Callable[[FakeYahoo], None], clock: MovableClock
) -> None:
    """Not the replay's rate of some past day: on a live server that would pass for today's."""
    down = FakeYahoo()
    down.status = 429
    live(down)
    kid = home.child("지우")
    assert REPLAYED.match(price(client, kid, "AAPL")["source"])  # Yahoo down, nothing stored: history
    rate = client.get("/api/market/fx/USDKRW", headers=kid.headers).json()
    ecb = ecb_usdkrw(clock().date())
    assert ecb is not None and (rate["source"], rate["rate"]) == ("ecb", ecb.rate)


def test_a_running_server_follows_yongdon_market_use(served: tuple[httpx.Client, Path]) -> None:
    """The operator's switch, from the CLI while ``yongdon server`` runs: no restart needed."""
    http, data = served
    kid = Family.create(http, ("지우",)).child("지우")  # type: ignore[arg-type]
    assert price(http, kid, "MSFT")["source"] >= "replay:2012-01-03"  # type: ignore[arg-type]  (the default)
    main(["market", "use", "replay", "--start", "2009-05-19", "--speed", "5760", "--data-dir", str(data)])
    seen: list[str] = []
    deadline = time.monotonic() + 60  # a refresher pass is 5 s; a busy box is slower
    while not seen or not "2009-05-19" <= seen[-1] <= "2009-05-22":
        assert time.monotonic() < deadline, f"the server still replays {seen[-1:]}"
        time.sleep(0.5)
        status = http.get("/api/market/status", headers=kid.headers).json()
        seen.append(status["provider"]["detail"]["replay_date"])
    # the stock she looked at before the switch is priced on the new replay's days now
    moved = until_moved(http, kid)
    assert "replay:2009-05-19" <= moved <= "replay:2009-06-30", moved


def until_moved(http: httpx.Client, kid: Member) -> str:
    deadline = time.monotonic() + 30
    while (source := price(http, kid, "MSFT")["source"]) >= "replay:2012":  # type: ignore[arg-type]
        assert time.monotonic() < deadline, source
        time.sleep(0.5)
    return str(source)
