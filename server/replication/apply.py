"""Deciding and recording one mutation inside a write transaction (shared by push and REST).

The outcome row, the effects and the device's ``last_seq`` are written in the caller's transaction;
the decision itself runs in a savepoint so a rejection leaves no trace but its outcome.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from sync.context import Context
from sync.errors import Code, Rejected
from sync.handlers import decide, roles_for, target_child
from sync.protocol import MutationResult, Outcome

from ..db import TemporaryFailure
from ..db.models import ChangeLog, MutationAlias, MutationAttempt, MutationRow, User
from ..game.book import SqlBook
from ..game.writer import Posting, WriteBehind, post_effects
from ..market.clock import MarketClock
from ..principal import Principal

__all__ = [
    "AFTER",
    "OUTCOME_COLUMNS",
    "POISON_AFTER",
    "alias_result",
    "Poisoned",
    "args_hash",
    "change_log_head",
    "decide_and_record",
    "posting_for",
    "refusal",
    "StoredOutcome",
    "stored_result",
]

POISON_AFTER = 3
"""Unexpected failures of one mutation before it is recorded as ``rejected: INTERNAL``."""


class Poisoned(Exception):
    """The handler failed unexpectedly and has not yet failed ``POISON_AFTER`` times: retry later."""


def args_hash(name: str, args: dict[str, Any]) -> str:
    canonical = json.dumps([name, args], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class StoredOutcome(Protocol):
    """What an outcome is built from: a mutation row, an alias row, or just their outcome columns."""

    mutation_id: str
    seq: int
    status: str
    code: str | None
    detail: dict[str, Any] | None
    server_seq: int | None


OUTCOME_COLUMNS = ("mutation_id", "seq", "status", "code", "detail", "server_seq")
"""The columns :func:`stored_result` reads, to select them alone (a pull reads a thousand)."""


def stored_result(row: StoredOutcome) -> MutationResult:
    return MutationResult(
        seq=row.seq,
        id=row.mutation_id,
        status=Outcome(row.status),
        code=row.code,
        detail=row.detail,
        server_seq=row.server_seq,
    )


def alias_result(alias: MutationAlias) -> MutationResult:
    """The outcome a device's ``(client_id, seq)`` got for a mutation adopted from another device."""
    return stored_result(alias)


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


def _child_in_family(session: Session, principal: Principal, child_id: str | None) -> bool:
    if child_id is None or principal.family_id is None:
        return False
    children: dict[str, bool] = session.info.setdefault("yongdon.children", {})  # one lookup per push
    if child_id not in children:
        user = session.get(User, child_id)
        children[child_id] = (
            user is not None and user.family_id == principal.family_id and user.role == "child"
        )
    return children[child_id]


def refusal(session: Session, principal: Principal, name: str, args: dict[str, Any]) -> Code | None:
    """Why the caller may not run ``name`` at all, checked before step-up and before the handler.

    In this order: a ``child_id`` outside the caller's family (or none such) is ``NOT_FOUND`` for
    every role, never ``FORBIDDEN`` (another family's child does not exist for it); then a role the
    handler never accepts is ``FORBIDDEN`` (a parent buying, a child approving); then a mutation
    without a child of the caller's family to act on is ``NOT_FOUND``.
    """
    if name == "noop/v1":
        return None
    named = args.get("child_id")
    if isinstance(named, str) and not _child_in_family(session, principal, named):
        return Code.NOT_FOUND
    if principal.role not in roles_for(name):
        return Code.FORBIDDEN
    if not _child_in_family(session, principal, target_child(name, args, principal.actor())):
        return Code.NOT_FOUND
    return None


def _count_failure(session: Session, mutation_id: str, error: Exception) -> int:
    attempt = session.get(MutationAttempt, mutation_id)
    if attempt is None:
        attempt = MutationAttempt(mutation_id=mutation_id, failures=0)
        session.add(attempt)
    attempt.failures += 1
    attempt.last_error = type(error).__name__[:200]
    session.flush()
    return attempt.failures


