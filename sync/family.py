"""Deciding family mutations a parent makes: game-money grants and house-rule changes."""

from __future__ import annotations

import msgspec

from .book import Book, Effects
from .context import Context
from .errors import Code, Rejected
from .ledger import move
from .protocol import FamilyGrant, RulesSet, printable
from .rules import HouseRules

__all__ = ["grant", "set_rules"]


def grant(book: Book, args: FamilyGrant, ctx: Context) -> Effects:
    """``family.grant``: a parent tops up a child's game money with a reason."""
    if book.grant_exists(args.grant_id):
        raise Rejected(Code.ID_TAKEN, {"field": "grant_id"})
    stats = book.stats()
    effects = Effects(at=ctx.now, entries=move("grants", "cash", args.amount))
    effects.records.append(msgspec.structs.replace(stats, invested=stats.invested + args.amount))
    effects.grants.append(args.grant_id)
    effects.detail = {"amount": args.amount, "reason": args.reason}
    return effects


def set_rules(book: Book, args: RulesSet, ctx: Context) -> Effects:
    """``rules.set``: a new house-rules version, effective for mutations received from now on."""
    merged = {**msgspec.to_builtins(book.rules()), **args.rules}
    try:
        rules = msgspec.convert(merged, HouseRules, strict=True)
    except msgspec.ValidationError as error:
        raise Rejected(Code.INVALID_ARGS, {"error": printable(str(error))}) from None
    bad = rules.out_of_bounds()
    if bad:
        raise Rejected(Code.INVALID_ARGS, {"fields": bad})
    if rules.above_par():
        # each half within its bounds; the pair (or the half sent with the stored other) is not
        raise Rejected(Code.CONVERSION_ABOVE_PAR, {"fields": ["conversion_num", "conversion_den"]})
    effects = Effects(at=ctx.now, records=[rules])
    effects.detail = {"changed": sorted(args.rules)}
    return effects
