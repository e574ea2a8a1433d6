"""House rules: the per-child settings a parent controls, with presets.

A rules change never rewrites history: the server stores each version with the time it took
effect and decides every mutation with the version in force when the mutation arrived.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "LIMITS",
    "FillPolicy",
    "HouseRules",
    "Market",
    "PRESETS",
    "RulesChange",
    "TradeApproval",
    "preset",
]


class Market(enum.StrEnum):
    KRX = "KRX"
    US = "US"


class FillPolicy(enum.StrEnum):
    QUOTE = "quote"
    NEXT_OPEN = "next_open"
    PRACTICE = "practice"


class TradeApproval(enum.StrEnum):
    """Which orders wait for a parent's approval (``sync.approval``)."""

    OFF = "off"
    EVERY = "every"
    ABOVE = "above"  # orders whose total is above ``approval_above`` game won
    FIRST = "first"  # every order until the child has ``approval_first`` filled trades


class HouseRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Every field has the domain's default; a preset overrides a few."""

    starting_money: int = msgspec.field(default=1_000_000)
    markets: tuple[Market, ...] = (Market.KRX, Market.US)
    fill_policy: FillPolicy = FillPolicy.QUOTE
    max_quote_age_s: int = 20 * 60
    collar_bps: int = 500
    fee_bps: int = 0
    sell_tax_bps: int = 0
    fx_spread_bps: int = 0
    max_position_pct: int = 100
    min_share_price: int = 0
    trades_per_day: int = 50
    limit_orders: bool = False
    min_order: int = 1_000
    # conversion rate as an exact fraction: real won per game won (default 1/10)
    conversion_num: int = 1
    conversion_den: int = 10
    request_cap_week: int = 50_000
    request_cap_month: int = 150_000
    request_cooldown_s: int = 24 * 3600
    min_request: int = 10_000
    second_parent_threshold: int = 30_000
    cooling_off_s: int = 24 * 3600
    # the family leaderboard: this child is ranked beside its opted-in siblings and sees the board
    leaderboard: bool = False
    # the trade journal: every order must say in one sentence why (``sync.journal``)
    journal_required: bool = False
    # graded trade approval: which orders wait for a parent, and the mode's number
    trade_approval: TradeApproval = TradeApproval.OFF
    approval_above: int = 100_000
    approval_first: int = 5

    def validate(self) -> list[str]:
        """Names of fields whose values make no sense (empty when all is well)."""
        bad = self.out_of_bounds()
        if self.above_par():
            bad.append("conversion_num")
        return bad

    def out_of_bounds(self) -> list[str]:
        """Names of fields whose value is outside what the field alone allows (``LIMITS``)."""
        bad = [name for name, (low, high) in LIMITS.items() if not low <= getattr(self, name) <= high]
        if len(set(self.markets)) != len(self.markets):
            bad.append("markets")
        return bad

    def above_par(self) -> bool:
        """A conversion never pays more real won than game won."""
        return self.conversion_num > self.conversion_den


DAY_S = 24 * 3600

LIMITS: dict[str, tuple[int, int]] = {
    "starting_money": (0, 10**12),
    "max_quote_age_s": (1, 7 * DAY_S),
    "collar_bps": (0, 5_000),
    "fee_bps": (0, 1_000),
    "sell_tax_bps": (0, 1_000),
    "fx_spread_bps": (0, 1_000),
    "max_position_pct": (1, 100),
    "min_share_price": (0, 10**9),
    "trades_per_day": (1, 1_000),
    "min_order": (1, 10**9),
    "conversion_num": (1, 10**6),
    "conversion_den": (1, 10**6),
    "request_cap_week": (0, 10**9),
    "request_cap_month": (0, 10**10),
    "request_cooldown_s": (0, 30 * DAY_S),
    "min_request": (1, 10**12),
    "second_parent_threshold": (0, 10**10),
    "cooling_off_s": (0, 30 * DAY_S),
    "approval_above": (0, 10**12),
    "approval_first": (1, 1_000),
}
"""The inclusive bounds of every whole-number field: :meth:`HouseRules.validate` enforces them and
:class:`RulesChange` states them (so the REST body's schema says them too); one table, no drift."""


