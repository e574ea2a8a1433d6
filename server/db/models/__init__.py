"""Every model, so ``Base.metadata`` is complete when this package is imported."""

from .accounts import Device, Family, PairingCode, RefreshToken, ServerMeta, User
from .game import ChangeLog, DeviceQuote, MutationAlias, MutationAttempt, MutationRow, Outbox, QuoteRow
from .ledger import Balance, ChildState, LedgerEntry, PositionRow, RequestRow, RulesVersion, TradeRow

__all__ = [
    "Balance",
    "ChangeLog",
    "ChildState",
    "Device",
    "DeviceQuote",
    "Family",
    "LedgerEntry",
    "MutationAlias",
    "MutationAttempt",
    "MutationRow",
    "Outbox",
    "PairingCode",
    "PositionRow",
    "QuoteRow",
    "RefreshToken",
    "RequestRow",
    "RulesVersion",
    "ServerMeta",
    "TradeRow",
    "User",
]
