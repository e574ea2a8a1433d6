"""A stock's headlines on its page: titles as published (never translated), who published them and
when, a link the app opens outside itself; and, offline, a sentence saying there is no news."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import Tools
from .errors import code_of, explain

__all__ = ["NEWS_WAIT_S", "NewsModel", "NewsRow", "load_news", "news_model"]

NEWS_WAIT_S = 8.0


@dataclass(frozen=True)
class NewsRow:
    title: str  # as published: a Korean headline stays Korean in English mode, and the other way round
    meta: str  # "Reuters · 3 hours ago", "공시 · 삼성전자 · 2026-11-23"
    link: str
    disclosure: bool


@dataclass(frozen=True)
class NewsModel:
    rows: list[NewsRow] = field(default_factory=list)
    note: str | None = None  # offline, nothing recent, or still loading


def news_model(answer: Any, tools: Tools, now: datetime) -> NewsModel:
    """The server's answer (``GET /api/market/stocks/{symbol}/news``) in the viewer's words."""
    tr, fmt = tools.tr, tools.fmt
    rows = []
    for item in answer.get("items", []) if isinstance(answer, dict) else []:
        published = _moment(item["published_at"])
        if item.get("kind") == "disclosure":
            meta = f"{tr('news.disclosure')} · {item['source']} · {fmt.day(published)}"
        else:
            meta = f"{item['source']} · {fmt.ago(now - published)}"
        rows.append(NewsRow(item["title"], meta, item["link"], item.get("kind") == "disclosure"))
    if isinstance(answer, dict) and answer.get("state") == "live":
        return NewsModel(rows, None if rows else tr("news.none"))
    if rows and isinstance(answer, dict) and answer.get("as_of"):  # the last ones the server had
        return NewsModel(rows, tr("news.offline_kept", ago=fmt.ago(now - _moment(answer["as_of"]))))
    return NewsModel([], tr("news.offline"))


async def load_news(
    fetch: Callable[[], Awaitable[Any]], tools: Tools, now: datetime, wait_s: float = NEWS_WAIT_S
) -> NewsModel:
    """Ask the server; no connection (or no answer in time) is the offline state, in words."""
    try:
        async with asyncio.timeout(wait_s):
            answer = await fetch()
    except TimeoutError:
        return NewsModel([], tools.tr("news.offline"))
    except Exception as exc:  # ApiError, OFFLINE among them: explained, never a crash
        code = code_of(exc)
        return NewsModel([], tools.tr("news.offline") if code == "OFFLINE" else explain(tools.tr, code))
    return news_model(answer, tools, now)


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
