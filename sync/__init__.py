"""Yongdon's shared core: pure rules and the wire protocol, used by the server and the device.

Nothing here does I/O or reads a clock or a random source: time, ids and randomness are arguments.
"""

from . import policy
from .book import Book, Effects, MemoryBook
from .context import Context
from .errors import Code, ProtocolCode, Rejected
from .handlers import SUPPORTED, decide
from .market import Quote, currency_of, market_of
from .policy import needs_step_up, target_child
from .records import Actor, Position, Request, RequestStatus, Role, Stats, Trade, TradeStatus
from .rules import PRESETS, FillPolicy, HouseRules, Market

__all__ = [
    "PRESETS",
    "SUPPORTED",
    "Actor",
    "Book",
    "Code",
    "Context",
    "Effects",
    "FillPolicy",
    "HouseRules",
    "Market",
    "MemoryBook",
    "Position",
    "ProtocolCode",
    "Quote",
    "Rejected",
    "Request",
    "RequestStatus",
    "Role",
    "Stats",
    "Trade",
    "TradeStatus",
    "currency_of",
    "decide",
    "market_of",
    "needs_step_up",
    "policy",
    "target_child",
]
