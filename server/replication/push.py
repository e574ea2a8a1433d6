"""``POST /api/sync/push``: apply a device's mutations in order, exactly once (sync.md, "Push")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.handlers import SUPPORTED, needs_step_up
from sync.protocol import SUPPORTED_PROTOCOLS, Mutation, MutationResult, Outcome, PushRequest, PushResponse

from ..db import Database
from ..db.models import Device, MutationAlias, MutationRow
from ..errors import ProblemError
from ..game.writer import WriteBehind
from ..market.clock import MarketClock
from ..principal import Principal
from .apply import (
    TRADE_IDS,
    Poisoned,
    alias_result,
    args_hash,
    decide_and_record,
    find_mutation,
    mutation_at,
    refusal,
    stored_result,
)

__all__ = ["check_versions", "own_device", "push"]


def check_versions(protocol: int, names: list[str] | None = None) -> None:
    """400 ``VERSION_NOT_SUPPORTED`` before anything is applied: the device keeps its queue."""
    unknown = sorted({n for n in names or [] if n not in SUPPORTED})
    if protocol not in SUPPORTED_PROTOCOLS or unknown:
        raise ProblemError(
            400,
            ProtocolCode.VERSION_NOT_SUPPORTED,
            "this server does not speak that version",
            extra={"supported_protocols": sorted(SUPPORTED_PROTOCOLS), "unknown_mutations": unknown},
        )


def own_device(session: Session, principal: Principal, client_id: str) -> Device:
    """The caller's own, unrevoked device; 403 otherwise (a device never pushes for another user).

    A device of another family, or none at all, is 404: another family's objects do not exist here.
    """
    device = session.get(Device, client_id)
    if device is None or device.family_id != principal.family_id:
        raise ProblemError(404, Code.NOT_FOUND, "no such device")
    if device.user_id != principal.user_id or device.revoked_at is not None:
        raise ProblemError(403, Code.FORBIDDEN, "this device is not enrolled for you")
    return device


def _retry_result(session: Session, client_id: str, m: Mutation) -> MutationResult | None:
    """The stored outcome of an already processed seq; ``None`` when a different mutation holds it."""
    row = mutation_at(session, client_id, m.seq)
    if row is not None:
        return stored_result(row) if row.mutation_id == m.id else None
    alias = session.get(MutationAlias, (client_id, m.seq))
    if alias is not None and alias.mutation_id == m.id:
        return alias_result(alias)
    return None


def _adopt(session: Session, client_id: str, m: Mutation, known: set[str]) -> MutationResult | None:
    """A mutation id first processed under another device (a client reset re-queued it).

    ``known`` holds the push's mutation ids the server already has (looked up in one query).
    """
    if m.id not in known:
        return None
    original = find_mutation(session, m.id)
    if original is None:
        return None
    if original.args_hash == args_hash(m.name, m.args):
        alias = MutationAlias(
            client_id=client_id,
            seq=m.seq,
            mutation_id=m.id,
            status=original.status,
            code=original.code,
            detail=original.detail,
            server_seq=original.server_seq,
        )
    else:
        alias = MutationAlias(
            client_id=client_id,
            seq=m.seq,
            mutation_id=m.id,
            status=Outcome.REJECTED.value,
            code=Code.INVALID_ARGS.value,
            detail={"why": "mutation id reused with other arguments"},
        )
    session.add(alias)
    session.flush()
    return alias_result(alias)


def push(
    db: Database,
    principal: Principal,
    body: PushRequest,
    now: Callable[[], datetime],
    market_clock: MarketClock,
) -> PushResponse:
    """Apply ``body`` with its writes held to the end of the push (one statement per table).

    If writing them all at once fails (a constraint refused a row: a bug, or a device that sent
    one mutation id twice), the push is run again mutation by mutation, where each mutation has a
    savepoint and a failure is counted against that mutation alone.
    """
    check_versions(body.protocol, [m.name for m in body.mutations])
    if principal.family_id is None:
        raise ProblemError(404, Code.NOT_FOUND, "no family data for this account")
    try:
        return _push(db, principal, body, now, market_clock, WriteBehind())
    except IntegrityError:
        return _push(db, principal, body, now, market_clock, None)


def _push(
    db: Database,
    principal: Principal,
    body: PushRequest,
    now: Callable[[], datetime],
    market_clock: MarketClock,
    behind: WriteBehind | None,
) -> PushResponse:
    assert principal.family_id is not None
    results: list[MutationResult] = []
    stop: ProblemError | None = None
    with db.write(principal.family_id) as session:
        device = own_device(session, principal, body.client_id)
        received = now()
        fresh = [m.id for m in body.mutations if m.seq > device.last_seq]
        known = set(
            session.scalars(select(MutationRow.mutation_id).where(MutationRow.mutation_id.in_(fresh)))
        )
        session.info[TRADE_IDS] = [
            m.args["trade_id"]
            for m in body.mutations
            if m.name == "trade.place/v1" and isinstance(m.args.get("trade_id"), str)
        ]
        for m in body.mutations:
            if m.seq <= device.last_seq:
                retried = _retry_result(session, body.client_id, m)
                if retried is None:
                    stop = ProblemError(
                        409,
                        ProtocolCode.CLIENT_STATE_DIVERGED,
                        f"seq {m.seq} was used by another mutation",
                        extra={"last_seq": device.last_seq},
                    )
                    break
                results.append(retried)
                continue
            if m.seq > device.last_seq + 1:
                stop = ProblemError(
                    409,
                    ProtocolCode.GAP,
                    "a mutation is missing",
                    extra={"expected_seq": device.last_seq + 1, "last_seq": device.last_seq},
                )
                break
            adopted = _adopt(session, body.client_id, m, known)
            if adopted is None:
                if (
                    needs_step_up(m.name, m.args)
                    and not principal.elevated(received)
                    and refusal(session, principal, m.name, m.args) is None
                ):
                    stop = ProblemError(
                        403,
                        ProtocolCode.STEP_UP_REQUIRED,
                        "confirm with your password first",
                        extra={"last_seq": device.last_seq, "seq": m.seq},
                    )
                    break
                try:
                    recorded = decide_and_record(
                        session,
                        principal=principal,
                        client_id=body.client_id,
                        seq=m.seq,
                        mutation_id=m.id,
                        name=m.name,
                        args=m.args,
                        base_cursor=m.base_cursor,
                        device_created_at=m.created_at,
                        now=received,
                        market_clock=market_clock,
                        served_client_id=body.client_id,
                        behind=behind,
                    )
                except Poisoned:
                    stop = ProblemError(
                        503,
                        ProtocolCode.UNAVAILABLE,
                        "could not process a mutation; retry",
                        extra={"last_seq": device.last_seq},
                        headers={"Retry-After": "2"},
                    )
                    break
                adopted = recorded
                known.add(m.id)  # the same id again later in this push is a reuse, not a new mutation
            results.append(adopted)
            device.last_seq = m.seq
        if behind is not None:
            behind.flush(session)  # also when the push stopped early: what was decided is kept
        device.last_seen_at = received
        last_seq = device.last_seq
    if stop is not None:
        stop.extra["results"] = msgspec.to_builtins(results)
        raise stop
    return PushResponse(results=results, last_seq=last_seq, server_time=received.isoformat())
