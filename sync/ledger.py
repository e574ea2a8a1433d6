"""The double-entry ledger: accounts, entries, and applying them to balances.

Each child has its own set of accounts, each in one ledger (GAME or REAL) and one unit
(``KRW`` or a symbol, counted in micro-shares). Every change is a list of entries that sums to
zero per (ledger, unit); nothing is ever updated or deleted, a correction is a new entry.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, MutableMapping

import msgspec

__all__ = [
    "AccountSpec",
    "Entry",
    "Ledger",
    "account_spec",
    "apply_entries",
    "check_balanced",
    "move",
    "position_account",
    "reserved_shares_account",
]


class Ledger(enum.StrEnum):
    GAME = "GAME"
    REAL = "REAL"


class AccountSpec(msgspec.Struct, frozen=True):
    name: str
    ledger: Ledger
    unit: str
    may_go_negative: bool


_FIXED: dict[str, AccountSpec] = {
    spec.name: spec
    for spec in (
        AccountSpec("cash", Ledger.GAME, "KRW", False),
        AccountSpec("reserved", Ledger.GAME, "KRW", False),
        AccountSpec("market", Ledger.GAME, "KRW", True),
        AccountSpec("grants", Ledger.GAME, "KRW", True),
        AccountSpec("conversion_sink", Ledger.GAME, "KRW", True),
        AccountSpec("allowance_payable", Ledger.REAL, "KRW", False),
        AccountSpec("allowance_paid", Ledger.REAL, "KRW", False),
        AccountSpec("family_expense", Ledger.REAL, "KRW", True),
    )
}


def position_account(symbol: str) -> str:
    """Shares a child holds, in micro-shares."""
    return f"position:{symbol}"


def reserved_shares_account(symbol: str) -> str:
    """Shares held back by a queued sell order."""
    return f"reserved:{symbol}"


def account_spec(name: str) -> AccountSpec:
    """The ledger, unit and sign rule of an account name (raises ``KeyError`` if unknown)."""
    spec = _FIXED.get(name)
    if spec is not None:
        return spec
    kind, _, symbol = name.partition(":")
    if not symbol:
        raise KeyError(name)
    if kind in ("position", "reserved"):
        return AccountSpec(name, Ledger.GAME, symbol, False)
    if kind == "market":  # the counterparty of share movements
        return AccountSpec(name, Ledger.GAME, symbol, True)
    raise KeyError(name)


class Entry(msgspec.Struct, frozen=True):
    """One signed amount posted to one of a child's accounts."""

    account: str
    amount: int


def move(source: str, target: str, amount: int) -> list[Entry]:
    """Two entries moving ``amount`` from ``source`` to ``target`` (same ledger and unit)."""
    if amount < 0:
        raise ValueError("a move is never negative; swap source and target")
    if amount == 0:
        return []
    return [Entry(source, -amount), Entry(target, amount)]


def check_balanced(entries: Iterable[Entry]) -> None:
    """Raise ``ValueError`` unless the entries sum to zero per (ledger, unit)."""
    sums: dict[tuple[Ledger, str], int] = {}
    for entry in entries:
        spec = account_spec(entry.account)
        key = (spec.ledger, spec.unit)
        sums[key] = sums.get(key, 0) + entry.amount
    unbalanced = {f"{ledger}/{unit}": total for (ledger, unit), total in sums.items() if total}
    if unbalanced:
        raise ValueError(f"entries do not balance: {unbalanced}")


def apply_entries(balances: MutableMapping[str, int], entries: Iterable[Entry]) -> dict[str, int]:
    """Post entries to ``balances`` in place; return the changed balances.

    Raises ``ValueError`` (before changing anything) when the entries do not balance or an account
    that may not go negative would. Callers check funds first and reject with a proper code; this is
    the last line of defence, like the database's CHECK constraints.
    """
    entries = list(entries)
    check_balanced(entries)
    changed: dict[str, int] = {}
    for entry in entries:
        changed[entry.account] = changed.get(entry.account, balances.get(entry.account, 0)) + entry.amount
    for name, value in changed.items():
        if value < 0 and not account_spec(name).may_go_negative:
            raise ValueError(f"account {name} would go negative ({value})")
    balances.update(changed)
    return changed


def nonzero(balances: Mapping[str, int]) -> dict[str, int]:
    """Balances without the zero ones (what a checksum and a snapshot compare)."""
    return {name: value for name, value in balances.items() if value}
