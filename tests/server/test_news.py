"""A stock's headlines (``GET /api/market/stocks/{symbol}/news``): Yahoo's news and OpenDART's
disclosures on a live server, kept 10 minutes, kid-safe, and "offline" when nobody answers.

Yahoo is the scripted one at the head of the live chain (its items shaped like yfinance 1.7's
``Ticker.news``, parsed by the real provider's parser); OpenDART is the real provider over an
``httpx.MockTransport`` answering like opendart.fss.or.kr (never the network)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.market.providers.opendart import OpenDartProvider
from server.market.providers.yahoo import yahoo_headlines
from tests.conftest import MovableClock
from tests.helpers import Family
from tests.support.market import ScriptedMarket, story

TUESDAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
SAMSUNG, APPLE = "005930.KS", "AAPL"


@pytest.fixture
def kid(client: TestClient[Litestar], clock: MovableClock) -> dict[str, str]:
    clock.now = TUESDAY
    return Family.create(client, ("지우",)).child("지우").headers


@pytest.fixture
def market(app: Litestar, clock: MovableClock) -> ScriptedMarket:
    clock.now = TUESDAY
    return ScriptedMarket(clock).attach(app)


def news(client: TestClient[Litestar], headers: dict[str, str], symbol: str) -> dict[str, Any]:
    response = client.get(f"/api/market/stocks/{symbol}/news", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_headlines_are_title_source_time_and_link_newest_first(
    client: TestClient[Litestar], kid: dict[str, str], market: ScriptedMarket
) -> None:
    market.yahoo.reports(
        APPLE,
        story(
            "Apple's old news", "Reuters", "2026-11-20T09:00:00Z", "https://finance.yahoo.com/news/old.html"
        ),
        story(
            "Apple unveils a phone", "Bloomberg", "2026-11-23T22:30:00Z", "https://finance.yahoo.com/n.html"
        ),
        story(
            "A story told elsewhere",
            "Motley Fool",
            "2026-11-22T12:00:00Z",
            "https://finance.yahoo.com/m/abc/told.html",
            click_through="https://www.fool.com/told",
        ),
        story("Not over https", "Somebody", "2026-11-23T00:00:00Z", "http://insecure.example/x"),
        story("", "Nobody", "2026-11-23T00:00:00Z", "https://finance.yahoo.com/empty.html"),
    )
    page = news(client, kid, APPLE)
    assert page["state"] == "live" and page["sources"] == ["yahoo"]
    assert page["items"] == [
        {
            "kind": "news",
            "title": "Apple unveils a phone",
            "source": "Bloomberg",
            "published_at": "2026-11-23T22:30:00Z",
            "link": "https://finance.yahoo.com/n.html",
        },
        {
            "kind": "news",
            "title": "A story told elsewhere",
            "source": "Motley Fool",
            "published_at": "2026-11-22T12:00:00Z",
            "link": "https://www.fool.com/told",  # where the story is, opened outside the app
        },
        {
            "kind": "news",
            "title": "Apple's old news",
            "source": "Reuters",
            "published_at": "2026-11-20T09:00:00Z",
            "link": "https://finance.yahoo.com/news/old.html",
        },
    ]
    assert "Summary" not in json.dumps(page) and "zenfs" not in json.dumps(page)  # no summaries, no pictures
    # a KRX code finds its ticker
    assert news(client, kid, "005930")["symbol"] == SAMSUNG


def test_headlines_are_kept_ten_minutes(
    client: TestClient[Litestar], kid: dict[str, str], market: ScriptedMarket, clock: MovableClock
) -> None:
    market.yahoo.reports(APPLE, story("First", "AP", "2026-11-24T00:00:00Z", "https://x.example/1"))
    assert [i["title"] for i in news(client, kid, APPLE)["items"]] == ["First"]
    market.yahoo.reports(APPLE, story("Second", "AP", "2026-11-24T00:30:00Z", "https://x.example/2"))
    clock.now += timedelta(minutes=9)
    assert [i["title"] for i in news(client, kid, APPLE)["items"]] == ["First"]
    assert market.yahoo.news_asked == [APPLE]
    clock.now += timedelta(minutes=2)
    page = news(client, kid, APPLE)
    assert [i["title"] for i in page["items"]] == ["Second"]
    assert page["as_of"] == "2026-11-24T01:11:00Z"


def test_offline_says_so_with_the_last_headlines_it_had(
    client: TestClient[Litestar], kid: dict[str, str], market: ScriptedMarket, clock: MovableClock
) -> None:
    market.yahoo.down = True
    assert news(client, kid, APPLE) == {
        "symbol": APPLE,
        "state": "offline",
        "as_of": None,
        "sources": [],
        "items": [],
    }
    market.yahoo.down = False
    market.yahoo.reports(APPLE, story("Kept", "AP", "2026-11-24T00:00:00Z", "https://x.example/k"))
    news(client, kid, APPLE)
    market.yahoo.down = True
    clock.now += timedelta(minutes=11)
    page = news(client, kid, APPLE)
    assert page["state"] == "offline" and page["as_of"] == "2026-11-24T01:00:00Z"
    assert [i["title"] for i in page["items"]] == ["Kept"]


def test_a_replay_server_has_no_news(client: TestClient[Litestar], kid: dict[str, str]) -> None:
    """The embedded default replays 2012: today's headlines would sit beside another year's price."""
    assert news(client, kid, SAMSUNG) == {
        "symbol": SAMSUNG,
        "state": "offline",
        "as_of": None,
        "sources": [],
        "items": [],
    }


def test_unknown_symbol_and_no_sign_in(client: TestClient[Litestar], kid: dict[str, str]) -> None:
    response = client.get("/api/market/stocks/NOPE.KS/news", headers=kid)
    assert response.status_code == 404 and response.json()["code"] == "SYMBOL_UNKNOWN"
    assert client.get(f"/api/market/stocks/{APPLE}/news").status_code == 401


# -- OpenDART --------------------------------------------------------------------------------------

CORP_CODES = """<?xml version="1.0" encoding="UTF-8"?>
<result>
    <list>
        <corp_code>00126380</corp_code>
        <corp_name>삼성전자</corp_name>
        <corp_eng_name>SAMSUNG ELECTRONICS CO,.LTD</corp_eng_name>
        <stock_code>005930</stock_code>
        <modify_date>20250303</modify_date>
    </list>
    <list>
        <corp_code>00434003</corp_code>
        <corp_name>다코</corp_name>
        <corp_eng_name>Daco corporation</corp_eng_name>
        <stock_code> </stock_code>
        <modify_date>20170630</modify_date>
    </list>
