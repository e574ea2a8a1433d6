"""The device's local database (sync.md, "Device storage")."""

from .local import LocalStore
from .rows import IdentityRow, InvalidMutation, PendingRow, StoredOutcome

__all__ = ["IdentityRow", "InvalidMutation", "LocalStore", "PendingRow", "StoredOutcome"]
