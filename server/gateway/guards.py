"""Whether the caller may run a mutation at all: ``sync.policy`` applied with the server's facts.

Checked once per mutation, in this order (the first that fails answers), for REST and push alike:

1. a ``child_id`` outside the caller's family (or none such) is ``NOT_FOUND`` for every role: another
   family's child does not exist for it, so it never learns that it does;
2. a role the mutation does not allow is ``FORBIDDEN`` (a parent buying, a child approving);
3. a mutation without a child of the caller's family to act on is ``NOT_FOUND``;
4. a change that needs step-up, from a parent whose password is older than 5 minutes, raises
   :class:`StepUpRequired`: not a rejection (nothing is recorded), the push stops and keeps the
   queue, REST answers 403, and the same mutation goes through once the parent has confirmed.

A refusal is recorded like any rejection, but it is no decision of the rules: it reads no book and
changes nothing, so a replay of the log has nothing to decide for it.
"""

from __future__ import annotations

from sync.errors import Code
from sync.policy import needs_step_up, refusal, target_child
from sync.protocol import Mutation

from ..errors import DomainError
from ..principal import Principal
from .call import Call

__all__ = ["StepUpRequired", "authorize", "family_of"]


def family_of(principal: Principal) -> str:
    """The caller's family; the operator has none, and no family's data exists for it."""
    if principal.family_id is None:
        raise DomainError(Code.NOT_FOUND, "no family data for this account")
    return principal.family_id


class StepUpRequired(Exception):
    """The mutation needs a parent who re-entered the password in the last 5 minutes."""


def authorize(call: Call, m: Mutation) -> Code | None:
    """The refusal for ``m`` by this caller, or ``None`` when it may go on. Raises
    :class:`StepUpRequired` (after every other check passed: no password fixes a refusal)."""
    if m.name == "noop/v1":
        return None
    named = m.args.get("child_id")
    if isinstance(named, str) and not call.child_in_family(named):
        return Code.NOT_FOUND
    actor = call.principal.actor()
    refused = refusal(actor, m.name)
    if refused is not None:
        return refused
    if not call.child_in_family(target_child(m.name, m.args, actor)):
        return Code.NOT_FOUND
    if needs_step_up(m.name, m.args) and not call.principal.elevated(call.now):
        raise StepUpRequired(m.id)
    return None
