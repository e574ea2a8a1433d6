"""A stock's headlines and the family leaderboard on the view-models, in Korean and in English.

The server's answers are built from its own wire structs (``NewsOut``, ``LeaderboardOut``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import flet as ft
import msgspec

from client.viewmodels.home import HomeVM
from client.viewmodels.leaderboard import leaderboard_model
from client.viewmodels.stock import StockVM
from server.family.schemas import LeaderboardOut, StandingOut
from server.market.schemas import NewsItemOut, NewsOut

from .fakes import KID, NOW, FakeProfile, child_book
from .test_viewmodels import SAMSUNG


def _news(state: str, items: list[NewsItemOut], as_of: Any = NOW) -> dict[str, Any]:
    answer = NewsOut(symbol=SAMSUNG, state=state, as_of=as_of, sources=["yahoo"], items=items)  # type: ignore[arg-type]
    return dict(msgspec.to_builtins(answer))


STORY = NewsItemOut(
    kind="news",
    title="Samsung unveils a new chip",
    source="Reuters",
    published_at=NOW - timedelta(hours=3),
    link="https://x.example/chip",
)
FILING = NewsItemOut(
    kind="disclosure",
    title="현금ㆍ현물배당결정",
    source="삼성전자",
    published_at=NOW - timedelta(days=1),
    link="https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20261123800512",
)


def stock_page(tools: Any, index: Any, answer: dict[str, Any] | None, online: bool = True) -> StockVM:
    p = FakeProfile(KID, child_book())
    p.api.online = online
    if answer is not None:
        p.api.headlines[SAMSUNG] = answer
    vm = StockVM(p, tools, index, SAMSUNG)
    asyncio.run(vm.load_news())
    return vm


def test_headlines_keep_their_titles_in_both_languages(ko, en, index) -> None:
    answer = _news("live", [STORY, FILING])
    korean, english = stock_page(ko, index, answer).news, stock_page(en, index, answer).news
    assert [r.title for r in korean.rows] == [r.title for r in english.rows] == [STORY.title, FILING.title]
    assert [r.meta for r in korean.rows] == ["Reuters · 3시간 전", "공시 · 삼성전자 · 2026-11-23"]
    assert [r.meta for r in english.rows] == ["Reuters · 3 h ago", "Disclosure · 삼성전자 · 2026-11-23"]
    assert korean.rows[1].link.startswith("https://dart.fss.or.kr/") and korean.note is None


def test_offline_says_there_is_no_news_in_words(ko, en, index) -> None:
    assert stock_page(ko, index, None, online=False).news.note == (
        "오프라인이라 뉴스가 없어요. 인터넷에 연결되면 보여요."
    )
    assert stock_page(en, index, None, online=False).news.note == (
        "Offline: no news. It shows up when you're connected."
    )
    # the server itself offline (a replay server, or no source answered)
    replay = stock_page(en, index, _news("offline", [], as_of=None)).news
    assert (replay.rows, replay.note) == ([], "Offline: no news. It shows up when you're connected.")
    kept = stock_page(ko, index, _news("offline", [STORY], as_of=NOW - timedelta(minutes=30))).news
    assert kept.note == "오프라인이에요. 30분 전에 받은 뉴스예요." and len(kept.rows) == 1
    assert stock_page(en, index, _news("live", [])).news.note == "No recent news about this stock."


def _board(*rows: StandingOut) -> dict[str, Any]:
    answer = LeaderboardOut(enabled=True, as_of=NOW, week=list(rows), since_start=list(rows))
    return dict(msgspec.to_builtins(answer))


ROWS = (
    StandingOut(rank=1, child_id="a", name="지우", beat_pct=1.0, twr_pct=5.0, me=True),
    StandingOut(rank=2, child_id="b", name="민준", beat_pct=-1.5, twr_pct=2.5, me=False),
    StandingOut(rank=None, child_id="c", name="서연", beat_pct=None, twr_pct=0.0, me=False),
)


def test_the_leaderboard_card_in_both_languages(ko, en) -> None:
    korean, english = leaderboard_model(_board(*ROWS), ko), leaderboard_model(_board(*ROWS), en)
    assert [(r.place, r.name, r.score) for r in korean.since_start] == [
        ("1위", "지우 (나)", "시장보다 1.00% 더 벌었어요"),
        ("2위", "민준", "시장보다 1.50% 덜 벌었어요"),
        ("–", "서연", "아직 비교할 수 없어요"),
    ]
    assert [(r.place, r.name, r.score) for r in english.week] == [
        ("#1", "지우 (you)", "1.00% ahead of the market"),
        ("#2", "민준", "1.50% behind the market"),
        ("–", "서연", "Not compared yet"),
    ]


def test_home_shows_the_card_only_when_a_parent_turned_it_on(ko) -> None:
    p = FakeProfile(KID, child_book())
    home = HomeVM(p, ko)
    asyncio.run(home.load_board())
    assert home.board.enabled is False
    p.api.board = _board(*ROWS)
    asyncio.run(home.load_board())
    assert home.board.enabled is True and home.board.week[0].me
    p.api.online = False  # offline: the card keeps what it showed
    asyncio.run(home.load_board())
    assert home.board.enabled is True


def test_the_stock_page_lists_headlines_that_open_outside_the_app() -> None:
    from .fakes import FakeRuntime
    from .test_viewmodels import profile
    from .test_views import run, unlocked

    async def go() -> None:
        p = profile()
        p.api.headlines[SAMSUNG] = _news("live", [STORY, FILING])
        h = await unlocked(FakeRuntime(p), f"/child/stock/{SAMSUNG}")
        tile = h.by_id("news-1")
        assert isinstance(tile, ft.ListTile)
        assert (tile.url.url, tile.url.target) == (FILING.link, ft.UrlTarget.BLANK)
        assert "현금ㆍ현물배당결정" in h.text_of("news-1")  # as published, in the English app too
        p.api.online = False
        h = await unlocked(FakeRuntime(p), f"/child/stock/{SAMSUNG}")
        assert h.text_of("news-note") == "Offline: no news. It shows up when you're connected."

    run(go())


def test_the_childs_home_shows_the_board_card_when_on() -> None:
    from .fakes import FakeRuntime
    from .test_viewmodels import profile
    from .test_views import run, unlocked

    async def go() -> None:
        p = profile()
        h = await unlocked(FakeRuntime(p), "/child")
        assert not h.has_id("home-board")
        p.api.board = _board(*ROWS)
        h = await unlocked(FakeRuntime(p), "/child")
        assert h.text_of("board-all-0") == "#1 지우 (you) 1.00% ahead of the market"

    run(go())
