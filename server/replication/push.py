"""``POST /api/sync/push``: apply a device's mutations in order, exactly once (sync.md, "Push").

The protocol lives here: the device and its token, retries of processed seqs, gaps, and ids re-sent
after a client reset. Every new mutation then goes through the gateway, exactly as a REST change
would (``server.gateway``): the same checks, the same decision, the same record.
"""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.handlers import SUPPORTED
from sync.protocol import SUPPORTED_PROTOCOLS, Mutation, MutationResult, PushRequest, PushResponse

from ..db import TemporaryFailure
from ..db.models import Device, MutationAlias, MutationRow
from ..errors import DomainError
from ..gateway import Gateway, Poisoned, StepUpRequired, family_of, known_mutation, submit
from ..gateway.budget import acted_times
from ..gateway.outcomes import mutation_at, stored_result
from ..principal import Principal

__all__ = ["check_versions", "own_device", "push"]

_log = logging.getLogger("yongdon.sync")


def check_versions(protocol: int, names: list[str] | None = None) -> None:
    """``VERSION_NOT_SUPPORTED`` before anything is applied: the device keeps its queue."""
    unknown = sorted({n for n in names or [] if n not in SUPPORTED})
    if protocol not in SUPPORTED_PROTOCOLS or unknown:
        raise DomainError(
            ProtocolCode.VERSION_NOT_SUPPORTED,
            "this server does not speak that version",
            extra={"supported_protocols": sorted(SUPPORTED_PROTOCOLS), "unknown_mutations": unknown},
        )


def own_device(session: Session, principal: Principal, client_id: str) -> Device:
    """The caller's own, unrevoked device, the one its token was issued to; ``FORBIDDEN`` otherwise
    (a device never pushes or pulls for another user, nor for another device of the same user).

    A device of another family, or none at all, is ``NOT_FOUND``: another family's objects do not
    exist here.
    """
    device = session.get(Device, client_id)
    if device is None or device.family_id != principal.family_id:
        raise DomainError(Code.NOT_FOUND, "no such device")
    if device.user_id != principal.user_id or device.revoked_at is not None:
        raise DomainError(Code.FORBIDDEN, "this device is not enrolled for you")
    if principal.client_id != client_id:
        raise DomainError(Code.FORBIDDEN, "this token belongs to another device")
    return device


def _retry_result(session: Session, client_id: str, m: Mutation) -> MutationResult | None:
    """The stored outcome of an already processed seq; ``None`` when a different mutation holds it."""
    row = mutation_at(session, client_id, m.seq)
    if row is not None:
        return stored_result(row) if row.mutation_id == m.id else None
    alias = session.get(MutationAlias, (client_id, m.seq))
    if alias is not None and alias.mutation_id == m.id:
        return stored_result(alias)
    return None


def _device_clock(session: Session, device: Device) -> datetime:
    """When the device last acted: its newest mutation's time, or its enrolment."""
    last = session.scalar(
        select(MutationRow.acted_at)
        .where(MutationRow.client_id == device.client_id)
        .order_by(MutationRow.seq.desc())
        .limit(1)
    )
    return last or device.created_at


def push(gateway: Gateway, principal: Principal, body: PushRequest) -> PushResponse:
    """Apply ``body`` with its writes held to the end of the push (one statement per table).

    If that fails (a constraint or the database refused a row: a bug, or data it cannot store), or
    the push repeats an id it used itself, the push runs again mutation by mutation, where each
    mutation has a savepoint and a failure is counted against that mutation alone.
    """
    check_versions(body.protocol, [m.name for m in body.mutations])
    family_of(principal)
    try:
        return _push(gateway, principal, body, batched=True)
    except (DomainError, TemporaryFailure):
        raise
    except Exception as error:  # noqa: BLE001 - any failure of the batch: retried one by one
        _log.info("a batched push failed (%s); applying it one mutation at a time", type(error).__name__)
        return _push(gateway, principal, body, batched=False)


def _push(gateway: Gateway, principal: Principal, body: PushRequest, *, batched: bool) -> PushResponse:
    results: list[MutationResult] = []
    stop: DomainError | None = None
    client = body.client_id
    with gateway.open(principal, client_id=client, served_client_id=client, batched=batched) as call:
        device = own_device(call.session, principal, client)
        fresh = [m for m in body.mutations if m.seq > device.last_seq]
        call.claims.load(fresh)
        floor = _device_clock(call.session, device)
        times = acted_times([m.created_at for m in fresh], floor=floor, received=call.now)
        call.acted = {m.id: at for m, at in zip(fresh, times, strict=True)}
        for m in body.mutations:
            if m.seq <= device.last_seq:
                retried = _retry_result(call.session, client, m)
                if retried is None:
                    stop = DomainError(
                        ProtocolCode.CLIENT_STATE_DIVERGED,
                        f"seq {m.seq} was used by another mutation",
                        extra={"last_seq": device.last_seq},
                    )
                    break
                results.append(retried)
                continue
            if m.seq > device.last_seq + 1:
                stop = DomainError(
                    ProtocolCode.GAP,
                    "a mutation is missing",
                    extra={"expected_seq": device.last_seq + 1, "last_seq": device.last_seq},
                )
                break
            try:
                result = known_mutation(call, m) or submit(call, m)
            except StepUpRequired:
                stop = DomainError(
                    ProtocolCode.STEP_UP_REQUIRED,
                    "confirm with your password first",
                    extra={"last_seq": device.last_seq, "seq": m.seq},
                )
                break
            except Poisoned:
                stop = DomainError(
                    ProtocolCode.UNAVAILABLE,
                    "could not process a mutation; retry",
                    extra={"last_seq": device.last_seq},
                    retry_after=2,
                )
                break
            results.append(result)
            device.last_seq = m.seq
        device.last_seen_at = call.now
        last_seq = device.last_seq
        received = call.now
    if stop is not None:
        stop.extra["results"] = msgspec.to_builtins(results)
        raise stop
    return PushResponse(results=results, last_seq=last_seq, server_time=received.isoformat())
