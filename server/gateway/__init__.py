"""The mutation gateway: the one door every change to a family's books passes, REST and push alike.

| module | owns |
|---|---|
| ``door`` | the :class:`Gateway` (a pass: one write transaction; one REST change) and a route's ``runner`` |
| ``call`` | :class:`Call`, the typed context of one pass |
| ``accounts`` | account changes (children, PINs, codes, devices, sign-in): who may make them, their pass |
| ``guards`` | who may run a mutation (``sync.policy`` with the family's facts) and step-up, checked once |
| ``ids`` | the family scoping of every id a caller chooses, and REST ``Idempotency-Key`` ids |
| ``budget`` | the trading budget, per order, on its own recorded time |
| ``record`` | deciding and recording one mutation, and the poison rule |
| ``outcomes`` | a stored outcome as callers read it |
| ``rest`` | a route's dependencies, its body read strictly, and a change's answer or problem |

Errors leave as :class:`server.errors.DomainError` with stable codes; ``server.problems.STATUS`` maps
them to HTTP once.

**The rule.** A change a caller asks for — through REST or a push, by a parent, a child or a device —
to a family's books, accounts, devices, data or notifications passes this gateway: the books' as
``sync`` mutations (``record``, ``Gateway.run``), the rest as rows of ``accounts.ACCOUNT_CHANGES``
(``Runner.change``, ``Runner.sending``; sign-ins through ``AccountDoor.signing_in``). So "who may
change what" is answered in this package and nowhere else.

**What does not pass it, and why.** Every other write has no caller whose right to make it could be
checked, or decides nothing:

- *The operator's console* (``server.admin``): market mode and replay speed, requeuing the outbox's
  dead letters, backups, disabling or enabling a family. It changes the server, not a family's
  books: the operator has no family, so no row of the gateway's could name it; the console's own
  guard (an operator's session) decides, and every change is in its audit log. Disabling a family
  writes the family's row, but as the server's decision about the family, not the family's. The
  operator's first sign-up (``server.accounts.setup``) is a sign-in pass like any other.
- *Closing writes of a payout* (``server.payment``): the payout's ``failed`` or ``pending`` after a
  provider answered (``Payments._finish``) records what the provider already did, so it must be
  written even if the parent's step-up lapsed while the provider thought; and KakaoPay's return
  closing a link (``payment.returns``: cancelled, failed, or no longer payable) comes from a browser
  with no credentials, signed by the server itself. Neither decides anything about money: paying,
  ``allowance.mark_paid``, passes the gateway (as the parent who opened the link, on the return).
- *Marking quotes served* (``replication.pull``, ``GET /api/market/price``, the live channel): a
  record of what the server showed a device, for the fill rule to consult later; the read it belongs
  to is the caller's, and it changes no book. It is a short write of its own
  (``market.quotes.record_served``), taken only when the read found a quote new to the device.
- *The server's own work on its clock*: the notification dispatcher and the weekly summary
  (``server.notify``), queued orders filled at the open and corporate actions (``server.market``),
  an erasure whose cooling-off ended (``privacy.erasure``; asking for it and calling it off pass
  the gateway), market data, prices and FX, and the audit log. Each acts for no caller; the decisions
  about money in it are ``sync``'s rules, as every mutation's are.
"""

from .accounts import ACCOUNT_CHANGES, AccountDoor, AccountPass, route_guard
from .call import Call
from .door import Gateway, Runner, provide_gateway, provide_runner
from .guards import StepUpRequired, family_of
from .record import POISON_AFTER, OneByOne, Poisoned, known_mutation, submit

__all__ = [
    "ACCOUNT_CHANGES",
    "POISON_AFTER",
    "AccountDoor",
    "AccountPass",
    "Call",
    "Gateway",
    "OneByOne",
    "Poisoned",
    "Runner",
    "StepUpRequired",
    "route_guard",
    "family_of",
    "known_mutation",
    "provide_gateway",
    "provide_runner",
    "submit",
]
