"""Parent missions on the view-models: the child's card reads "2/3 업종" with a bar from the book on the
device (the same rule the server completes missions by), in Korean and in English, and keeps the
last list offline; the parent's form refuses a target out of bounds before asking the server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from client.viewmodels import missions as kept
from client.viewmodels.home import HomeVM
from server.missions.schemas import MissionOut
from sync.money import MICRO

from .fakes import KID, NOW, FakeProfile, child_book


@pytest.fixture(autouse=True)
def _forget() -> Any:
    """The app keeps the last list per child for its run: not from one test to the next."""
    yield
    kept._LAST.clear()


def _mission(kind: str, target: int, *, status: str = "open", **extra: Any) -> dict[str, Any]:
    out = MissionOut(
        mission_id=f"m-{kind}-{status}",
        child_id=KID.user_id,
        kind=kind,  # type: ignore[arg-type]
        target=target,
        reward=5_000,
        created_at=NOW - timedelta(days=1),
        created_by="mom",
        completed_at=NOW if status == "completed" else None,
        cancelled_at=None,
        status=status,  # type: ignore[arg-type]
        progress=0,  # the device computes its own
        done=status == "completed",
        **extra,
    )
    return dict(msgspec.to_builtins(out))


def _home(tools: Any, missions: list[dict[str, Any]]) -> tuple[FakeProfile, HomeVM]:
    # Samsung (반도체·전자) and Hyundai (자동차): two sectors held now
    book = child_book(positions={"005930.KS": (3 * MICRO, 200_000), "005380.KS": (MICRO, 200_000)})
    p = FakeProfile(KID, book)
    p.api.missions_list = missions
    home = HomeVM(p, tools)
    asyncio.run(home.load_missions())
    return p, home


def test_the_child_sees_progress_from_its_own_book_in_both_languages(ko, en) -> None:
    answer = [_mission("sectors", 3), _mission("journals", 2, status="completed")]
    _, korean = _home(ko, answer)
    _, english = _home(en, answer)
    assert [(r.title, r.progress, r.status) for r in korean.mission_rows] == [
        ("3가지 업종에 나눠 투자하기", "2/3 업종", "진행 중"),
        ("투자 일기 2번 쓰기", "2/2번", "완료! 상금을 받았어요"),
    ]
    assert [(r.title, r.progress) for r in english.mission_rows] == [
        ("Invest in 3 different sectors", "2/3 sectors"),
        ("Write 2 trade journal notes", "2/2 notes"),
    ]
    assert [round(r.fraction, 2) for r in korean.mission_rows] == [0.67, 1.0]
    assert korean.mission_rows[0].reward == "상금 5,000 G₩"


def test_met_on_the_device_says_the_reward_comes_when_connected_and_offline_keeps_the_list(ko) -> None:
    p, home = _home(ko, [_mission("sectors", 2)])
    assert home.mission_rows[0].status == "해냈어요! 연결되면 상금을 받아요"
    p.api.online = False
    asyncio.run(home.load_missions())
    assert [r.progress for r in home.mission_rows] == ["2/2 업종"]


def test_no_missions_no_card(ko) -> None:
    _, home = _home(ko, [])
    assert home.mission_rows == ()
