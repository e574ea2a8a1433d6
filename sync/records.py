"""The domain's records: what the server stores and devices mirror.

These are plain frozen structs; handlers return new versions of them as effects and the server or
the client store writes them. Field names are the wire names of the pull's ``data``.
"""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

__all__ = [
    "Actor",
    "Position",
    "Request",
    "RequestStatus",
    "Role",
    "Stats",
    "Trade",
    "TradeStatus",
    "HOLDING",
]


class Role(enum.StrEnum):
    CHILD = "child"
    PARENT = "parent"
    ADMIN = "admin"


class Actor(msgspec.Struct, frozen=True):
    """Who is acting: the token's subject, role and family (never taken from a request body)."""

    user_id: str
    role: Role
    family_id: str


class Position(msgspec.Struct, frozen=True):
    """Shares of one symbol with their total cost basis in won (fees and FX included)."""

    symbol: str
    quantity: int = 0
    cost: int = 0

    def avg_cost_of(self, quantity: int) -> int:
        """Cost basis of ``quantity`` micro-shares of this position, rounded down (proportional)."""
        if self.quantity == 0:
            return 0
        if quantity >= self.quantity:
            return self.cost
        return self.cost * quantity // self.quantity


class TradeStatus(enum.StrEnum):
    QUEUED = "queued"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    # waiting for a parent's approval (house rule ``trade_approval``): held like a queued order
    AWAITING = "awaiting"


HOLDING = frozenset({TradeStatus.QUEUED, TradeStatus.AWAITING})
"""The statuses of an order that still holds money or shares (its ``reserved``)."""


class Trade(msgspec.Struct, frozen=True, kw_only=True):
    """An order and, once filled, its fill."""

    trade_id: str
    child_id: str
    side: str
    symbol: str
    status: TradeStatus
    policy: str
    created_at: datetime
    quantity: int = 0
    amount: int | None = None
    limit_price: int | None = None
    cited_quote_id: str | None = None
    cited_price: int | None = None
    reference_price: int | None = None  # the price a queued order's collar is measured from
    reserved: int = 0  # won (buy) or micro-shares (sell) held while queued
    fill_price: int | None = None
    fill_quote_id: str | None = None
    fx_rate: int | None = None
    fx_quote_id: str | None = None
    gross: int = 0
    fee: int = 0
    tax: int = 0
    total: int = 0
    realised: int = 0
    filled_at: datetime | None = None
    practice: bool = False
    note: str | None = None  # the server's word on it: a rejection's code, why it was cancelled
    journal: str | None = None  # the child's own sentence on why (``sync.journal``)
    # a parent's decision on an order that waited for approval (``trade.decide``): who, and the
    # reason (required to decline, the child reads it)
    decided_by: str | None = None
    decision_reason: str | None = None
    # when an approved order began to wait for the open (approved while closed): it meets the first
    # session after this, not after ``created_at``
    queued_at: datetime | None = None


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    PAID = "paid"


class Request(msgspec.Struct, frozen=True, kw_only=True):
    """A child's request to convert game profit into real pocket money."""

    request_id: str
    child_id: str
    version: int
    amount_game: int
    amount_real: int
    status: RequestStatus
    created_at: datetime
    updated_at: datetime
    approvals: tuple[str, ...] = ()
    cooling_until: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    paid_at: datetime | None = None
    paid_by: str | None = None
    paid_method: str | None = None
    paid_reference: str | None = None


class Stats(msgspec.Struct, frozen=True, kw_only=True):
    """Running totals of a child's game: what went in, what was realised, what was converted."""

    child_id: str
    invested: int = 0  # starting money + grants
    realised: int = 0  # realised profit (net of fees and tax, dividends included); may be negative
    converted: int = 0  # game won that left the game through approved conversions
