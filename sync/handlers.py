"""The mutation handlers' decision logic: one entry point used by server and device alike.

``decide`` validates the arguments, checks the actor's role, and returns the effects of the
mutation on one child's book, or raises ``Rejected`` with a code from the closed set. It reads the
book and never writes: the caller posts the effects inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from . import conversions, family, trading
from .book import Book, Effects
from .context import Context
from .errors import Code, Rejected
from .protocol import ARGS, decode_args
from .records import Actor, Role

__all__ = ["SUPPORTED", "decide", "needs_step_up", "roles_for", "target_child"]

_Handler = Callable[[Book, Any, Context], Effects]


def _noop(book: Book, args: object, ctx: Context) -> Effects:
    return Effects(at=ctx.now)


_HANDLERS: dict[str, tuple[_Handler, frozenset[Role]]] = {
    "trade.place/v1": (trading.place_order, frozenset({Role.CHILD})),
    "trade.cancel/v1": (trading.cancel_order, frozenset({Role.CHILD, Role.PARENT})),
    "allowance.request/v1": (conversions.make_request, frozenset({Role.CHILD})),
    "allowance.edit/v1": (conversions.edit_request, frozenset({Role.CHILD})),
    "allowance.cancel/v1": (conversions.cancel_request, frozenset({Role.CHILD})),
    "allowance.decide/v1": (conversions.decide_request, frozenset({Role.PARENT})),
    "allowance.mark_paid/v1": (conversions.mark_paid, frozenset({Role.PARENT})),
    "family.grant/v1": (family.grant, frozenset({Role.PARENT})),
    "rules.set/v1": (family.set_rules, frozenset({Role.PARENT})),
    "noop/v1": (_noop, frozenset({Role.CHILD, Role.PARENT})),
}
assert set(_HANDLERS) == set(ARGS)

SUPPORTED = frozenset(_HANDLERS)
"""Mutation names (with versions) this build can decide."""


def roles_for(name: str) -> frozenset[Role]:
    """The roles whose members may run mutation ``name`` (``KeyError`` for an unknown name)."""
    return _HANDLERS[name][1]


def target_child(name: str, args: dict[str, Any], actor: Actor) -> str | None:
    """The child whose book a mutation touches: the child itself, or the ``child_id`` a parent names.

    ``None`` for a mutation without a child (a no-op) or a parent that named none.
    """
    if name == "noop/v1":
        return None
    if actor.role is Role.CHILD:
        return actor.user_id
    child = args.get("child_id")
    return child if isinstance(child, str) else None


def needs_step_up(name: str, args: dict[str, Any]) -> bool:
    """Approvals, payouts and house-rule changes need a parent who re-entered the password recently."""
    if name == "allowance.decide/v1":
        return args.get("decision") == "approve"
    return name in ("allowance.mark_paid/v1", "rules.set/v1")


def decide(name: str, args: dict[str, Any], book: Book, ctx: Context) -> Effects:
    """Decide one mutation against ``book``. Raises ``Rejected``; ``KeyError`` for an unknown name."""
    handler, roles = _HANDLERS[name]
    try:
        typed = decode_args(name, args)
    except msgspec.ValidationError as error:
        raise Rejected(Code.INVALID_ARGS, {"error": str(error)}) from None
    if ctx.actor.role not in roles:
        raise Rejected(Code.FORBIDDEN)
    return handler(book, typed, ctx)