</result>
"""


def _zip(xml: str) -> bytes:
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as archive:
        archive.writestr("CORPCODE.xml", xml)
    return blob.getvalue()


def _row(report: str, receipt: str, day: str) -> dict[str, str]:
    return {
        "corp_code": "00126380",
        "corp_name": "삼성전자",
        "stock_code": "005930",
        "corp_cls": "Y",
        "report_nm": report,
        "rcept_no": receipt,
        "flr_nm": "삼성전자",
        "rcept_dt": day,
        "rm": "유",
    }


class FakeDart:
    """opendart.fss.or.kr as its guide describes it: ``corpCode.xml`` (a zip) and ``list.json``."""

    def __init__(self) -> None:
        self.rows = [
            _row("기업설명회(IR)개최(안내공시)", "20261120800410", "20261120"),
            _row("현금ㆍ현물배당결정  ", "20261123800512", "20261123"),
        ]
        self.status = "000"
        self.asked: list[tuple[str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.asked.append((request.url.path, params))
        assert params["crtfc_key"] == "k" * 40
        if request.url.path == "/api/corpCode.xml":
            return httpx.Response(
                200, content=_zip(CORP_CODES), headers={"content-type": "application/x-msdownload"}
            )
        if self.status != "000":
            return httpx.Response(200, json={"status": self.status, "message": "조회된 데이타가 없습니다."})
        body = {
            "status": "000",
            "message": "정상",
            "page_no": 1,
            "page_count": int(params["page_count"]),
            "total_count": len(self.rows),
            "total_page": 1,
            "list": self.rows,
        }
        return httpx.Response(200, json=body)


@pytest.fixture
def dart(app: Litestar, tmp_path: Path) -> FakeDart:
    fake = FakeDart()
    client = httpx.Client(transport=httpx.MockTransport(fake))
    app.state.opendart = OpenDartProvider("k" * 40, tmp_path / "opendart", client=client)
    return fake


def test_korean_disclosures_beside_the_news(
    client: TestClient[Litestar], kid: dict[str, str], market: ScriptedMarket, dart: FakeDart
) -> None:
    market.yahoo.reports(
        SAMSUNG, story("Samsung chips", "Reuters", "2026-11-22T03:00:00Z", "https://x.example/s")
    )
    page = news(client, kid, SAMSUNG)
    assert page["sources"] == ["yahoo", "opendart"]
    assert page["items"] == [
        {
            "kind": "disclosure",
            "title": "현금ㆍ현물배당결정",
            "source": "삼성전자",
            "published_at": "2026-11-22T15:00:00Z",  # 23 Nov in Seoul
            "link": "https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20261123800512",
        },
        {
            "kind": "news",
            "title": "Samsung chips",
            "source": "Reuters",
            "published_at": "2026-11-22T03:00:00Z",
            "link": "https://x.example/s",
        },
        {
            "kind": "disclosure",
            "title": "기업설명회(IR)개최(안내공시)",
            "source": "삼성전자",
            "published_at": "2026-11-19T15:00:00Z",
            "link": "https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20261120800410",
        },
    ]
    listing = [params for path, params in dart.asked if path == "/api/list.json"]
    assert listing[0]["corp_code"] == "00126380"
    assert (listing[0]["bgn_de"], listing[0]["end_de"]) == ("20261025", "20261124")
    # a US stock is not asked about; the company table is fetched once
    news(client, kid, APPLE)
    assert [path for path, _ in dart.asked] == ["/api/corpCode.xml", "/api/list.json"]


def test_disclosures_fail_alone(
    client: TestClient[Litestar],
    kid: dict[str, str],
    market: ScriptedMarket,
    dart: FakeDart,
    clock: MovableClock,
) -> None:
    dart.status = "013"  # nothing filed in the last 30 days: an answer
    assert news(client, kid, SAMSUNG)["sources"] == ["yahoo", "opendart"]
    clock.now += timedelta(minutes=11)
    dart.status = "020"  # over the request limit: OpenDART did not answer, Yahoo did
    market.yahoo.reports(SAMSUNG, story("Still news", "AP", "2026-11-24T00:00:00Z", "https://x.example/n"))
    page = news(client, kid, SAMSUNG)
    assert page["state"] == "live" and page["sources"] == ["yahoo"]
    assert [i["title"] for i in page["items"]] == ["Still news"]


def test_the_operator_sets_the_opendart_key_in_the_environment() -> None:
    from server.settings import _channel_env

    assert _channel_env({"YONGDON_OPENDART_KEY": "k" * 40}) == {"opendart_key": "k" * 40}


def test_yfinance_items_without_content_or_time_are_left_out() -> None:
    items: list[Any] = [
        {"id": "x"},
        {"content": {"title": "No time", "canonicalUrl": {"url": "https://x.example/a"}}},
        {"content": {"title": "Bad time", "pubDate": "yesterday", "canonicalUrl": {"url": "https://x.example/b"}}},
        {"content": {"title": "Tab\tand\nnewline", "pubDate": "2026-11-24T00:00:00Z",
                     "canonicalUrl": {"url": "https://x.example/c"}}},
    ]  # fmt: skip
    [only] = yahoo_headlines(items)
    assert only.title == "Tab and newline" and only.source == "Yahoo Finance"
