"""Loading a chart's series: bounded, remembered, and honest about being offline.

A chart asks the server (online only); the screen never waits on it for long (``CHART_WAIT_S``).
What a screen loaded last is kept on the profile, so offline the chart shows that one and says so,
instead of a "loading…" that never ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .base import Profile, Tools
from .errors import code_of, explain

__all__ = ["CHART_WAIT_S", "Loaded", "Point", "load_series"]

CHART_WAIT_S = 8.0


@dataclass(frozen=True)
class Point:
    t: datetime
    value: int


@dataclass(frozen=True)
class Loaded:
    points: list[Point]
    note: str | None  # why there is no chart, or that it is the cached one
    answer: Any = None  # the server's whole answer (its source, dates), when it answered


async def load_series(
    profile: Profile,
    key: tuple[str, str],
    fetch: Callable[[], Awaitable[Any]],
    parse: Callable[[Any], list[Point]],
    tools: Tools,
    wait_s: float = CHART_WAIT_S,
) -> Loaded:
    """The series from the server, else the one last loaded for ``key`` (offline), else a note."""
    tr = tools.tr
    cache: dict[tuple[str, str], Loaded] = profile.charts
    try:
        async with asyncio.timeout(wait_s):
            answer = await fetch()
    except TimeoutError:
        code = "OFFLINE"  # no answer in time: as good as no connection for the one looking
    except Exception as exc:  # ApiError (incl. OFFLINE): explained, never a crash
        code = code_of(exc)
    else:
        points = parse(answer)
        loaded = Loaded(points, None if len(points) > 1 else tr("home.chart_empty"), answer)
        cache[key] = loaded
        return loaded
    if code != "OFFLINE":
        return Loaded([], explain(tr, code))
    cached = cache.get(key)
    if cached is not None and cached.points:
        return Loaded(cached.points, tr("chart.offline_cached"), cached.answer)
    return Loaded([], tr("home.chart_offline"))


RANGES = ("1W", "1M", "3M", "1Y", "max")


@dataclass(frozen=True)
class Change:
    """A move between two values, for "+1,200 G₩ (+1.71%)" and the colour of a chart."""

    amount: int
    pct: float

    @property
    def tone(self) -> str:
        return "up" if self.amount > 0 else ("down" if self.amount < 0 else "flat")


def change(before: int, after: int) -> Change:
    return Change(after - before, (after - before) * 100 / before if before else 0.0)


def last_move(points: list[Point]) -> Change | None:
    """The last step of a daily series (today's change), ``None`` under two points."""
    return change(points[-2].value, points[-1].value) if len(points) > 1 else None


def day_move(points: list[Point], tz: tzinfo | None) -> Change | None:
    """Today's change of a series with a point at every change (the child's value): from the last
    point before the newest point's day began (in the viewer's zone ``tz``) to the newest. The last
    step alone would be "since the last trade", which a child reads as today's. ``None`` under two
    points."""
    if len(points) < 2:
        return None
    today = points[-1].t.astimezone(tz).date()
    before = [p for p in points[:-1] if p.t.astimezone(tz).date() < today]
    return change((before[-1] if before else points[0]).value, points[-1].value)


def range_move(points: list[Point]) -> Change | None:
    """First to last point of the shown range: the chart's colour."""
    return change(points[0].value, points[-1].value) if len(points) > 1 else None


def price_source(source: str | None, as_of: datetime | None, tools: Tools) -> str:
    """Where a price comes from, in words a child reads ("실제 2012-03-05 가격으로 연습 중")."""
    tr = tools.tr
    kinds = (source or "").split("+")
    replay = next((k for k in kinds if k.startswith("replay")), None)
    if replay is not None:
        day = replay.split(":", 1)[1] if ":" in replay else (tools.fmt.day(as_of) if as_of else "")
        return tr("source.replay", day=day) if day else tr("source.replay_undated")
    if "sim" in kinds:
        return tr("source.sim")
    day = tools.fmt.day(as_of) if as_of else ""
    if "yahoo" in kinds or "snapshot" in kinds:
        return tr("source.real", day=day)
    return tr("source.unknown")


@dataclass(frozen=True)
class ChartModel:
    """What a line chart draws, already in words: values, each point's tooltip, axis labels."""

    values: list[int]
    tooltips: list[str]  # "2026-11-24\n71,200원": never a raw 69700.0
    x_labels: list[tuple[int, str]]  # (point index, date)
    y_labels: list[tuple[int, str]]  # (value, amount): round values, one per grid line
    low: int  # the y axis' ends and step: the chart draws a label only where a grid line is
    high: int
    y_step: int
    x_step: int
    tone: str  # up | down | flat over the range: the line's colour
    summary: str  # for screen readers: from when to when, lowest and highest
    benchmark: list[int] | None = None  # a second, grey line (the market), one value per point


def chart_model(
    points: list[Point], money: Callable[[int], str], tools: Tools, benchmark: list[int] | None = None
) -> ChartModel:
    """The chart of ``points``; ``benchmark`` (as long as ``points``) is drawn beside it on the same axes."""
    values = [p.value for p in points]
    if benchmark is not None and len(benchmark) != len(values):
        benchmark = None  # a line that does not match the points would be drawn at the wrong dates
    low, high = min(values + (benchmark or [])), max(values + (benchmark or []))
    long_span = (points[-1].t - points[0].t).days > 200
    day = tools.fmt.day

    def short(i: int) -> str:
        text = day(points[i].t)
        return text[:7] if long_span else text[5:]  # 2025-03 over a year, else 03-05

    n = len(points)
    x_step = max(1, (n - 1) // 3)
    ticks = list(range(0, n, x_step))
    y_step = _nice_step((high - low) / 3) if high > low else max(1, _nice_step(high / 10))
    bottom, top = (low // y_step) * y_step, -(-high // y_step) * y_step
    if top == bottom:
        bottom, top = bottom - y_step, top + y_step
    move = range_move(points)
    summary = tools.tr(
        "chart.summary", start=day(points[0].t), end=day(points[-1].t), low=money(low), high=money(high)
    )
    return ChartModel(
        values=values,
        tooltips=[tools.tr("chart.point", day=day(p.t), value=money(p.value)) for p in points],
        x_labels=[(i, short(i)) for i in ticks],
        y_labels=[(v, money(v)) for v in range(bottom, top + 1, y_step)],
        low=bottom,
        high=top,
        y_step=y_step,
        x_step=x_step,
        tone=move.tone if move else "flat",
        summary=summary,
        benchmark=benchmark,
    )


def move_text(label: str, move: Change | None, money: Callable[..., str], tools: Tools) -> str:
    """ "오늘 +1,200원 (+1.71%)"."""
    if move is None:
        return ""
    return f"{label} {money(move.amount, signed=True)} ({tools.fmt.pct(move.pct)})"


def _nice_step(raw: float) -> int:
    """1, 2 or 5 times a power of ten, at least ``raw`` (axis labels a child can read)."""
    power = 1
    while power * 10 <= raw:
        power *= 10
    return next((m * power for m in (1, 2, 5, 10) if m * power >= raw), 10 * power)
