"""The view tables' rows: a rebased book written back in the server's wire shape, all of them or only
those a rebase wrote."""

from __future__ import annotations

from typing import Any

import msgspec

from sync.book import MemoryBook

__all__ = ["Key", "book_records", "row_data", "written_records"]


Key = tuple[str, str]  # (entity, id)


def book_records(book: MemoryBook, rules_version: int | None) -> dict[Key, tuple[str, Any]]:
    """Every row a book shows, keyed like ``v_entity`` and valued by its (frozen) record, so two
    builds of the view compare row by row without serializing anything."""
    child = book.child_id
    rows: dict[Key, tuple[str, Any]] = {}
    for account, balance in book.balances.items():
        rows["balance", f"{child}:{account}"] = (child, (account, balance))
    for symbol, position in book.positions_.items():
        rows["position", f"{child}:{symbol}"] = (child, position)
    for trade_id, trade in book.trades.items():
        rows["trade", trade_id] = (child, trade)
    for request_id, request in book.requests_.items():
        rows["request", request_id] = (child, request)
    if book.stats_ is not None:
        rows["stats", child] = (child, book.stats_)
    rows["rules", child] = (child, (rules_version or 0, book.rules_))
    return rows


def row_data(entity: str, child: str, value: Any) -> dict[str, Any]:
    """One ``v_entity`` row in the server's wire shape (what ``Replica.book`` reads back)."""
    if entity == "balance":
        account, balance = value
        return {"child_id": child, "account": account, "balance": balance}
    if entity == "position":
        return {"child_id": child, "symbol": value.symbol, "quantity": value.quantity, "cost": value.cost}
    if entity == "rules":
        version, rules = value
        return {"child_id": child, "version": version, **msgspec.to_builtins(rules)}
    data: dict[str, Any] = msgspec.to_builtins(value)
    return data


def written_records(book: MemoryBook, rules_version: int | None) -> dict[Key, tuple[str, Any]]:
    """The rows a rebased book (a fork of a confirmed book) wrote, valued like ``book_records``:
    a rebuild rewrites these and the ones the previous rebuild wrote, not the whole history."""
    child, written = book.child_id, book.written()
    rows: dict[Key, tuple[str, Any]] = {}
    for account in written.accounts:
        rows["balance", f"{child}:{account}"] = (child, (account, book.balances[account]))
    for symbol in written.symbols:
        rows["position", f"{child}:{symbol}"] = (child, book.positions_[symbol])
    for trade_id in written.trades:
        rows["trade", trade_id] = (child, book.trades[trade_id])
    for request_id in written.requests:
        rows["request", request_id] = (child, book.requests_[request_id])
    if book.stats_ is not None:
        rows["stats", child] = (child, book.stats_)
    rows["rules", child] = (child, (rules_version or 0, book.rules_))
    return rows
