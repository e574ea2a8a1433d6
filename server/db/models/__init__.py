"""Every model, so ``Base.metadata`` is complete when this package is imported."""

from .accounts import Device, Family, PairingCode, RefreshToken, ServerMeta, User
from .game import ChangeLog, DeviceQuote, MutationAlias, MutationAttempt, MutationRow, Outbox, QuoteRow
from .ledger import Balance, ChildState, LedgerEntry, PositionRow, RequestRow, RulesVersion, TradeRow
from .notify import Delivery, Notification

__all__ = [
    "Balance",
    "ChangeLog",
    "ChildState",
    "Delivery",
    "Device",
    "DeviceQuote",
    "Family",
    "LedgerEntry",
    "MutationAlias",
    "MutationAttempt",
    "MutationRow",
    "Notification",
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
