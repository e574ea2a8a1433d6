"""The operator's market tasks behind ``yongdon market``: backfill bars, report status, list symbols,
choose the mode (history replay or live)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sync.benchmark import SP500

from ..db import Database
from ..db.models import BarRow, QuoteRow
from .directory import directory
from .history import EARLIEST, RANGES, resolve_symbol, store_bars
from .providers import MarketConfig, ProviderChain, build_chain, load_config, save_config
from .providers.replay import bundled_history
from .watch import watched_symbols

__all__ = [
    "backfill",
    "choose_mode",
    "default_backfill_symbols",
    "market_status_lines",
    "symbol_rows",
]

Progress = Callable[[str, int], None]  # (symbol just done, bars written)
_SHOWN = 12  # watched symbols named in the status; the rest are counted


def backfill(
    db: Database,
    chain: ProviderChain,
    symbols: Sequence[str],
    range_name: str,
    now: datetime,
    progress: Progress | None = None,
    pause: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Store each symbol's daily bars over ``range_name`` (ending where the family is) in ``market_bars``.

    In live mode only Yahoo's bars are stored (a fallback's replayed or simulated bars would pass for
    this symbol's recent past) and ``pause`` runs between symbols, to stay under Yahoo's rate limit.
    Raises :class:`ValueError` naming the symbols that are neither in the directory nor bundled."""
    unknown = [s for s in symbols if resolve_symbol(s) is None]
    if unknown:
        raise ValueError(f"not in the symbol directory: {', '.join(unknown)}")
    symbols = [resolve_symbol(s) or s for s in symbols]
    days, _ = RANGES[range_name]
    end = chain.today(now)
    start = EARLIEST if days is None else end - timedelta(days=days)
    written: dict[str, int] = {}
    live = chain.live
    for at, symbol in enumerate(symbols):
        if live and pause is not None and at:
            pause()
        bars = chain.history(symbol, start, end)
        written[symbol] = store_bars(db, symbol, "1d", [b for b in bars if b.source == "yahoo" or not live])
        if progress is not None:
            progress(symbol, written[symbol])
    return written


def default_backfill_symbols(db: Database) -> list[str]:
    """The bundled-history companies and everything someone holds or watches."""
    with db.read() as session:
        watched = watched_symbols(session)
    return sorted({*bundled_history().symbols(), *(s for s in watched if not s.endswith("=X"))})


def market_status_lines(db: Database, data_dir: Path, now: datetime) -> list[str]:
    config = load_config(db, now)
    chain = build_chain(db, data_dir, now)
    health = chain.health(now)
    with db.read() as session:
        bars = session.execute(
            select(
                BarRow.interval, func.count(func.distinct(BarRow.symbol)), func.count(), func.max(BarRow.ts)
            ).group_by(BarRow.interval)
        ).all()
        quotes = session.scalar(select(func.count()).select_from(QuoteRow)) or 0
        watched = watched_symbols(session)
    lines = [f"mode: {config.mode}  (providers: {chain.name})"]
    clock = config.replay
    lines.append(
        f"replay: started {clock.start.isoformat()} at {clock.anchor.isoformat(timespec='seconds')}, "
        f"{clock.speed:g} day(s) per day, now at {clock.date_at(now).isoformat()}"
    )
    lines.append("health: " + ", ".join(f"{name} {state}" for name, state in health.detail.items()))
    if health.retry_at is not None:
        lines.append(f"retry at: {health.retry_at.isoformat(timespec='seconds')}")
    lines.append(f"quotes stored: {quotes}")
    shown = ", ".join(watched[:_SHOWN]) + (
        f", … ({len(watched) - _SHOWN} more)" if len(watched) > _SHOWN else ""
    )
    lines.append(f"watched: {len(watched)} ({shown})")
    for interval, symbols, count, newest in bars:
        lines.append(f"bars {interval}: {count} for {symbols} symbols, newest {newest.date().isoformat()}")
    if not bars:
        lines.append("bars: none stored yet (yongdon market backfill)")
    return lines


def symbol_rows(with_history_only: bool = False) -> list[tuple[str, str, str, str]]:
    """(symbol, market, name, where prices come from offline) for the directory and bundled history."""
    store = bundled_history()
    rows: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for entry in directory().entries:
        seen.add(entry.symbol)
        offline = _offline_source(store.index.get(entry.symbol))
        if not with_history_only or store.has(entry.symbol):
            rows.append((entry.symbol, entry.market, f"{entry.name_ko} / {entry.name_en}", offline))
    for symbol in store.symbols():
        if symbol not in seen:
            market, name = ("INDEX", "S&P 500 index") if symbol == SP500 else ("US", "(not in the directory)")
            rows.append((symbol, market, name, _offline_source(store.index[symbol])))
    return rows


def _offline_source(meta: dict[str, Any] | None) -> str:
    if meta is None:
        return "sim"
    return f"replay {meta['first']}–{meta['last']}"


def choose_mode(
    db: Database, now: datetime, mode: str, start: date | None, speed: float | None
) -> MarketConfig:
    """Switch between replay and live; a new start or speed restarts the replay clock at ``now``."""
    config = load_config(db, now)
    clock = config.replay
    if start is not None or speed is not None:
        clock = replace(
            clock,
            start=start if start is not None else clock.date_at(now),
            anchor=now,
            speed=speed if speed is not None else clock.speed,
        )
    updated = MarketConfig(mode, clock)
    save_config(db, updated)
    return updated
