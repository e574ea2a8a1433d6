"""Deciding family mutations a parent makes: game-money grants and house-rule changes."""

from __future__ import annotations

import msgspec

from .book import Book, Effects
from .context import Context
from .errors import Code, Rejected
from .ledger import move
from .protocol import FamilyGrant, RulesSet
from .records import Role
from .rules import HouseRules

__all__ = ["grant", "set_rules"]


def grant(book: Book, args: FamilyGrant, ctx: Context) -> Effects:
    """``family.grant``: a parent tops up a child's game money with a reason."""
    if ctx.actor.role is not Role.PARENT:
        raise Rejected(Code.FORBIDDEN)
    if book.grant_exists(args.grant_id):
        raise Rejected(Code.INVALID_ARGS, {"field": "grant_id"})
    stats = book.stats()
    effects = Effects(at=ctx.now, entries=move("grants", "cash", args.amount))
    effects.records.append(msgspec.structs.replace(stats, invested=stats.invested + args.amount))
    effects.grants.append(args.grant_id)
    effects.detail = {"amount": args.amount, "reason": args.reason}
    return effects


def set_rules(book: Book, args: RulesSet, ctx: Context) -> Effects:
    """``rules.set``: a new house-rules version, effective for mutations received from now on."""
    if ctx.actor.role is not Role.PARENT:
        raise Rejected(Code.FORBIDDEN)
    merged = {**msgspec.to_builtins(book.rules()), **args.rules}
    try:
        rules = msgspec.convert(merged, HouseRules, strict=False)
    except msgspec.ValidationError as error:
        raise Rejected(Code.INVALID_ARGS, {"error": str(error)}) from None
    bad = rules.validate()
    if bad:
        raise Rejected(Code.INVALID_ARGS, {"fields": bad})
    effects = Effects(at=ctx.now, records=[rules])
    effects.detail = {"changed": sorted(args.rules)}
    return effects
