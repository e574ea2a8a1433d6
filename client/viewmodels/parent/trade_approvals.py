"""Orders waiting for a parent (graded trade approval, ``sync.approval``): each in words, with the
child's own reason and what approving does at this moment by the fill rules of now (filled at the
current price, or placed at the next opening price), approved (step-up) or declined with a reason the
child reads (``trade.decide/v1``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sync.market import market_of
from sync.records import Trade, TradeStatus
from sync.rules import FillPolicy, HouseRules

from ..base import Tools
from ..market_hours import is_open, market_time, next_open
from ..notices import stock_name
from .base import ChildRef

__all__ = ["DECIDE_TRADE", "TradeApprovalRow", "trade_rows"]

DECIDE_TRADE = "trade.decide/v1"


@dataclass(frozen=True)
class TradeApprovalRow:
    child_id: str
    child: str
    trade_id: str
    what: str  # "삼성전자 2주 사기"
    price: str  # the price it was placed against, and what it holds
    journal: str | None  # the child's own sentence on why
    then: str  # what approving does now, by the fill rules of this moment
    waiting: bool  # our decision is queued, not yet confirmed


def trade_rows(
    children: list[ChildRef], deciding: set[str], tools: Tools, now: datetime
) -> list[TradeApprovalRow]:
    """Every order waiting for a parent, oldest first; one this device already decided stays listed,
    marked as waiting, until the server confirms it (the local view shows it decided already)."""
    rows: list[TradeApprovalRow] = []
    for child in children:
        trades = sorted(child.book.trades.values(), key=lambda t: (t.created_at, t.trade_id))
        for t in trades:
            if t.status is TradeStatus.AWAITING or t.trade_id in deciding:
                rows.append(_row(child, t, child.book.rules(), tools, now, t.trade_id in deciding))
    return rows


def _row(
    child: ChildRef, t: Trade, rules: HouseRules, tools: Tools, now: datetime, waiting: bool
) -> TradeApprovalRow:
    tr, fmt = tools.tr, tools.fmt
    size = fmt.shares(t.quantity) if t.quantity else fmt.game(t.amount or 0)
    what = tr(f"parent.approvals.trade.{t.side}", name=stock_name(t.symbol, tr.locale), size=size)
    held = fmt.shares(t.reserved) if t.side == "sell" else fmt.game(t.reserved)
    reference = t.reference_price or t.cited_price
    price = tr(
        "parent.approvals.trade.price",
        price=fmt.price(t.symbol, reference) if reference else "-",
        held=held,
    )
    journal = tr("parent.dash.journal", text=t.journal) if t.journal else None
    return TradeApprovalRow(
        child.child_id, child.name, t.trade_id, what, price, journal, _then(t, rules, tools, now), waiting
    )


def _then(t: Trade, rules: HouseRules, tools: Tools, now: datetime) -> str:
    """What approving does now: the same rules ``sync.trading.decide_trade`` applies."""
    tr = tools.tr
    market = market_of(t.symbol)
    pct = tools.fmt.bps(rules.collar_bps)
    if rules.fill_policy is FillPolicy.PRACTICE:
        return tr("parent.approvals.trade.then_practice", pct=pct)
    if rules.fill_policy is FillPolicy.QUOTE and is_open(market, now):
        return tr("parent.approvals.trade.then_now", pct=pct)
    when = market_time(tools, market, next_open(market, now), tools.clock())
    key = "then_next_open" if rules.fill_policy is FillPolicy.NEXT_OPEN else "then_open"
    return tr(f"parent.approvals.trade.{key}", when=when)
