"""Mutation builders for the screens: each returns ``(name, args)`` ready for ``Profile.act``.

Ids of new objects (trades, requests, grants) are UUIDv7 made here, before anything is stored, so an
offline screen can point at the new object and a retried push names the same one (sync.md, Identities).
"""

from __future__ import annotations

from typing import Any, Literal

from sync.journal import journal_of
from sync.market import Quote

from .clock import new_id

__all__ = [
    "cancel_order",
    "cancel_request",
    "decide_request",
    "decide_trade",
    "edit_request",
    "grant",
    "mark_paid",
    "place_order",
    "request_conversion",
    "set_rules",
]

Mutation = tuple[str, dict[str, Any]]


def _clean(args: dict[str, Any]) -> dict[str, Any]:
    """Drop absent optional fields: the server's argument structs reject nothing else."""
    return {k: v for k, v in args.items() if v is not None}


def place_order(
    symbol: str,
    side: Literal["buy", "sell"],
    *,
    quantity: int | None = None,
    amount: int | None = None,
    quote: Quote | None = None,
    limit_price: int | None = None,
    journal: str | None = None,
) -> Mutation:
    """An order by ``quantity`` (micro-shares) or by ``amount`` (won), citing the quote the child saw,
    with the child's sentence on why (``journal``; blank is none, so it is not sent at all)."""
    if (quantity is None) == (amount is None):
        raise ValueError("give exactly one of quantity or amount")
    args = {
        "trade_id": new_id(),
        "side": side,
        "symbol": symbol,
        "quantity": quantity,
        "amount": amount,
        "quote_id": quote.quote_id if quote else None,
        "price": quote.price if quote else None,
        "limit_price": limit_price,
        "journal": journal_of(journal),
    }
    return "trade.place/v1", _clean(args)


def cancel_order(trade_id: str, child_id: str | None = None) -> Mutation:
    """Cancel a queued order; a parent names the child."""
    return "trade.cancel/v1", _clean({"trade_id": trade_id, "child_id": child_id})


def request_conversion(amount_game: int) -> Mutation:
    return "allowance.request/v1", {"request_id": new_id(), "amount_game": amount_game}


def edit_request(request_id: str, amount_game: int) -> Mutation:
    return "allowance.edit/v1", {"request_id": request_id, "amount_game": amount_game}


def cancel_request(request_id: str) -> Mutation:
    return "allowance.cancel/v1", {"request_id": request_id}


def decide_request(
    child_id: str,
    request_id: str,
    version: int,
    amount_real: int,
    decision: Literal["approve", "reject"],
    reason: str | None = None,
) -> Mutation:
    """A parent's decision on the version and amount it saw (the server answers REQUEST_CHANGED otherwise)."""
    args = {
        "child_id": child_id,
        "request_id": request_id,
        "version": version,
        "amount_real": amount_real,
        "decision": decision,
        "reason": reason,
    }
    return "allowance.decide/v1", _clean(args)


def decide_trade(
    child_id: str, trade_id: str, decision: Literal["approve", "decline"], reason: str | None = None
) -> Mutation:
    """A parent's decision on an order waiting for approval (a decline says why: the child reads it)."""
    args = {"child_id": child_id, "trade_id": trade_id, "decision": decision, "reason": reason}
    return "trade.decide/v1", _clean(args)


def mark_paid(child_id: str, request_id: str, method: str, reference: str | None = None) -> Mutation:
    args = {"child_id": child_id, "request_id": request_id, "method": method, "reference": reference}
    return "allowance.mark_paid/v1", _clean(args)


def grant(child_id: str, amount: int, reason: str) -> Mutation:
    return "family.grant/v1", {"child_id": child_id, "grant_id": new_id(), "amount": amount, "reason": reason}


def set_rules(child_id: str, rules: dict[str, Any]) -> Mutation:
    """New house rules (a partial or full dict of ``HouseRules`` fields)."""
    return "rules.set/v1", {"child_id": child_id, "rules": dict(rules)}
