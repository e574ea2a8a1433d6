"""What a mission's check reads of a child's book on the server: its positions held now and the
trades its missions count (``sync.missions.progress`` decides)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.missions import Kind, Mission, Progress, progress_of
from sync.records import Position, Trade
from sync.search import SymbolIndex

from ..db.models import MissionRow, PositionRow, TradeRow
from ..market.directory import directory

__all__ = ["OPEN", "Facts", "mission_of"]

OPEN = (MissionRow.completed_at.is_(None), MissionRow.cancelled_at.is_(None))


def sector_of_index(index: SymbolIndex) -> Callable[[str], str]:
    def sector_of(symbol: str) -> str:
        entry = index.get(symbol)
        return entry.sector if entry else ""

    return sector_of


def mission_of(row: MissionRow) -> Mission:
    return Mission(
        mission_id=row.id,
        child_id=row.child_id,
        kind=Kind(row.kind),
        target=row.target,
        reward=row.reward,
        created_at=row.created_at,
        created_by=row.created_by,
        completed_at=row.completed_at,
        cancelled_at=row.cancelled_at,
    )


class Facts:
    """A child's positions and the trades its missions read, loaded once per evaluation."""

    def __init__(self, session: Session, child_id: str, missions: Sequence[Mission]) -> None:
        self.positions = [
            Position(symbol=p.symbol, quantity=p.quantity, cost=p.cost)
            for p in session.scalars(
                select(PositionRow).where(PositionRow.child_id == child_id, PositionRow.quantity > 0)
            )
        ]
        trades: dict[str, Trade] = {}
        journals = [m.created_at for m in missions if m.kind is Kind.JOURNALS]
        if journals:  # the orders placed since the oldest journal mission
            query = select(TradeRow).where(
                TradeRow.child_id == child_id, TradeRow.created_at >= min(journals)
            )
            trades.update(trades_of(session.scalars(query)))
        if any(m.kind is Kind.HOLD_DAYS for m in missions) and self.positions:  # when each was opened
            held = [p.symbol for p in self.positions]
            query = select(TradeRow).where(
                TradeRow.child_id == child_id, TradeRow.symbol.in_(held), TradeRow.status == "filled"
            )
            trades.update(trades_of(session.scalars(query)))
        self.trades = list(trades.values())

    def progress(self, mission: Mission, now: datetime) -> Progress:
        return progress_of(
            mission,
            positions=self.positions,
            trades=self.trades,
            sector_of=sector_of_index(directory()),
            now=now,
        )


def trades_of(rows: Iterable[TradeRow]) -> dict[str, Trade]:
    return {row.trade_id: msgspec.convert(row.data, Trade, strict=False) for row in rows}
