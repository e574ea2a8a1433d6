"""Request bodies of the game routes (responses are the records of ``sync``)."""

from __future__ import annotations

import msgspec

from sync.protocol import Id, Micro, PositiveWon, Reason, Symbol

__all__ = ["GrantBody", "TradeBody"]


class TradeBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A buy or sell: a quantity in micro-shares or an amount in game won, citing the quote shown."""

    symbol: Symbol
    quantity: Micro | None = None
    amount: PositiveWon | None = None
    quote_id: Id | None = None
    price: Micro | None = None
    limit_price: Micro | None = None
    trade_id: Id | None = None


class GrantBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    child_id: Id
    amount: PositiveWon
    reason: Reason
