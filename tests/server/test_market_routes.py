"""``GET /api/market/search`` and ``GET /api/market/stocks/{symbol}`` over the bundled directory."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.helpers import Family


@pytest.fixture
def kid(client: TestClient[Any]) -> dict[str, str]:
    return Family.create(client, ("지우",)).child("지우").headers


def search(client: TestClient[Any], headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/market/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def test_search_in_korean_english_and_initial_consonants(
    client: TestClient[Any], kid: dict[str, str]
) -> None:
    assert search(client, kid, keyword="삼전")[0]["symbol"] == "005930.KS"
    assert search(client, kid, keyword="ㅇㅍ")[0]["symbol"] == "AAPL"
    first = search(client, kid, keyword="apple")[0]
    assert first == {
        "symbol": "AAPL",
        "code": "AAPL",
        "market": "NASDAQ",
        "name_ko": "애플",
        "name_en": "Apple",
        "sector": "IT·하드웨어",
        "matched_by": "name_en",
    }


def test_search_samsung_returns_every_samsung_listing(client: TestClient[Any], kid: dict[str, str]) -> None:
    found = search(client, kid, keyword="삼성")  # the default limit shows them all
    assert found[0]["symbol"] == "005930.KS"
    samsung = {r["symbol"] for r in found if r["name_en"].startswith("Samsung")}
    assert len(samsung) == 13
    assert [r["symbol"] for r in found[:13]] == [r["symbol"] for r in found if r["symbol"] in samsung]


def test_search_limit_and_empty_keyword(client: TestClient[Any], kid: dict[str, str]) -> None:
    assert len(search(client, kid, keyword="a", limit=3)) == 3
    assert search(client, kid, keyword="") == []
    assert search(client, kid, keyword="!!") == []
    assert search(client, kid) == []
    for bad in ("0", "51", "x"):
        response = client.get("/api/market/search", params={"keyword": "a", "limit": bad}, headers=kid)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "INVALID_ARGS"


def test_stock_by_ticker_or_code(client: TestClient[Any], kid: dict[str, str]) -> None:
    response = client.get("/api/market/stocks/005930.KS", headers=kid)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name_ko"] == "삼성전자"
    assert body["name_en"] == "Samsung Electronics"
    assert body["market"] == "KOSPI"
    assert body["currency"] == "KRW"
    assert body["sector"]
    assert body["description"]
    assert client.get("/api/market/stocks/005930", headers=kid).json()["symbol"] == "005930.KS"
    assert client.get("/api/market/stocks/aapl", headers=kid).json()["name_ko"] == "애플"


def test_unknown_stock_is_a_symbol_unknown_problem(client: TestClient[Any], kid: dict[str, str]) -> None:
    response = client.get("/api/market/stocks/NOPE.KS", headers=kid)
    assert response.status_code == 404
    assert response.json()["code"] == "SYMBOL_UNKNOWN"


def test_market_directory_needs_a_sign_in(client: TestClient[Any]) -> None:
    assert client.get("/api/market/search", params={"keyword": "삼성"}).status_code == 401
    assert client.get("/api/market/stocks/005930.KS").status_code == 401