def _within(name: str) -> msgspec.Meta:
    low, high = LIMITS[name]
    return msgspec.Meta(ge=low, le=high)


class RulesChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A parent's change to a child's house rules: any of :class:`HouseRules`'s fields, each within
    its bounds (``LIMITS``); a field not sent keeps its value. ``msgspec.to_builtins`` leaves the
    unsent out.

    What one field cannot say is :class:`HouseRules`'s to check against the rules in force: a
    conversion rate above one (``conversion_num`` over ``conversion_den``) is refused as
    ``CONVERSION_ABOVE_PAR``."""

    starting_money: Annotated[int, _within("starting_money")] | UnsetType = UNSET
    markets: Annotated[list[Market], msgspec.Meta(max_length=len(Market))] | UnsetType = UNSET
    fill_policy: FillPolicy | UnsetType = UNSET
    max_quote_age_s: Annotated[int, _within("max_quote_age_s")] | UnsetType = UNSET
    collar_bps: Annotated[int, _within("collar_bps")] | UnsetType = UNSET
    fee_bps: Annotated[int, _within("fee_bps")] | UnsetType = UNSET
    sell_tax_bps: Annotated[int, _within("sell_tax_bps")] | UnsetType = UNSET
    fx_spread_bps: Annotated[int, _within("fx_spread_bps")] | UnsetType = UNSET
    max_position_pct: Annotated[int, _within("max_position_pct")] | UnsetType = UNSET
    min_share_price: Annotated[int, _within("min_share_price")] | UnsetType = UNSET
    trades_per_day: Annotated[int, _within("trades_per_day")] | UnsetType = UNSET
    limit_orders: bool | UnsetType = UNSET
    min_order: Annotated[int, _within("min_order")] | UnsetType = UNSET
    conversion_num: Annotated[int, _within("conversion_num")] | UnsetType = UNSET
    conversion_den: Annotated[int, _within("conversion_den")] | UnsetType = UNSET
    request_cap_week: Annotated[int, _within("request_cap_week")] | UnsetType = UNSET
    request_cap_month: Annotated[int, _within("request_cap_month")] | UnsetType = UNSET
    request_cooldown_s: Annotated[int, _within("request_cooldown_s")] | UnsetType = UNSET
    min_request: Annotated[int, _within("min_request")] | UnsetType = UNSET
    second_parent_threshold: Annotated[int, _within("second_parent_threshold")] | UnsetType = UNSET
    cooling_off_s: Annotated[int, _within("cooling_off_s")] | UnsetType = UNSET
    leaderboard: bool | UnsetType = UNSET
    journal_required: bool | UnsetType = UNSET
    trade_approval: TradeApproval | UnsetType = UNSET
    approval_above: Annotated[int, _within("approval_above")] | UnsetType = UNSET
    approval_first: Annotated[int, _within("approval_first")] | UnsetType = UNSET

    # for the OpenAPI document (server.openapi): what ``__post_init__`` refuses, which no type says
    __openapi_fields__: ClassVar[dict[str, dict[str, Any]]] = {"markets": {"unique_items": True}}

    def __post_init__(self) -> None:
        if self.markets is not UNSET and len(set(self.markets)) != len(self.markets):
            raise ValueError("markets: each market once")


PRESETS: dict[str, HouseRules] = {
    "beginner": HouseRules(markets=(Market.KRX,), fill_policy=FillPolicy.PRACTICE),
    "classic": HouseRules(),
    "realistic": HouseRules(fee_bps=15, sell_tax_bps=15, fx_spread_bps=100, limit_orders=True),
}


def preset(name: str) -> HouseRules:
    """A named preset (``KeyError`` for an unknown name)."""
    return PRESETS[name]
