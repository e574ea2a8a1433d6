"""Deciding and recording one mutation inside the call's write transaction.

The outcome row and the effects are written in the call's transaction, so they become visible
together (with a push's ``last_seq``) or not at all. In order, a mutation is:

1. authorized (``guards``): a refusal is recorded, a missing step-up stops the caller;
2. validated: its arguments against the one strict rule of ``sync.protocol`` (``INVALID_ARGS``);
3. checked for the ids it creates (``ids``): another child's id is refused (``ID_TAKEN``);
4. counted against the trading budget if it is an order (``budget``);
5. decided by the shared rules against the child's book, and its effects posted.

Steps 1–4 refuse without reading the book: such a rejection is no decision of the rules, records no
market facts and has no place in a replay. A rule's rejection (step 5) records the facts it read and
its place among the family's decisions (``AFTER``), and is decided again by the replay.

A failure that is no rule's answer — a handler's bug, data the database refuses — is counted against
the mutation (in the call's transaction, which the caller commits even when it stops there) and the
caller stops with :class:`Poisoned` (503, retry); after ``POISON_AFTER`` failures, counted across
pushes and across both ways of writing, it is recorded as ``rejected: INTERNAL`` so one mutation
never wedges its device's queue. A temporary failure (the database is busy) is not counted: nothing
is recorded and the caller answers 503.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from sync.context import Context
from sync.errors import Code, Rejected
from sync.handlers import decide_valid, validate
from sync.policy import POLICY, target_child
from sync.protocol import Mutation, MutationResult, Outcome

from ..db import TemporaryFailure
from ..db.models import MutationAlias, MutationAttempt, MutationRow
from ..game.writer import Posting, post_effects
from .call import Call
from .guards import authorize
from .outcomes import args_hash, stored_result

__all__ = ["AFTER", "POISON_AFTER", "OneByOne", "Poisoned", "known_mutation", "posting_for", "submit"]

POISON_AFTER = 3
"""Unexpected failures of one mutation before it is recorded as ``rejected: INTERNAL``."""

AFTER = "after"
"""The recorded input that places a rejection among the family's decisions for a replay: right
after the mutation applied before it in the same transaction (``{"mutation": id}``), or, with none,
after every change the family's log held when it was decided (``{"seq": head}``)."""

_INSERT_MUTATION = insert(MutationRow)


class Poisoned(Exception):
    """The mutation failed unexpectedly and has not yet failed ``POISON_AFTER`` times: retry later."""


class OneByOne(Exception):
    """A batched push met what only the one-at-a-time path handles (an id it already used)."""


Refusal = tuple[Code, dict[str, Any] | None]


def _ref_id(args: dict[str, Any]) -> str | None:
    for key in ("trade_id", "request_id", "grant_id"):
        if isinstance(args.get(key), str):
            return str(args[key])
    return None


def _reason(name: str, args: dict[str, Any]) -> str | None:
    """The ledger's reason: the one given, or for a payout its method and the rail's reference."""
    if isinstance(args.get("reason"), str):
        return str(args["reason"])
    if name == "allowance.mark_paid/v1":
        return " ".join(str(args[k]) for k in ("method", "reference") if args.get(k))[:500]
    return None


def posting_for(
    family_id: str, child_id: str, actor_id: str, mutation_id: str, name: str, args: dict[str, Any]
) -> Posting:
    """How a mutation's effects are booked: its id is the ledger transaction's."""
    return Posting(
        family_id=family_id,
        child_id=child_id,
        txn_id=mutation_id,
        actor_id=actor_id,
        kind=name.split("/")[0],
        ref_id=_ref_id(args),
        reason=_reason(name, args),
    )


def _stamp(created_at: str | None) -> str | None:
    """The device's stamp as stored for display: only a readable one that fits its column."""
    if created_at is None or len(created_at) > 40:
        return None
    try:
        datetime.fromisoformat(created_at)
    except ValueError:
        return None
    return created_at


def _gate(call: Call, m: Mutation, child_id: str | None, at: datetime) -> tuple[Refusal | None, Any]:
    """Steps 1–4: a refusal, or ``None`` and the typed arguments."""
    refused = authorize(call, m)
    if refused is not None:
        return (refused, None), None
    try:
        typed = validate(m.name, m.args)
    except Rejected as rejected:
        return (rejected.code, rejected.detail), None
    if child_id is None:
        return None, typed
    taken = call.claims.clash(m.name, m.args, child_id)
    if taken is not None:
        return (Code.ID_TAKEN, taken), None
    if call.budget is not None and POLICY[m.name].trading:
        wait = call.budget.admit(call.session, child_id, at, call.now)
        if wait is not None:
            detail = {"max": call.budget.count, "per_s": int(call.budget.window.total_seconds())}
            return (Code.RATE_LIMITED, {**detail, "retry_after": wait}), None
    return None, typed


def submit(call: Call, m: Mutation) -> MutationResult:
    """Decide ``m`` (a new mutation of ``call.client_id``) and store its outcome.

    Raises :class:`~server.gateway.guards.StepUpRequired` and :class:`Poisoned`. With
    ``call.behind`` the effects and the outcome row are held until the push flushes them (the
    outcome's ``server_seq`` is set then); without it they are written at once, in a savepoint.
    """
    at = call.acted.get(m.id, call.now)
    child_id = target_child(m.name, m.args, call.principal.actor())
    refused, typed = _gate(call, m, child_id, at)
    if refused is not None:
        code, detail = refused
        return _record(call, m, child_id, at, Outcome.REJECTED, code, detail or None)
    try:
        if call.behind is not None:
            return _decide(call, m, child_id, at, typed)
        with call.session.begin_nested():  # a failure below undoes this mutation's writes only
            return _decide(call, m, child_id, at, typed)
    except (OperationalError, TemporaryFailure):
        raise  # the database is busy: nothing is recorded, the caller answers 503
    except Exception as error:  # a bug, or data the database refuses: retried, then recorded
        if call.behind is None:  # the savepoint undid writes the books may have read back
            call.forget_books()
        if _count_failure(call, m.id, error) < POISON_AFTER:
            raise Poisoned(m.id) from error
        return _record(
            call, m, child_id, at, Outcome.REJECTED, Code.INTERNAL, {"error": type(error).__name__}
        )


