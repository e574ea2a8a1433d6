"""Predictions with the shared rules: what the server will do with an order, before it is sent.

The device runs the very handler the server runs (``sync.trading.place_order``) on a copy of the
child's local book, with its best guess of the server's clock and of which markets are open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.book import MemoryBook
from sync.context import Context
from sync.errors import Rejected
from sync.fills import Fill, decide_fill
from sync.handlers import decide
from sync.market import Quote, currency_of, market_of
from sync.records import Actor, Role, Trade
from sync.rules import FillPolicy, HouseRules, Market
from sync.trading import Reserve, queued_reserve

from .market_hours import is_open

__all__ = ["FillPreview", "Prediction", "predict_fill", "predict_order"]


@dataclass(frozen=True)
class Prediction:
    status: str  # filled | queued | rejected
    trade: Trade | None = None
    code: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    reserve: Reserve | None = None  # a queued order: its value and what it holds, by the server's rules


def predict_order(
    book: MemoryBook, name: str, args: dict[str, Any], *, family_id: str, now: datetime
) -> Prediction:
    """Decide an order exactly as the server would, on a fork of ``book`` (never the real one)."""
    trial = book.fork()
    trial.open_markets = {m for m in Market if is_open(m, now)}
    actor = Actor(user_id=book.child_id, role=Role.CHILD, family_id=family_id)
    ctx = Context(actor=actor, child_id=book.child_id, now=now, mutation_id="preview")
    try:
        effects = decide(name, args, trial, ctx)
    except Rejected as rejected:
        return Prediction("rejected", code=rejected.code.value, detail=rejected.detail)
    trade = next(r for r in effects.records if isinstance(r, Trade))
    reserve = _reserve_of(book, trade) if trade.reference_price is not None else None
    return Prediction(str(trade.status), trade=trade, detail=dict(effects.detail), reserve=reserve)


def _reserve_of(book: MemoryBook, trade: Trade) -> Reserve:
    """The numbers behind a queued order's hold, from the rules the server held it with."""
    assert trade.reference_price is not None
    return queued_reserve(
        trade.side, trade.reference_price, quantity=trade.quantity, amount=trade.amount,
        limit_price=trade.limit_price, fx=book.fx_quote() if currency_of(trade.symbol) == "USD" else None,
        rules=book.rules(), held_shares=book.position(trade.symbol).quantity,
    )  # fmt: skip


@dataclass(frozen=True)
class FillPreview:
    """What the fill rule will do with a market order right now, in plain words' ingredients."""

    kind: str  # now | stale | queued | practice | rejected
    price: int | None = None
    opens_at: datetime | None = None
    code: str | None = None


def predict_fill(
    *, symbol: str, quote: Quote | None, rules: HouseRules, now: datetime, opens_at: datetime
) -> FillPreview:
    """The stock page's preview ("fills now at 71,200" / "waits for tomorrow 09:00 opening price")."""
    market_open = is_open(market_of(symbol), now)
    try:
        decision = decide_fill(
            side="buy", symbol=symbol, cited=quote, cited_price=quote.price if quote else None,
            limit_price=None, latest=quote, newest_served=None, market_open=market_open, now=now,
            rules=rules,
        )  # fmt: skip
    except Rejected as rejected:
        return FillPreview("rejected", code=rejected.code.value)
    if not isinstance(decision, Fill):
        return FillPreview("queued", price=decision.reference_price, opens_at=opens_at)
    if rules.fill_policy is FillPolicy.PRACTICE:
        return FillPreview("practice", price=decision.quote.price)
    assert quote is not None
    if (now - quote.as_of).total_seconds() > rules.max_quote_age_s:
        # the server will price it at its own newest quote, within the collar
        return FillPreview("stale", price=quote.price)
    return FillPreview("now", price=decision.quote.price)
