"""A stock's headlines for the app: Yahoo's news and OpenDART's disclosures, kept 10 minutes.

Only a live server has news: in replay mode the family is in another year, and today's headlines
beside a 2012 price would mislead, so the answer is "offline". A live server asks each of its news
sources (Yahoo, and OpenDART when the operator set ``YONGDON_OPENDART_KEY``) at most once per symbol
every 10 minutes, each for at most a few seconds; when none answers, the app gets "offline" with the
last headlines it had, if any, and when they were fetched. Several server processes share what each
fetched through the read cache (:mod:`server.cache`, Redis), so a symbol costs the sources one fetch
per 10 minutes whichever process is asked.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from litestar.datastructures import State

from ..cache import Cache
from .providers.base import Headline, NewsSource
from .providers.chain import Bounded, ProviderChain

__all__ = ["NEWS_TTL", "NewsDesk", "NewsPage", "provide_news_desk"]

NEWS_TTL = timedelta(minutes=10)
ANSWER_WITHIN_S = 6.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewsPage:
    symbol: str
    state: str  # "live": fetched from the sources within 10 minutes; "offline": none answered
    as_of: datetime | None  # when the headlines were fetched (None: never)
    items: list[Headline] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the sources that answered


class NewsDesk:
    def __init__(
        self, extra: list[NewsSource] | None = None, ttl: timedelta = NEWS_TTL, cache: Cache | None = None
    ) -> None:
        self.extra = list(extra or [])  # sources beside the chain's Yahoo (OpenDART)
        self.ttl = ttl
        self.cache = cache  # pages other processes fetched (none: this process's own only)
        self._pages: dict[str, NewsPage] = {}
        self._lock = threading.Lock()

    def sources(self, chain: ProviderChain) -> list[NewsSource]:
        if not chain.live:
            return []
        head = chain.providers[0]
        head = head.inner if isinstance(head, Bounded) else head
        found: list[NewsSource] = [head] if isinstance(head, NewsSource) else []
        return found + self.extra

    def page(self, chain: ProviderChain, symbol: str, now: datetime, limit: int = 10) -> NewsPage:
        sources = self.sources(chain)
        with self._lock:
            kept = self._pages.get(symbol)
        if not sources:
            return NewsPage(symbol, "offline", None)
        if kept is not None and kept.state == "live" and kept.as_of and now - kept.as_of < self.ttl:
            return kept
        shared = self.cache.get(f"news:{symbol}", now) if self.cache is not None else None
        if shared is not None:
            kept = _PAGE.decode(shared)
            with self._lock:
                self._pages[symbol] = kept
            return kept
        items: list[Headline] = []
        answered: list[str] = []
        for source in sources:
            try:
                items += _within(lambda s=source: s.headlines(symbol, now, limit), source.name)
            except Exception as error:  # noqa: BLE001 - a source that fails is one that did not answer
                log.info("news source %s failed for %s: %s", source.name, symbol, type(error).__name__)
                continue
            answered.append(source.name)
        if not answered:
            if kept is None:
                return NewsPage(symbol, "offline", None)
            return NewsPage(symbol, "offline", kept.as_of, kept.items, [])
        items = _newest_unique(items)[: limit * 2]
        fresh = NewsPage(symbol, "live", now, items, answered)
        with self._lock:
            self._pages[symbol] = fresh
        if self.cache is not None:
            self.cache.put(f"news:{symbol}", msgspec.msgpack.encode(fresh), self.ttl, now)
        return fresh


_PAGE = msgspec.msgpack.Decoder(NewsPage)


def _within(call: Any, name: str) -> list[Headline]:
    """``call()`` awaited at most :data:`ANSWER_WITHIN_S` (a hung source is one that did not answer)."""
    done = threading.Event()
    out: list[list[Headline]] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            out.append(call())
        except BaseException as error:  # noqa: BLE001 - handed back below
            failed.append(error)
        finally:
            done.set()

    threading.Thread(target=run, name=f"yongdon-news-{name}", daemon=True).start()
    if not done.wait(ANSWER_WITHIN_S):
        raise TimeoutError(f"{name} did not answer within {ANSWER_WITHIN_S:g} s")
    if failed:
        raise failed[0]
    return out[0]


def _newest_unique(items: list[Headline]) -> list[Headline]:
    seen: set[str] = set()
    unique = []
    for item in sorted(items, key=lambda h: h.published_at, reverse=True):
        if item.link not in seen:
            seen.add(item.link)
            unique.append(item)
    return unique


_building = threading.Lock()


def provide_news_desk(state: State) -> NewsDesk:
    """DI provider: the app's desk (OpenDART among its sources when the operator set its key)."""
    with _building:
        desk: NewsDesk | None = state.get("news_desk")
        if desk is None:
            extra: list[NewsSource] = []
            settings = state.settings
            key = getattr(settings, "opendart_key", None)
            if state.get("opendart") is not None:
                extra.append(state.opendart)
            elif key:
                from .providers.opendart import OpenDartProvider

                extra.append(OpenDartProvider(key, Path(settings.data_dir) / "opendart"))
            desk = state.news_desk = NewsDesk(extra, cache=state.get("cache"))
    return desk
