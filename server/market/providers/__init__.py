"""Price providers behind one interface, and the chain the server uses.

Two modes, stored in ``server_meta`` so the server, the CLI and a restart agree:

- ``replay`` (the embedded default, offline): bundled real history on the replay clock → ``sim``
  for symbols without real data;
- ``live``: ``yahoo`` → ``snapshot`` (what this server stored) → ``replay`` → ``sim``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from ...db import Database
from ...db.models import ServerMeta
from ..quotes import latest_quotes
from ..source import DEMO_PRICES
from .base import FX_SYMBOL, Action, Bar, Health, MarketDataProvider, ProviderError, ProviderQuote
from .chain import ProviderChain
from .replay import HistoryStore, ReplayClock, ReplayProvider, bundled_history
from .sim import SimProvider
from .snapshot import SnapshotProvider

__all__ = [
    "DEFAULT_REPLAY_START",
    "FX_SYMBOL",
    "MAX_REPLAY_SPEED",
    "Action",
    "Bar",
    "Health",
    "MarketConfig",
    "MarketDataProvider",
    "ProviderChain",
    "ProviderError",
    "ProviderQuote",
    "ReplayClock",
    "build_chain",
    "check_speed",
    "load_config",
    "save_config",
]

MODES = ("replay", "live")
DEFAULT_REPLAY_START = date(2012, 1, 3)  # every bundled company is listed within the year, META included
# One replay day per real second: an operator compressing a month into a few minutes (a rehearsal, a
# test) needs thousands of days per day; faster than this, replayed sessions would pass between two
# refresher passes (every 5 s) without a single price of theirs ever being recorded.
MAX_REPLAY_SPEED = 86_400.0
_KEY = "market.config"


@dataclass(frozen=True)
class MarketConfig:
    mode: str
    replay: ReplayClock


def load_config(db: Database, now: datetime) -> MarketConfig:
    """The stored mode and replay clock; the first call starts the default replay at ``now`` and keeps it,
    so a restart continues the replay where it was instead of starting over."""
    with db.read() as session:
        row = session.get(ServerMeta, _KEY)
        stored: dict[str, Any] | None = json.loads(row.value) if row else None
    if stored is None:
        # two server processes may start at once: the first default written wins, both then read it
        _insert_default(db, MarketConfig("replay", ReplayClock(DEFAULT_REPLAY_START, now, 1.0)))
        return load_config(db, now)
    clock = ReplayClock(
        date.fromisoformat(stored["start"]), datetime.fromisoformat(stored["anchor"]), float(stored["speed"])
    )
    return MarketConfig(stored["mode"], clock)


def _insert_default(db: Database, config: MarketConfig) -> None:
    with db.write() as session:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(ServerMeta)
            .values(key=_KEY, value=json.dumps(_encode(config)))
            .on_conflict_do_nothing(index_elements=["key"])
        )


def _encode(config: MarketConfig) -> dict[str, Any]:
    return {
        "mode": config.mode,
        "start": config.replay.start.isoformat(),
        "anchor": config.replay.anchor.isoformat(),
        "speed": config.replay.speed,
    }


def check_speed(speed: float) -> None:
    """Refuse a replay speed outside (0, :data:`MAX_REPLAY_SPEED`], saying what is allowed."""
    if not 0 < speed <= MAX_REPLAY_SPEED:
        raise ValueError(
            f"replay speed is replay days per real day, above 0 and at most {MAX_REPLAY_SPEED:,.0f} "
            f"(one replay day per real second); {speed:g} was asked"
        )


def save_config(db: Database, config: MarketConfig) -> None:
    if config.mode not in MODES:
        raise ValueError(f"market mode must be one of {', '.join(MODES)}")
    check_speed(config.replay.speed)
    with db.write() as session:
        session.merge(ServerMeta(key=_KEY, value=json.dumps(_encode(config))))


def _sim_bases(db: Database) -> dict[str, int]:
    """Sim walks revert to the demo's round prices, or to the last live price this server saw."""
    with db.read() as session:
        live = {s: q.price for s, q in latest_quotes(session).items() if q.source == "yahoo"}
    return {**DEMO_PRICES, **live}


def build_chain(
    db: Database,
    data_dir: Path,
    now: datetime,
    *,
    mode: str | None = None,
    store: HistoryStore | None = None,
    yahoo_session: Any = None,
    live: MarketDataProvider | None = None,
) -> ProviderChain:
    """The chain of the stored mode (or ``mode``); ``live`` stands in for Yahoo in live mode (tests
    script one; everything behind it is the server's own)."""
    config = load_config(db, now)
    store = store or bundled_history()
    chosen = mode or config.mode
    if chosen == "replay":
        replay = ReplayProvider(config.replay, store)
        sim = SimProvider(_sim_bases(db), skip=store.has, today=replay.today)
        return ProviderChain([replay, sim])
    if live is None:
        from .yahoo import YahooProvider  # imports yfinance and pandas: only a live server pays for them

        live = YahooProvider(Path(data_dir) / "yfinance", session=yahoo_session)
    sim = SimProvider(_sim_bases(db), skip=store.has)
    live_replay = ReplayProvider(config.replay, store, rates=False)
    return ProviderChain([live, SnapshotProvider(db), live_replay, sim])
