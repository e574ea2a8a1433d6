"""House rules: the per-child settings a parent controls, with presets.

A rules change never rewrites history: the server stores each version with the time it took
effect and decides every mutation with the version in force when the mutation arrived.
"""

from __future__ import annotations

import enum

import msgspec

__all__ = ["FillPolicy", "HouseRules", "Market", "PRESETS", "preset"]


class Market(enum.StrEnum):
    KRX = "KRX"
    US = "US"


class FillPolicy(enum.StrEnum):
    QUOTE = "quote"
    NEXT_OPEN = "next_open"
    PRACTICE = "practice"


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

    def validate(self) -> list[str]:
        """Names of fields whose values make no sense (empty when all is well)."""
        bad: list[str] = []
        checks = {
            "starting_money": 0 <= self.starting_money <= 10**12,
            "markets": len(set(self.markets)) == len(self.markets),
            "max_quote_age_s": 0 < self.max_quote_age_s <= 7 * 24 * 3600,
            "collar_bps": 0 <= self.collar_bps <= 5_000,
            "fee_bps": 0 <= self.fee_bps <= 1_000,
            "sell_tax_bps": 0 <= self.sell_tax_bps <= 1_000,
            "fx_spread_bps": 0 <= self.fx_spread_bps <= 1_000,
            "max_position_pct": 1 <= self.max_position_pct <= 100,
            "min_share_price": 0 <= self.min_share_price <= 10**9,
            "trades_per_day": 1 <= self.trades_per_day <= 1_000,
            "min_order": 1 <= self.min_order <= 10**9,
            "conversion_num": 0 < self.conversion_num <= 10**6,
            "conversion_den": 0 < self.conversion_den <= 10**6,
            "request_cap_week": 0 <= self.request_cap_week <= 10**9,
            "request_cap_month": 0 <= self.request_cap_month <= 10**10,
            "request_cooldown_s": 0 <= self.request_cooldown_s <= 30 * 24 * 3600,
            "min_request": 1 <= self.min_request <= 10**12,
            "second_parent_threshold": 0 <= self.second_parent_threshold <= 10**10,
            "cooling_off_s": 0 <= self.cooling_off_s <= 30 * 24 * 3600,
        }
        bad.extend(name for name, ok in checks.items() if not ok)
        if self.conversion_num > self.conversion_den:
            bad.append("conversion_num")  # a conversion never pays more real won than game won
        return bad


PRESETS: dict[str, HouseRules] = {
    "beginner": HouseRules(markets=(Market.KRX,), fill_policy=FillPolicy.PRACTICE),
    "classic": HouseRules(),
    "realistic": HouseRules(fee_bps=15, sell_tax_bps=15, fx_spread_bps=100, limit_orders=True),
}


def preset(name: str) -> HouseRules:
    """A named preset (``KeyError`` for an unknown name)."""
    return PRESETS[name]