def _decide(call: Call, m: Mutation, child_id: str | None, at: datetime, typed: Any) -> MutationResult:
    if child_id is None:  # the no-op: nothing to decide, nothing changes
        return _record(call, m, child_id, at, Outcome.APPLIED, None, None)
    book = call.book(child_id)
    principal = call.principal
    try:
        effects = decide_valid(m.name, typed, book, Context(principal.actor(), child_id, call.now, m.id))
    except Rejected as rejected:
        inputs = book.inputs()
        inputs[AFTER] = {"mutation": call.last_applied} if call.last_applied else {"seq": call.head()}
        detail = msgspec.to_builtins(rejected.detail) or None
        return _record(call, m, child_id, at, Outcome.REJECTED, rejected.code, detail, inputs=inputs)
    posting = posting_for(call.family_id, child_id, principal.user_id, m.id, m.name, m.args)
    placeholder = server_seq = None
    if call.behind is not None:  # nothing is written yet: the push writes it all at its end
        placeholder = call.behind.add(call.session, posting, effects, call.now, book.balance)
    else:
        server_seq = post_effects(call.session, posting, effects, call.now)
    status = Outcome.ADJUSTED if effects.adjusted else Outcome.APPLIED
    detail = msgspec.to_builtins(effects.detail) or None
    result = _record(
        call,
        m,
        child_id,
        at,
        status,
        None,
        detail,
        inputs=book.inputs(),
        server_seq=server_seq,
        placeholder=placeholder,
    )
    # only now, with everything written or held, do the transaction's own facts move on
    book.absorb(effects)
    call.claims.claim(m.name, m.args, child_id)
    if placeholder is not None or server_seq is not None:
        # an anchor needs a place in the log: a mutation that changed nothing has none
        call.last_applied = m.id
    return result


def _record(
    call: Call,
    m: Mutation,
    child_id: str | None,
    at: datetime,
    status: Outcome,
    code: Code | None,
    detail: dict[str, Any] | None,
    *,
    inputs: dict[str, Any] | None = None,
    server_seq: int | None = None,
    placeholder: int | None = None,
) -> MutationResult:
    row: dict[str, Any] = {
        "mutation_id": m.id,
        "client_id": call.client_id,
        "seq": m.seq,
        "user_id": call.principal.user_id,
        "family_id": call.family_id,
        "child_id": child_id,
        "name": m.name,
        "args": m.args,
        "args_hash": args_hash(m.name, m.args),
        "base_cursor": m.base_cursor,
        "device_created_at": _stamp(m.created_at),
        "received_at": call.now,
        "acted_at": at,
        "status": status.value,
        "code": code.value if code is not None else None,
        "detail": detail,
        "server_seq": server_seq,
        "inputs": inputs,
    }
    result = MutationResult(
        seq=m.seq, id=m.id, status=status, code=row["code"], detail=detail, server_seq=server_seq
    )
    if call.behind is not None:
        call.behind.hold_mutation(row, placeholder, result)
    else:
        call.session.execute(_INSERT_MUTATION, row)
    call.claims.record_mutation(m.id, call.family_id, call.principal.user_id, row["args_hash"], result)
    return result


def _count_failure(call: Call, mutation_id: str, error: Exception) -> int:
    attempt = call.session.get(MutationAttempt, mutation_id)
    if attempt is None:
        attempt = MutationAttempt(mutation_id=mutation_id, failures=0)
        call.session.add(attempt)
    attempt.failures += 1
    attempt.last_error = type(error).__name__[:200]
    call.session.flush()
    return attempt.failures


def known_mutation(call: Call, m: Mutation) -> MutationResult | None:
    """The outcome for a mutation id the server already processed, as ``m``'s ``(client_id, seq)``
    gets it: the original's, when the same user sends the same mutation again from another
    installation (a client reset re-queued it); a rejection when the arguments differ, or when the
    id is another user's or another family's (it never reaches their outcome). ``None`` for a new id.
    """
    known = call.claims.mutation_owner(m.id)
    if known is None:
        return None
    family_id, user_id, hashed, decided_here = known
    if decided_here is not None and call.behind is not None:
        raise OneByOne(m.id)  # its row is still held: the one-at-a-time path reads it from the table
    if (family_id, user_id) != (call.family_id, call.principal.user_id):
        outcome: dict[str, Any] = {
            "status": Outcome.REJECTED.value,
            "code": Code.ID_TAKEN.value,
            "detail": {"field": "id", "why": "taken"},
        }
    elif hashed != args_hash(m.name, m.args):
        outcome = {
            "status": Outcome.REJECTED.value,
            "code": Code.ID_TAKEN.value,
            "detail": {"why": "mutation id reused with other arguments"},
        }
    else:
        original = decided_here or stored_result(_original(call, m.id))
        outcome = {
            "status": original.status.value,
            "code": original.code,
            "detail": original.detail,
            "server_seq": original.server_seq,
        }
    alias = MutationAlias(client_id=call.client_id, seq=m.seq, mutation_id=m.id, **outcome)
    call.session.add(alias)
    call.session.flush()
    return stored_result(alias)


def _original(call: Call, mutation_id: str) -> MutationRow:
    row = call.session.get(MutationRow, mutation_id)
    assert row is not None
    return row
