"""The family leaderboard card: the siblings a parent put on it, ranked by how far each one's picks
beat the market (so a bigger starting amount does not win), this week and since the start."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Tools

__all__ = ["BoardRow", "LeaderboardModel", "leaderboard_model"]


@dataclass(frozen=True)
class BoardRow:
    place: str  # "1위" / "#1"; "–" when not compared yet
    name: str
    score: str  # "시장보다 1.00% 더 벌었어요" / "1.00% ahead of the market"
    me: bool


@dataclass(frozen=True)
class LeaderboardModel:
    enabled: bool = False
    week: list[BoardRow] = field(default_factory=list)
    since_start: list[BoardRow] = field(default_factory=list)


def leaderboard_model(answer: Any, tools: Tools) -> LeaderboardModel:
    """``GET /api/family/leaderboard`` in the viewer's words (off: nothing to show)."""
    if not isinstance(answer, dict) or not answer.get("enabled"):
        return LeaderboardModel()
    return LeaderboardModel(
        True,
        [_row(r, tools) for r in answer.get("week", [])],
        [_row(r, tools) for r in answer["since_start"]],
    )


def _row(row: dict[str, Any], tools: Tools) -> BoardRow:
    tr, fmt = tools.tr, tools.fmt
    beat = row.get("beat_pct")
    if beat is None:
        score = tr("board.no_comparison")
    elif beat > 0:
        score = tr("board.ahead", pct=fmt.pct(beat, signed=False))
    elif beat < 0:
        score = tr("board.behind", pct=fmt.pct(-beat, signed=False))
    else:
        score = tr("board.even")
    place = tr("board.place", n=row["rank"]) if row.get("rank") is not None else "–"
    name = tr("board.me", name=row["name"]) if row.get("me") else row["name"]
    return BoardRow(place, name, score, bool(row.get("me")))
