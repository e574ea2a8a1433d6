"""Parent missions as both sides read them: the mission in words, how far the child is ("2/3 업종")
and a bar, the reward, and whether it is done.

The list comes from ``GET /api/family/children/{id}/missions`` when online (missions are no part of the
pull: ``server.missions.services`` says why) and is kept for offline; the progress is computed here
with the same rule the server completes missions by (``sync.missions``), over the child's book on
this device, so it moves with the child's own trades before they are even synced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from sync.book import MemoryBook
from sync.missions import Mission, progress_of, title
from sync.search import SymbolIndex

from .base import Tools

__all__ = ["MissionRow", "mission_rows", "missions_of", "remember", "remembered"]

# the last list the server sent per child, for this run of the app: a screen is built anew on each
# visit, and offline the card must still show (and move with the child's trades)
_LAST: dict[str, tuple[Mission, ...]] = {}


def remember(child_id: str, missions: list[Mission]) -> None:
    _LAST[child_id] = tuple(missions)


def remembered(child_id: str) -> tuple[Mission, ...]:
    return _LAST.get(child_id, ())


@dataclass(frozen=True)
class MissionRow:
    mission_id: str
    title: str  # "3가지 업종에 나눠 투자하기"
    progress: str  # "2/3 업종" / "2/3 sectors"
    fraction: float  # the bar: 0.0 … 1.0
    reward: str  # "상금 5,000 G₩" / "Reward 5,000 G₩"
    status: str  # "진행 중" / "완료!" / "취소됨"
    tone: str  # open | done | cancelled
    cancellable: bool


def missions_of(answer: Any) -> list[Mission]:
    """The missions of a REST answer (an unreadable one: none)."""
    if not isinstance(answer, list):
        return []
    out: list[Mission] = []
    for item in answer:
        try:
            out.append(msgspec.convert(item, Mission, strict=False))
        except msgspec.ValidationError:
            continue  # a kind this app does not know: a newer server's
    return out


def _sector_of(index: SymbolIndex | None) -> Any:
    def sector_of(symbol: str) -> str:
        entry = index.get(symbol) if index is not None else None
        return entry.sector if entry else ""

    return sector_of


def mission_rows(
    missions: list[Mission],
    book: MemoryBook | None,
    now: datetime,
    tools: Tools,
    index: SymbolIndex | None,
    *,
    parent: bool = False,
) -> list[MissionRow]:
    """The missions in the viewer's words (a parent's own status words), open ones first, progress
    from this device's book."""
    tr, fmt = tools.tr, tools.fmt
    words = "parent.mission.status" if parent else "mission.status"
    rows: list[MissionRow] = []
    ordered = sorted(missions, key=lambda m: (not m.open, -m.created_at.timestamp()))
    for m in ordered:
        if book is not None:
            done = progress_of(
                m,
                positions=book.positions(),
                trades=book.trades.values(),
                sector_of=_sector_of(index),
                now=now,
            )
            count, reached = done.progress, done.done
        else:
            count, reached = (m.target, True) if m.completed_at else (0, False)
        tone = "done" if m.completed_at else "cancelled" if m.cancelled_at else "open"
        status = tr(f"{words}.{tone}")
        if tone == "open" and reached:  # met on this device: the server rewards it once synced
            status = tr(f"{words}.met")
        rows.append(
            MissionRow(
                mission_id=m.mission_id,
                title=title(m.kind, m.target, tr.locale),
                progress=tr(f"mission.progress.{m.kind.value}", n=count, target=m.target),
                fraction=min(1.0, count / m.target) if m.target else 0.0,
                reward=tr("mission.reward", amount=fmt.game(m.reward)),
                status=status,
                tone=tone,
                cancellable=m.open,
            )
        )
    return rows
