"""Wire shapes of the game routes, and of every REST change's answer.

Request bodies reuse the argument types of ``sync.protocol`` (the same limits as a push); the
answers carry the records of ``sync.records`` as they are stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema

from sync.money import MICRO
from sync.portfolio import Summary
from sync.protocol import Id, Journal, Micro, Outcome, PositiveWon, Reason, Symbol
from sync.records import Trade
from sync.rules import RulesChange

__all__ = [
    "GrantAnswer",
    "GrantBody",
    "LedgerLine",
    "MutationAnswer",
    "Performance",
    "Portfolio",
    "RulesBody",
    "TradeAnswer",
    "TradeBody",
    "ValuePoint",
]


class TradeBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A buy or sell: a quantity in micro-shares or an amount in game won, citing the quote shown."""

    symbol: Symbol
    quantity: Micro | None = None
    amount: PositiveWon | None = None
    quote_id: Id | None = None
    price: Micro | None = None
    limit_price: Micro | None = None
    trade_id: Id | None = None
    journal: Journal | None = None  # the child's one sentence on why (``sync.journal``)

    # what ``sync.trading.place_order`` refuses as INVALID_ARGS, stated in the OpenAPI document
    # (server.openapi): exactly one of a quantity and an amount; a limit order in whole shares
    __openapi_across_fields__: ClassVar[dict[str, Any]] = {
        "one_of": [
            Schema(properties={"quantity": Schema(type=OpenAPIType.INTEGER)}, required=["quantity"]),
            Schema(properties={"amount": Schema(type=OpenAPIType.INTEGER)}, required=["amount"]),
        ],
        "schema_if": Schema(
            properties={"limit_price": Schema(type=OpenAPIType.INTEGER)}, required=["limit_price"]
        ),
        "then": Schema(
            properties={"quantity": Schema(type=OpenAPIType.INTEGER, multiple_of=MICRO)},
            required=["quantity"],
        ),
    }


class DeclineBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A parent's no to an order waiting for approval: the reason the child reads."""

    reason: Reason


class GrantBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    child_id: Id
    amount: PositiveWon
    reason: Reason


RulesBody = RulesChange
"""The house-rules fields to change, each typed and bounded as ``sync.rules.LIMITS`` says (the rest
stay as they are)."""


class MutationAnswer(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A change that was applied (``detail`` says how: a fill price, an approval still awaited)."""

    status: Outcome
    mutation_id: str
    detail: dict[str, Any] | None = None


class TradeAnswer(MutationAnswer, kw_only=True, omit_defaults=True):
    trade: Trade | None = None


class GrantAnswer(MutationAnswer, kw_only=True, omit_defaults=True):
    grant_id: str


class Portfolio(Summary, frozen=True, kw_only=True):
    """Cash, holdings and returns of one child (``sync.portfolio.Summary``) at ``as_of``."""

    as_of: datetime


class LedgerLine(msgspec.Struct, kw_only=True):
    id: int
    txn_id: str
    account: str
    amount: int
    actor_id: str
    kind: str
    ref_id: str | None
    reason: str | None
    created_at: datetime


class ValuePoint(msgspec.Struct):
    t: datetime
    value: int


class Performance(msgspec.Struct, kw_only=True):
    range: str
    series: list[ValuePoint]
    total_value: int
    invested: int
    profit: int
    profit_pct: float
    twr_pct: float
    benchmark: list[ValuePoint]  # the same money following the market; [] when an index is missing
    benchmark_indices: list[str] = []  # ^KS11 (KOSPI), ^GSPC (S&P 500): heaviest in the blend first
    benchmark_pct: float | None = None  # the (blended) index's own return over the range
    beat_pct: float | None = None  # twr_pct − benchmark_pct, in percentage points
    benchmark_missing: list[str] = []  # indices with no real history here (never simulated)
    benchmark_source: str | None = None
