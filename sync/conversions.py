"""Deciding allowance mutations: request, edit, cancel, decide (with version binding), mark paid."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from .allowance import check_request_limits
from .book import Book, Effects
from .context import Context
from .errors import Code, Rejected
from .ledger import move
from .protocol import AllowanceCancel, AllowanceDecide, AllowanceEdit, AllowanceMarkPaid, AllowanceRequest
from .records import Request, RequestStatus

__all__ = ["cancel_request", "decide_request", "edit_request", "mark_paid", "make_request"]


def _pending(book: Book, request_id: str) -> Request:
    request = book.request(request_id)
    if request is None:
        raise Rejected(Code.NOT_FOUND)
    if request.status is not RequestStatus.PENDING:
        raise Rejected(Code.ALREADY_DECIDED, {"status": request.status.value, "by": request.decided_by})
    return request


def make_request(book: Book, args: AllowanceRequest, ctx: Context) -> Effects:
    """``allowance.request``: reserve game money and open a request at version 1."""
    if book.request(args.request_id) is not None:
        raise Rejected(Code.ID_TAKEN, {"field": "request_id"})
    real = check_request_limits(
        amount_game=args.amount_game,
        cash=book.balance("cash"),
        stats=book.stats(),
        requests=book.requests(),
        rules=book.rules(),
        now=ctx.now,
    )
    request = Request(
        request_id=args.request_id,
        child_id=book.child_id,
        version=1,
        amount_game=args.amount_game,
        amount_real=real,
        status=RequestStatus.PENDING,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    effects = Effects(at=ctx.now, entries=move("cash", "reserved", args.amount_game), records=[request])
    effects.events.append(("AllowanceRequested", {"request_id": request.request_id, "amount_real": real}))
    effects.detail = {"version": 1, "amount_real": real}
    return effects


def edit_request(book: Book, args: AllowanceEdit, ctx: Context) -> Effects:
    """``allowance.edit``: a new version with a new amount; every rule is checked again and any
    approval already given is dropped (the parent must see the new amount)."""
    current = _pending(book, args.request_id)
    real = check_request_limits(
        amount_game=args.amount_game,
        cash=book.balance("cash"),
        stats=book.stats(),
        requests=book.requests(),
        rules=book.rules(),
        now=ctx.now,
        editing=current,
    )
    delta = args.amount_game - current.amount_game
    entries = move("cash", "reserved", delta) if delta >= 0 else move("reserved", "cash", -delta)
    edited = msgspec.structs.replace(
        current,
        version=current.version + 1,
        amount_game=args.amount_game,
        amount_real=real,
        updated_at=ctx.now,
        approvals=(),
        cooling_until=None,
    )
    effects = Effects(at=ctx.now, entries=entries, records=[edited])
    effects.detail = {"version": edited.version, "amount_real": real}
    return effects


def cancel_request(book: Book, args: AllowanceCancel, ctx: Context) -> Effects:
    """``allowance.cancel``: the child withdraws a pending request; the reservation returns."""
    current = _pending(book, args.request_id)
    cancelled = msgspec.structs.replace(current, status=RequestStatus.CANCELLED, updated_at=ctx.now)
    return Effects(at=ctx.now, entries=move("reserved", "cash", current.amount_game), records=[cancelled])


def decide_request(book: Book, args: AllowanceDecide, ctx: Context) -> Effects:
    """``allowance.decide``: approve or reject exactly the version and amount the parent saw.

    Above the second-parent threshold a second parent must approve too; a family with one parent
    confirms again after a cooling-off delay instead.
    """
    current = _pending(book, args.request_id)
    if args.version != current.version or args.amount_real != current.amount_real:
        raise Rejected(Code.REQUEST_CHANGED, {"version": current.version, "amount_real": current.amount_real})
    effects = Effects(at=ctx.now)
    if args.decision == "reject":
        if not args.reason:
            raise Rejected(Code.INVALID_ARGS, {"field": "reason"})
        rejected = msgspec.structs.replace(
            current,
            status=RequestStatus.REJECTED,
            decided_by=ctx.actor.user_id,
            decided_at=ctx.now,
            reason=args.reason,
            updated_at=ctx.now,
        )
        effects.extend(move("reserved", "cash", current.amount_game))
        effects.records.append(rejected)
        effects.events.append(
            ("AllowanceRejected", {"request_id": current.request_id, "reason": args.reason})
        )
        return effects

    rules = book.rules()
    me = ctx.actor.user_id
    if current.amount_real > rules.second_parent_threshold:
        if book.parent_count() >= 2:
            if me in current.approvals:
                raise Rejected(Code.ALREADY_DECIDED, {"awaiting": "second_parent"})
            if not current.approvals:
                return _await(effects, current, ctx, approvals=(me,), awaiting="second_parent")
        elif current.cooling_until is None:
            until = ctx.now + timedelta(seconds=rules.cooling_off_s)
            return _await(effects, current, ctx, approvals=(me,), awaiting="cooling_off", until=until)
        elif ctx.now < current.cooling_until:
            raise Rejected(Code.COOLDOWN, {"until": current.cooling_until.isoformat()})

    approved = msgspec.structs.replace(
        current,
        status=RequestStatus.APPROVED,
        approvals=(*current.approvals, me) if me not in current.approvals else current.approvals,
        decided_by=me,
        decided_at=ctx.now,
        updated_at=ctx.now,
        reason=args.reason,
    )
    stats = book.stats()
    effects.extend(move("reserved", "conversion_sink", current.amount_game))
    effects.extend(move("family_expense", "allowance_payable", current.amount_real))
    effects.records += [
        approved,
        msgspec.structs.replace(stats, converted=stats.converted + current.amount_game),
    ]
    effects.events.append(
        ("AllowanceApproved", {"request_id": current.request_id, "amount_real": current.amount_real})
    )
    return effects


def _await(
    effects: Effects,
    current: Request,
    ctx: Context,
    *,
    approvals: tuple[str, ...],
    awaiting: str,
    until: datetime | None = None,
) -> Effects:
    waiting = msgspec.structs.replace(
        current,
        approvals=approvals,
        updated_at=ctx.now,
        cooling_until=until if until is not None else current.cooling_until,
    )
    effects.records.append(waiting)
    effects.detail = {"awaiting": awaiting}
    if until is not None:
        effects.detail["until"] = until.isoformat()
    effects.events.append(
        ("AllowanceApprovalNeeded", {"request_id": current.request_id, "awaiting": awaiting})
    )
    return effects


def mark_paid(book: Book, args: AllowanceMarkPaid, ctx: Context) -> Effects:
    """``allowance.mark_paid``: the real money was handed over (method and an optional reference)."""
    current = book.request(args.request_id)
    if current is None:
        raise Rejected(Code.NOT_FOUND)
    if current.status is not RequestStatus.APPROVED:
        raise Rejected(Code.ALREADY_DECIDED, {"status": current.status.value})
    paid = msgspec.structs.replace(
        current,
        status=RequestStatus.PAID,
        paid_at=ctx.now,
        paid_by=ctx.actor.user_id,
        paid_method=args.method,
        paid_reference=args.reference,
        updated_at=ctx.now,
    )
    effects = Effects(at=ctx.now, entries=move("allowance_payable", "allowance_paid", current.amount_real))
    effects.records.append(paid)
    effects.events.append(("AllowancePaid", {"request_id": current.request_id, "method": args.method}))
    return effects
