"""The mutation handlers' decision logic: one entry point used by server and device alike.

``decide`` validates the arguments and returns the effects of the mutation on one child's book, or
raises ``Rejected`` with a code from the closed set. It reads the book and never writes: the caller
posts the effects inside its own transaction. Who may run a mutation on which book is not decided
here but in :mod:`sync.policy`, which the server's gateway enforces before deciding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from . import conversions, family, trading
from .book import Book, Effects
from .context import Context
from .errors import Code, Rejected
from .policy import POLICY, needs_step_up, target_child
from .protocol import ARGS, decode_args, printable

# ``needs_step_up`` and ``target_child`` are read from here by devices (the table is sync.policy)
__all__ = ["SUPPORTED", "decide", "decide_valid", "needs_step_up", "target_child", "validate"]

_Handler = Callable[[Book, Any, Context], Effects]


def _noop(book: Book, args: object, ctx: Context) -> Effects:
    return Effects(at=ctx.now)


_HANDLERS: dict[str, _Handler] = {
    "trade.place/v1": trading.place_order,
    "trade.cancel/v1": trading.cancel_order,
    "trade.decide/v1": trading.decide_trade,
    "allowance.request/v1": conversions.make_request,
    "allowance.edit/v1": conversions.edit_request,
    "allowance.cancel/v1": conversions.cancel_request,
    "allowance.decide/v1": conversions.decide_request,
    "allowance.mark_paid/v1": conversions.mark_paid,
    "family.grant/v1": family.grant,
    "rules.set/v1": family.set_rules,
    "noop/v1": _noop,
}
assert set(_HANDLERS) == set(ARGS) == set(POLICY)

SUPPORTED = frozenset(_HANDLERS)
"""Mutation names (with versions) this build can decide."""


def validate(name: str, args: dict[str, Any]) -> Any:
    """The typed arguments of ``name``: one strict rule for every path. Raises ``Rejected``
    (``INVALID_ARGS``); ``KeyError`` for an unknown name."""
    try:
        return decode_args(name, args)
    except msgspec.ValidationError as error:
        raise Rejected(Code.INVALID_ARGS, {"error": printable(str(error))}) from None


def decide_valid(name: str, typed: Any, book: Book, ctx: Context) -> Effects:
    """Decide a mutation whose arguments :func:`validate` returned. Raises ``Rejected``.

    The actor in ``ctx`` is one :mod:`sync.policy` allows on this book.
    """
    return _HANDLERS[name](book, typed, ctx)


def decide(name: str, args: dict[str, Any], book: Book, ctx: Context) -> Effects:
    """Validate and decide one mutation against ``book``. Raises ``Rejected``; ``KeyError`` for an
    unknown name."""
    return decide_valid(name, validate(name, args), book, ctx)
