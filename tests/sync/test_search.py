"""Symbol search as a child types it: codes, tickers, Korean names, initial consonants, English, typos.

Runs over the real bundled directory (``assets/market/symbols.json``), which is also checked here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from sync.search import MARKETS, SymbolEntry, SymbolIndex, choseong, entries_from_json, normalize

SYMBOLS = Path(__file__).resolve().parents[2] / "assets" / "market" / "symbols.json"
ENTRIES = entries_from_json(SYMBOLS.read_text(encoding="utf-8"))
INDEX = SymbolIndex(ENTRIES)

SAMSUNG = {
    "005930.KS",
    "005935.KS",
    "207940.KS",
    "006400.KS",
    "028260.KS",
    "032830.KS",
    "000810.KS",
    "009150.KS",
    "018260.KS",
    "010140.KS",
    "016360.KS",
    "029780.KS",
    "028050.KS",
}


def top(query: str, limit: int = 10) -> list[str]:
    return [m.entry.symbol for m in INDEX.search(query, limit)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("삼전", "005930.KS"),
        ("ㅅㅅㅈㅈ", "005930.KS"),
        ("삼성전자", "005930.KS"),
        ("삼성 전자", "005930.KS"),
        ("005930", "005930.KS"),
        ("005930.KS", "005930.KS"),
        ("005930.ks", "005930.KS"),
        ("하이닉스", "000660.KS"),
        ("하닉", "000660.KS"),
        ("SK하이닉스", "000660.KS"),
        ("sk hynix", "000660.KS"),
        ("ㅇㅍ", "AAPL"),
        ("애플", "AAPL"),
        ("apple", "AAPL"),
        ("APPLE", "AAPL"),
        ("ａｐｐｌｅ", "AAPL"),  # full-width letters from a Korean keyboard
        ("aapl", "AAPL"),
        ("nvda", "NVDA"),
        ("엔비디아", "NVDA"),
        ("엔비디야", "NVDA"),
        ("nvidai", "NVDA"),
        ("마이크로소프트", "MSFT"),
        ("마소", "MSFT"),
        ("테슬라", "TSLA"),
        ("테슬러", "TSLA"),
        ("구글", "GOOGL"),
        ("알파벳", "GOOGL"),
        ("아마존", "AMZN"),
        ("페이스북", "META"),
        ("브릭비", None),  # nothing like it: no result rather than a wild guess
        ("brk.b", "BRK-B"),
        ("BRK-B", "BRK-B"),
        ("카카오", "035720.KS"),
        ("ㅋㅋㅇ", "035720.KS"),
        ("현대차", "005380.KS"),
        ("네이버", "035420.KS"),
        ("naver", "035420.KS"),
        ("불닭", "003230.KS"),
        ("삼성전가", "005930.KS"),
        ("삼ㅅㅈㅈ", "005930.KS"),
        ("coca cola", "KO"),
    ],
)
def test_top_result(query: str, first: str | None) -> None:
    found = top(query)
    if first is None:
        assert found == []
    else:
        assert found[:1] == [first], found


def test_samsung_lists_every_samsung_listing_first() -> None:
    found = top("삼성", limit=20)
    assert set(found[: len(SAMSUNG)]) == SAMSUNG
    assert found[0] == "005930.KS"


def test_kakao_first_then_the_other_kakao_listings() -> None:
    found = top("카카오")
    assert found[0] == "035720.KS"
    assert set(found[1:4]) == {"323410.KS", "377300.KS", "293490.KQ"}


def test_samsung_in_english_finds_the_samsung_listings() -> None:
    assert set(top("samsung", limit=20)[: len(SAMSUNG)]) == SAMSUNG


@pytest.mark.parametrize("query", ["", "   ", "!!", "?.-", "\u3000", "ㆍ"])
def test_empty_or_punctuation_only_finds_nothing(query: str) -> None:
    assert INDEX.search(query) == []


def test_limit_is_respected() -> None:
    assert len(INDEX.search("a", limit=3)) == 3
    assert INDEX.search("삼성", limit=0) == []


def test_why_it_matched() -> None:
    reasons = {q: INDEX.search(q, 1)[0].reason for q in ("005930", "00593", "애플", "ㅇㅍ", "apple", "삼전")}
    assert reasons == {
        "005930": "ticker",
        "00593": "ticker_prefix",
        "애플": "name_ko",
        "ㅇㅍ": "choseong",
        "apple": "name_en",
        "삼전": "alias",
    }
    assert INDEX.search("엔비디야", 1)[0].reason == "typo"


def test_ranking_puts_names_before_consonants_before_typos() -> None:
    index = SymbolIndex(
        [
            SymbolEntry("B", "B", "NYSE", "삼성전기", "B"),
            SymbolEntry("C", "C", "NYSE", "상승제주", "C"),  # ㅅㅅㅈㅈ
            SymbolEntry("A", "A", "NYSE", "가나", "Gana", aliases=("삼숑전자",)),
        ]
    )
    assert [m.entry.symbol for m in index.search("ㅅㅅㅈㅈ")] == ["C"]
    assert [m.reason for m in index.search("삼성전자")] == ["typo", "typo"]


def test_choseong_and_normalize() -> None:
    assert choseong("삼성전자") == "ㅅㅅㅈㅈ"
    assert choseong("SK하이닉스") == "SKㅎㅇㄴㅅ"
    assert normalize("ㅅㅅ ㅈㅈ") == "ㅅㅅㅈㅈ"  # typed compatibility jamo survive NFKC
    assert normalize("Ｓａｍｓｕｎｇ  Electronics!") == "samsungelectronics"
    decomposed = "\u1109\u1161\u11b7\u1109\u1165\u11bc"  # 삼성 as conjoining jamo (macOS input)
    assert normalize(decomposed) == "삼성"


def test_get_by_ticker_or_code() -> None:
    assert INDEX.get("005930") is INDEX.get("005930.ks") is INDEX.get(" 005930.KS ")
    assert INDEX.get("aapl") is not None
    assert INDEX.get("NOPE") is None


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.symbol)
def test_every_entry_is_found_first_by_its_code_and_its_korean_name(entry: SymbolEntry) -> None:
    assert top(entry.code, 1) == [entry.symbol]
    assert top(entry.symbol, 1) == [entry.symbol]
    # A Korean name that is also another listing's ticker ("GS") yields to the ticker, then follows it.
    shadowed = INDEX.get(entry.name_ko) not in (None, entry)
    assert top(entry.name_ko, 2 if shadowed else 1)[-1] == entry.symbol


def test_a_korean_name_that_is_a_ticker_comes_right_after_it() -> None:
    assert top("GS", 2) == ["GS", "078930.KS"]


# -- the directory file itself ------------------------------------------------------------------------


def test_directory_has_enough_listings() -> None:
    markets = Counter(e.market for e in ENTRIES)
    assert markets["KOSPI"] + markets["KOSDAQ"] >= 200
    assert markets["NASDAQ"] + markets["NYSE"] >= 100
    assert set(markets) <= set(MARKETS)


def test_directory_entries_are_well_formed() -> None:
    raw = json.loads(SYMBOLS.read_text(encoding="utf-8"))["symbols"]
    assert len(raw) == len(ENTRIES)
    for e in ENTRIES:
        assert e.name_ko and e.name_en and e.sector, e.symbol
        assert e.fame in (1, 2, 3), e.symbol
        if e.market in ("KOSPI", "KOSDAQ"):
            assert re.fullmatch(r"\d{6}", e.code), e.symbol
            suffix = ".KS" if e.market == "KOSPI" else ".KQ"
            assert e.symbol == e.code + suffix, e.symbol
            assert e.currency == "KRW"
        else:
            assert re.fullmatch(r"[A-Z]{1,5}(-[A-Z])?", e.symbol), e.symbol
            assert e.code == e.symbol
            assert e.currency == "USD"
        assert all(normalize(a) for a in e.aliases), e.symbol


@pytest.mark.parametrize("attribute", ["symbol", "code", "name_ko", "name_en"])
def test_directory_has_no_duplicates(attribute: str) -> None:
    counts = Counter(getattr(e, attribute) for e in ENTRIES)
    assert [value for value, n in counts.items() if n > 1] == []


def test_known_codes() -> None:
    """The listings the brief names, spot-checked against their well-known codes."""
    known = {
        "삼성전자": "005930.KS",
        "삼성전자우": "005935.KS",
        "SK하이닉스": "000660.KS",
        "카카오": "035720.KS",
        "NAVER": "035420.KS",
        "현대차": "005380.KS",
        "에코프로비엠": "247540.KQ",
        "애플": "AAPL",
        "엔비디아": "NVDA",
    }
    assert {name: INDEX.search(name, 1)[0].entry.symbol for name in known} == known


def test_every_symbol_has_a_kid_level_description_in_korean_and_english() -> None:
    raw = json.loads(SYMBOLS.read_text(encoding="utf-8"))
    assert raw["version"] == 2  # version 2 added description_en
    blank = [e.symbol for e in ENTRIES if not e.description.strip() or not e.description_en.strip()]
    assert blank == []
    for e in ENTRIES:
        assert e.describe("ko") == e.description and e.describe("en") == e.description_en
        assert re.search("[가-힣]", e.description), e.symbol  # the Korean one is Korean
        assert not re.search("[가-힣]", e.description_en), e.symbol  # the English one has no Hangul
        # a sector text names the company, with the particle its name takes ("은(는)" never shows)
        assert not re.search(r"[을이은와]\((를|가|는|과)\)", e.description), e.description
    by_symbol = {e.symbol: e for e in ENTRIES}
    assert by_symbol["AAPL"].describe("en").startswith("An American company that makes the iPhone")
    assert by_symbol["000100.KS"].description.startswith("유한양행은 ")  # made from its sector


def test_a_version_1_directory_still_reads() -> None:
    old = '{"version": 1, "symbols": [{"symbol": "A", "code": "A", "market": "NYSE", "name_ko": "에이",'
    old += ' "name_en": "A", "description": "에이를 만들어요."}]}'
    (entry,) = entries_from_json(old)
    assert entry.description == "에이를 만들어요." and entry.description_en == ""