def decide_and_record(
    session: Session,
    *,
    principal: Principal,
    client_id: str,
    seq: int,
    mutation_id: str,
    name: str,
    args: dict[str, Any],
    base_cursor: int,
    device_created_at: str | None,
    now: datetime,
    market_clock: MarketClock,
    served_client_id: str | None,
    behind: WriteBehind | None = None,
) -> MutationResult:
    """Run the handler for a new mutation and store its outcome. Raises :class:`Poisoned`.

    ``served_client_id`` is the device whose served quotes the fill rule consults. With ``behind``
    the effects and the outcome row are held there until the push flushes them (the outcome's
    ``server_seq`` is set then); without it they are written at once.
    """
    placeholder: int | None = None
    book: SqlBook | None = None
    child_id = target_child(name, args, principal.actor())
    status, code, detail, server_seq = Outcome.APPLIED, None, None, None
    refused = refusal(session, principal, name, args)
    if refused is not None:
        status, code = Outcome.REJECTED, refused.value
    else:
        try:
            if child_id is not None:
                assert principal.family_id is not None
                book = _book(
                    session, principal.family_id, child_id, served_client_id, now, market_clock, behind
                )
                # deciding only reads; the savepoint guards the writes, so a rejection costs none
                effects = decide(name, args, book, Context(principal.actor(), child_id, now, mutation_id))
                family_id, user_id = principal.family_id, principal.user_id
                posting = posting_for(family_id, child_id, user_id, mutation_id, name, args)
                if behind is not None:  # nothing is written yet, so nothing needs a savepoint
                    placeholder = behind.add(session, posting, effects, now, book.balance)
                else:
                    with session.begin_nested():
                        server_seq = post_effects(session, posting, effects, now)
                book.absorb(effects)
                status = Outcome.ADJUSTED if effects.adjusted else Outcome.APPLIED
                detail = msgspec.to_builtins(effects.detail) or None
        except Rejected as rejected:
            status, code = Outcome.REJECTED, rejected.code.value
            detail = msgspec.to_builtins(rejected.detail) or None
        except (OperationalError, TemporaryFailure):
            raise  # the database is busy: nothing is recorded, the push answers 503
        except Exception as error:  # a bug in a handler: retried, then recorded (a poison must not wedge)
            if behind is None:  # what the books held may not match the database any more
                session.info.pop(_BOOKS, None)
            if _count_failure(session, mutation_id, error) < POISON_AFTER:
                raise Poisoned(mutation_id) from error
            status, code, detail = Outcome.REJECTED, Code.INTERNAL.value, {"error": type(error).__name__}
    inputs = book.inputs() if book is not None else None
    if inputs is not None and status is Outcome.REJECTED:
        inputs[AFTER] = _anchor(session, principal.family_id)
    elif placeholder is not None or server_seq is not None:
        # an anchor needs a place in the log: a mutation that changed nothing has none (and no
        # decision after it can depend on it)
        session.info[_LAST_APPLIED] = mutation_id
    row = {
        "mutation_id": mutation_id,
        "client_id": client_id,
        "seq": seq,
        "user_id": principal.user_id,
        "family_id": principal.family_id,
        "child_id": child_id,
        "name": name,
        "args": args,
        "args_hash": args_hash(name, args),
        "base_cursor": base_cursor,
        "device_created_at": device_created_at,
        "received_at": now,
        "status": status.value,
        "code": code,
        "detail": detail,
        "server_seq": server_seq,
        "inputs": inputs,
    }
    result = MutationResult(
        seq=seq, id=mutation_id, status=status, code=code, detail=detail, server_seq=server_seq
    )
    if behind is not None:
        behind.hold_mutation(row, placeholder, result)
    else:
        session.execute(_INSERT_MUTATION, row)
    return result


_INSERT_MUTATION = insert(MutationRow)
_BOOKS = "yongdon.books"
_LAST_APPLIED = "yongdon.last_applied"
_HEAD = "yongdon.head"
AFTER = "after"
"""The recorded input that places a rejection among the family's decisions for a replay: right
after the mutation applied before it in the same transaction (``{"mutation": id}``), or, with none,
after every change the family's log held when it was decided (``{"seq": head}``)."""


def change_log_head(session: Session, family_id: str) -> int:
    """The family's newest change-log ``server_seq`` (0 for none)."""
    return session.scalar(select(func.max(ChangeLog.server_seq)).where(ChangeLog.family_id == family_id)) or 0


def _anchor(session: Session, family_id: str | None) -> dict[str, Any]:
    last = session.info.get(_LAST_APPLIED)
    if last is not None:
        return {"mutation": last}
    if _HEAD not in session.info:  # read before this transaction wrote any change of its own
        session.info[_HEAD] = change_log_head(session, family_id) if family_id else 0
    return {"seq": session.info[_HEAD]}


TRADE_IDS = "yongdon.trade_ids"


def _book(
    session: Session,
    family_id: str,
    child_id: str,
    client_id: str | None,
    now: datetime,
    market_clock: MarketClock,
    behind: WriteBehind | None = None,
) -> SqlBook:
    """The child's book for this transaction (one per push, kept in the session).

    A batched push names the trade ids it will place (``yongdon.trade_ids``): the new book looks
    them all up at once instead of one query per order.
    """
    books: dict[tuple[str, str | None], SqlBook] = session.info.setdefault(_BOOKS, {})
    key = (child_id, client_id)
    if key not in books:
        books[key] = SqlBook(
            session,
            family_id=family_id,
            child_id=child_id,
            client_id=client_id,
            now=now,
            market_clock=market_clock,
        )
        if behind is not None:
            books[key].prefetch_trades(session.info.get(TRADE_IDS, ()))
    return books[key]


def find_mutation(session: Session, mutation_id: str) -> MutationRow | None:
    return session.get(MutationRow, mutation_id)


def mutation_at(session: Session, client_id: str, seq: int) -> MutationRow | None:
    return session.scalars(
        select(MutationRow).where(MutationRow.client_id == client_id, MutationRow.seq == seq)
    ).first()
