"""Every model, so ``Base.metadata`` is complete when this package is imported."""

from .accounts import Device, Family, PairingCode, RefreshToken, ServerMeta, User
from .actions import ActionApplication, CorporateAction
from .billing import Subscription, SubscriptionCharge
from .game import (
    ChangeLog,
    DeviceQuote,
    MutationAlias,
    MutationAttempt,
    MutationRow,
    Outbox,
    QuoteRow,
    ServerAction,
)
from .ledger import Balance, ChildState, LedgerEntry, PositionRow, RequestRow, RulesVersion, TradeRow
from .market import BarRow, WatchedSymbol
from .missions import MissionRow
from .notify import Delivery, Notification
from .operations import OperatorAction
from .payment import BankAccount, NotificationPref, Payout, PhoneNumber, PushTarget
from .privacy import Erasure

__all__ = [
    "ActionApplication",
    "Balance",
    "BarRow",
    "BankAccount",
    "ChangeLog",
    "ChildState",
    "CorporateAction",
    "Delivery",
    "Device",
    "Erasure",
    "DeviceQuote",
    "Family",
    "LedgerEntry",
    "MissionRow",
    "MutationAlias",
    "MutationAttempt",
    "MutationRow",
    "Notification",
    "NotificationPref",
    "OperatorAction",
    "Outbox",
    "PairingCode",
    "Payout",
    "PhoneNumber",
    "PositionRow",
    "PushTarget",
    "QuoteRow",
    "RefreshToken",
    "RequestRow",
    "RulesVersion",
    "ServerAction",
    "ServerMeta",
    "Subscription",
    "SubscriptionCharge",
    "TradeRow",
    "User",
    "WatchedSymbol",
]
