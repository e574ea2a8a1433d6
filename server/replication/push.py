"""``POST /api/sync/push``: apply a device's mutations in order, exactly once (sync.md, "Push").

The protocol lives here: the device and its token, retries of processed seqs, gaps, and ids re-sent
after a client reset. Every new mutation then goes through the gateway, exactly as a REST change
would (``server.gateway``): the same checks, the same decision, the same record.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

import msgspec
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.handlers import SUPPORTED
from sync.protocol import SUPPORTED_PROTOCOLS, Mutation, MutationResult, PushRequest, PushResponse

from ..db import TemporaryFailure
from ..db.models import Device, MutationAlias, MutationRow, User
from ..errors import DomainError
from ..gateway import Gateway, Poisoned, StepUpRequired, family_of, known_mutation, submit
from ..gateway.budget import acted_times
from ..gateway.call import Call
from ..gateway.outcomes import mutation_at, stored_result
from ..principal import Principal

__all__ = ["check_device", "check_versions", "own_device", "push"]

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
    check_device(device, principal, client_id)
    assert device is not None
    return device


def check_device(device: Any, principal: Principal, client_id: str) -> None:
    """:func:`own_device`'s checks, on a device row (``None``: there is none)."""
    if device is None or device.family_id != principal.family_id:
        raise DomainError(Code.NOT_FOUND, "no such device")
    if device.user_id != principal.user_id or device.revoked_at is not None:
        raise DomainError(Code.FORBIDDEN, "this device is not enrolled for you")
    if principal.client_id != client_id:
        raise DomainError(Code.FORBIDDEN, "this token belongs to another device")


# A push's device, its user's family and role, and when it last acted (its newest mutation's time, or
# its enrolment), in one Core statement built once, and its cursor moved by one UPDATE: the ORM's get,
# its object and its flush cost several times the statements themselves, all under the write lock.
_CLIENT = bindparam("client")
_PUSHING_DEVICE = select(
    Device.family_id,
    Device.user_id,
    Device.revoked_at,
    Device.last_seq,
    Device.created_at,
    select(MutationRow.acted_at)
    .where(MutationRow.client_id == _CLIENT)
    .order_by(MutationRow.seq.desc())
    .limit(1)
    .scalar_subquery()
    .label("last_acted"),
    User.family_id.label("user_family_id"),
    User.role,
).where(Device.client_id == _CLIENT, User.id == Device.user_id)
_DEVICE_PUSHED = (
    update(Device)
    .where(Device.client_id == _CLIENT)
    .values(last_seq=bindparam("seq"), last_seen_at=bindparam("seen"))
)


def _retry_result(session: Session, client_id: str, m: Mutation) -> MutationResult | None:
    """The stored outcome of an already processed seq; ``None`` when a different mutation holds it."""
    row = mutation_at(session, client_id, m.seq)
    if row is not None:
        return stored_result(row) if row.mutation_id == m.id else None
    alias = session.get(MutationAlias, (client_id, m.seq))
    if alias is not None and alias.mutation_id == m.id:
        return stored_result(alias)
    return None


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
    client = body.client_id
    # the family's concurrent pushes share one commit (Database.write_together), each in order
    results, stop, last_seq, received = gateway.together(
        principal, partial(_apply, body), client_id=client, served_client_id=client, batched=batched
    )
    if stop is not None:
        stop.extra["results"] = msgspec.to_builtins(results)
        raise stop
    return PushResponse(results=results, last_seq=last_seq, server_time=received.isoformat())


def _apply(body: PushRequest, call: Call) -> tuple[list[MutationResult], DomainError | None, int, datetime]:
    """The push's mutations in ``call``'s transaction: their results, where it stopped (what was
    decided before is kept), the device's last seq and the server time it was received."""
    results: list[MutationResult] = []
    stop: DomainError | None = None
    client = body.client_id
    device = call.connection.execute(_PUSHING_DEVICE, {"client": client}).first()
    check_device(device, call.principal, client)
    assert device is not None
    call.read_user(device.user_id, device.user_family_id, device.role)
    last_seq: int = device.last_seq
    fresh = [m for m in body.mutations if m.seq > last_seq]
    call.claims.load(fresh)
    floor = device.last_acted or device.created_at
    times = acted_times([m.created_at for m in fresh], floor=floor, received=call.now)
    call.acted = {m.id: at for m, at in zip(fresh, times, strict=True)}
    for m in body.mutations:
        if m.seq <= last_seq:
            retried = _retry_result(call.session, client, m)
            if retried is None:
                stop = DomainError(
                    ProtocolCode.CLIENT_STATE_DIVERGED,
                    f"seq {m.seq} was used by another mutation",
                    extra={"last_seq": last_seq},
                )
                break
            results.append(retried)
            continue
        if m.seq > last_seq + 1:
            stop = DomainError(
                ProtocolCode.GAP,
                "a mutation is missing",
                extra={"expected_seq": last_seq + 1, "last_seq": last_seq},
            )
            break
        try:
            result = known_mutation(call, m) or submit(call, m)
        except StepUpRequired:
            stop = DomainError(
                ProtocolCode.STEP_UP_REQUIRED,
                "confirm with your password first",
                extra={"last_seq": last_seq, "seq": m.seq},
            )
            break
        except Poisoned:
            stop = DomainError(
                ProtocolCode.UNAVAILABLE,
                "could not process a mutation; retry",
                extra={"last_seq": last_seq},
                retry_after=2,
            )
            break
        results.append(result)
        last_seq = m.seq
    seen = {"client": client, "seq": last_seq, "seen": call.now}
    if call.behind is not None:  # with the push's other writes (one pipeline on PostgreSQL)
        call.behind.hold_statement(_DEVICE_PUSHED, seen)
    else:
        call.connection.execute(_DEVICE_PUSHED, seen)
    return results, stop, last_seq, call.now
