"""Parent missions: progress of each kind against a book the shared rules built, and the reward."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest

from sync import Code, MemoryBook, Rejected
from sync.missions import Kind, Mission, Progress, grant_id_of, invalid_fields, progress, progress_of, reward
from sync.search import SymbolIndex, entries_from_json

from .factory import SAMSUNG, T0, later, new_book, place, publish, shares

HYUNDAI = "005380.KS"  # 자동차
NAVER = "035420.KS"  # 인터넷
SK_HYNIX = "000660.KS"  # 반도체 (Samsung is 반도체·전자: another sector)
SYMBOLS = Path(__file__).resolve().parents[2] / "assets" / "market" / "symbols.json"


@cache
def _directory() -> SymbolIndex:
    return SymbolIndex(entries_from_json(SYMBOLS.read_text(encoding="utf-8")))


def sector_of(symbol: str) -> str:
    entry = _directory().get(symbol)
    return entry.sector if entry else ""


def buy(book: MemoryBook, symbol: str, n: int = 1, *, at=T0, journal: str | None = None) -> None:  # type: ignore[no-untyped-def]
    seen = publish(book, symbol, 50_000, at=at - timedelta(minutes=1))
    place(book, "buy", symbol, quantity=shares(n), quote=seen, now=at, journal=journal)


def sell(book: MemoryBook, symbol: str, n: int = 1, *, at=T0) -> None:  # type: ignore[no-untyped-def]
    seen = publish(book, symbol, 50_000, at=at - timedelta(minutes=1))
    place(book, "sell", symbol, quantity=shares(n), quote=seen, now=at)


def check(book: MemoryBook, kind: Kind, target: int, *, created=T0, now=T0) -> Progress:  # type: ignore[no-untyped-def]
    return progress(
        kind,
        target,
        created,
        positions=book.positions(),
        trades=book.trades.values(),
        sector_of=sector_of,
        now=now,
    )


def test_sectors_count_the_different_sectors_held_now() -> None:
    book = new_book()
    buy(book, SAMSUNG)
    buy(book, SAMSUNG)  # the same stock twice is one sector
    assert check(book, Kind.SECTORS, 3) == Progress(progress=1, target=3, done=False)
    buy(book, HYUNDAI)
    assert check(book, Kind.SECTORS, 3) == Progress(progress=2, target=3, done=False)
    buy(book, NAVER)
    assert check(book, Kind.SECTORS, 3) == Progress(progress=3, target=3, done=True)


def test_a_sector_sold_out_no_longer_counts() -> None:
    book = new_book()
    for symbol in (SAMSUNG, HYUNDAI, NAVER):
        buy(book, symbol)
    sell(book, NAVER, at=later(minutes=5))
    assert check(book, Kind.SECTORS, 3, now=later(minutes=5)).progress == 2
    sell(book, HYUNDAI, at=later(minutes=6))
    assert check(book, Kind.SECTORS, 3).progress == 1


def test_sectors_held_before_the_mission_count_and_progress_is_capped_at_the_target() -> None:
    book = new_book()
    for symbol in (SAMSUNG, HYUNDAI, NAVER, SK_HYNIX):
        buy(book, symbol)
    assert check(book, Kind.SECTORS, 2, created=later(days=3), now=later(days=3)) == Progress(2, 2, True)


def test_hold_days_count_whole_days_from_the_mission() -> None:
    book = new_book()
    buy(book, SAMSUNG)
    created = later(hours=1)
    assert (
        check(book, Kind.HOLD_DAYS, 3, created=created, now=later(hours=1, days=2, minutes=59)).progress == 2
    )
    assert check(book, Kind.HOLD_DAYS, 3, created=created, now=later(days=3)).progress == 2  # not yet 3×24 h
    assert check(book, Kind.HOLD_DAYS, 3, created=created, now=later(hours=1, days=3)).done


def test_selling_out_breaks_the_hold_streak_and_buying_back_starts_it_again() -> None:
    book = new_book()
    buy(book, SAMSUNG, 2)
    sell(book, SAMSUNG, 2, at=later(days=2))  # two days held, then nothing
    assert check(book, Kind.HOLD_DAYS, 3, now=later(days=2, hours=1)).progress == 0
    buy(book, SAMSUNG, at=later(days=2, hours=2))
    progress_then = check(book, Kind.HOLD_DAYS, 3, now=later(days=4))
    assert (progress_then.progress, progress_then.done) == (1, False)  # counted from the buy back
    assert check(book, Kind.HOLD_DAYS, 3, now=later(days=5, hours=2)).done


def test_selling_part_keeps_the_streak_and_the_longest_held_stock_counts() -> None:
    book = new_book()
    buy(book, SAMSUNG, 2)
    buy(book, HYUNDAI, at=later(days=1))
    sell(book, SAMSUNG, 1, at=later(days=1, hours=1))
    assert check(book, Kind.HOLD_DAYS, 5, now=later(days=2)).progress == 2


def test_holding_nothing_is_no_progress() -> None:
    assert check(new_book(), Kind.HOLD_DAYS, 1, now=later(days=9)) == Progress(0, 1, False)


def test_journals_count_only_sentences_written_after_the_mission() -> None:
    book = new_book()
    buy(book, SAMSUNG, journal="반도체가 잘 팔릴 것 같아서")  # before the mission: not counted
    created = later(minutes=10)
    buy(book, HYUNDAI, at=later(minutes=11), journal="전기차를 많이 만들어서")
    buy(book, NAVER, at=later(minutes=12))  # no sentence
    buy(book, NAVER, at=later(minutes=13), journal="   ")  # a blank one is none
    assert check(book, Kind.JOURNALS, 2, created=created) == Progress(1, 2, False)
    buy(book, SK_HYNIX, at=later(minutes=14), journal="메모리가 필요해서")
    assert check(book, Kind.JOURNALS, 2, created=created) == Progress(2, 2, True)


def _mission(**fields: object) -> Mission:
    base: dict[str, object] = {
        "mission_id": "m1",
        "child_id": "kid",
        "kind": Kind.SECTORS,
        "target": 3,
        "reward": 5_000,
        "created_at": T0,
    }
    return Mission(**{**base, **fields})  # type: ignore[arg-type]


def test_a_completed_mission_stays_done_and_a_cancelled_one_is_frozen() -> None:
    book = new_book()
    done = _mission(completed_at=later(days=1))
    assert progress_of(done, positions=[], trades=[], sector_of=sector_of, now=later(days=2)) == Progress(
        3, 3, True
    )
    buy(book, SAMSUNG)
    cancelled = _mission(kind=Kind.HOLD_DAYS, target=5, cancelled_at=later(days=1, hours=1))
    got = progress_of(
        cancelled,
        positions=book.positions(),
        trades=book.trades.values(),
        sector_of=sector_of,
        now=later(days=9),
    )
    assert got == Progress(1, 5, False)


def test_the_reward_is_a_grant_of_game_money_paid_once() -> None:
    book = new_book()
    cash = book.balance("cash")
    invested = book.stats().invested
    effects = reward(book, _mission(), later(days=1))
    book.apply(effects)
    assert book.balance("cash") == cash + 5_000
    assert book.stats().invested == invested + 5_000  # money put in, not profit
    assert book.grant_exists(grant_id_of("m1"))
    ((event, facts),) = effects.events
    assert (event, facts["amount"], facts["title_ko"]) == (
        "MissionCompleted",
        5_000,
        "3가지 업종에 나눠 투자하기",
    )
    with pytest.raises(Rejected) as again:
        reward(book, _mission(), later(days=1))
    assert again.value.code is Code.ID_TAKEN


@pytest.mark.parametrize(
    ("kind", "target", "won", "bad"),
    [
        ("sectors", 3, 5_000, []),
        ("sectors", 1, 5_000, ["target"]),
        ("hold_days", 366, 5_000, ["target"]),
        ("journals", 5, 0, ["reward"]),
        ("journals", 5, 10_000_001, ["reward"]),
        ("chores", 5, 5_000, ["kind"]),
    ],
)
def test_targets_and_rewards_have_bounds(kind: str, target: int, won: int, bad: list[str]) -> None:
    assert invalid_fields(kind, target, won) == bad
