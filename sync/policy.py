"""Who may run which mutation: the one table of the family's permissions.

The server's mutation gateway (``server/gateway``) enforces it for every change, REST and push
alike; a device reads it to predict (and to ask a parent for the password before queueing an
approval). The rules, in the order the gateway applies them:

1. **Whose book.** Every mutation acts on one child's book (the no-op on none). A child acts on its
   own book, whatever the arguments say; a parent acts on the child it names (``child_id``). A child
   outside the caller's family does not exist for it: ``NOT_FOUND``, for every role (the server
   checks the family; nothing here knows families).
2. **Which role.** The role must be one the table lists, else ``FORBIDDEN`` (a parent buying, a child
   approving its own request).
3. **Step-up.** A change marked ``step_up`` needs a parent who re-entered the password in the last
   5 minutes. It is not a rejection: the push stops with ``STEP_UP_REQUIRED`` and keeps the queue,
   REST answers 403, and nothing is recorded until the parent confirms.
4. **Ids the mutation creates** (``claims``) are chosen by the device. Each names one object of one
   child; an id already used by any other child, in this family or another, is refused
   (``ID_TAKEN``) and touches nothing. A grant id must be new in the family.
5. **Trading budget.** An order (``trading``) counts against the child's orders per minute
   (``server/gateway/budget.py``).

What a decision then depends on — the second parent above the threshold, the cooling-off of a
family with one parent, the version and amount the parent saw — is the domain's, in
:mod:`sync.conversions`. So: *who may approve a request?* A parent of the child's family, stepped
up; the request must still be the version and amount it saw, and above
``second_parent_threshold`` a second parent (or the cooling-off) must confirm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import Code
from .records import Actor, Role

__all__ = [
    "POLICY",
    "Permission",
    "claimed_ids",
    "needs_step_up",
    "refusal",
    "roles_for",
    "target_child",
]

_CHILD = frozenset({Role.CHILD})
_PARENT = frozenset({Role.PARENT})
_ANYONE = frozenset({Role.CHILD, Role.PARENT})


def _never(args: dict[str, Any]) -> bool:
    return False


def _always(args: dict[str, Any]) -> bool:
    return True


def _approving(args: dict[str, Any]) -> bool:
    # a rejection moves no real money; a declined trade moves none at all
    return args.get("decision") == "approve"


@dataclass(frozen=True)
class Permission:
    """One mutation's row of the table."""

    roles: frozenset[Role]
    step_up: Callable[[dict[str, Any]], bool] = _never
    claims: tuple[tuple[str, str], ...] = ()  # (argument, kind of object) the mutation creates
    trading: bool = False  # an order: counts against the per-minute trading budget


POLICY: dict[str, Permission] = {
    "trade.place/v1": Permission(_CHILD, claims=(("trade_id", "trade"),), trading=True),
    "trade.cancel/v1": Permission(_ANYONE),
    # approving a child's trade: stepped up, so a child holding an unlocked parent phone cannot
    "trade.decide/v1": Permission(_PARENT, step_up=_approving),
    "allowance.request/v1": Permission(_CHILD, claims=(("request_id", "request"),)),
    "allowance.edit/v1": Permission(_CHILD),
    "allowance.cancel/v1": Permission(_CHILD),
    "allowance.decide/v1": Permission(_PARENT, step_up=_approving),
    "allowance.mark_paid/v1": Permission(_PARENT, step_up=_always),
    "family.grant/v1": Permission(_PARENT, claims=(("grant_id", "grant"),)),
    "rules.set/v1": Permission(_PARENT, step_up=_always),
    "noop/v1": Permission(_ANYONE),
}


def roles_for(name: str) -> frozenset[Role]:
    """The roles whose members may run mutation ``name`` (``KeyError`` for an unknown name)."""
    return POLICY[name].roles


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
    permission = POLICY.get(name)
    return permission is not None and permission.step_up(args)


def refusal(actor: Actor, name: str) -> Code | None:
    """``FORBIDDEN`` when the actor's role may not run ``name`` at all (rule 2), else ``None``."""
    return None if actor.role in POLICY[name].roles else Code.FORBIDDEN


def claimed_ids(name: str, args: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The new objects a mutation names: ``(argument, kind, id)`` for each id it creates (rule 4)."""
    permission = POLICY.get(name)
    if permission is None:
        return []
    return [
        (argument, kind, value)
        for argument, kind in permission.claims
        if isinstance(value := args.get(argument), str)
    ]
