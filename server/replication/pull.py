"""``POST /api/sync/pull``: the scoped change log since a cursor, or a full snapshot (sync.md, "Pull").

Everything in one response is read in one snapshot, so ``last_seq``, ``results`` and ``changes``
agree: the effects of every mutation up to ``last_seq`` are in, none after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from sync.protocol import Change, MutationResult, PullRequest, PullResponse
from sync.rebase import balances_checksum
from sync.records import Role

from ..db import Database
from ..db.models import (
    Balance,
    ChangeLog,
    ChildState,
    Device,
    MutationAlias,
    MutationRow,
    Notification,
    PositionRow,
    RequestRow,
    RulesVersion,
    TradeRow,
    User,
)
from ..game.writer import change_log_head
from ..gateway import family_of
from ..gateway.outcomes import OUTCOME_COLUMNS, stored_result
from ..market.quotes import mark_served, unserved_quotes
from ..notify.inbox import ENTITY, notification_data, parent_audience
from ..principal import Principal
from .push import check_versions, own_device

__all__ = ["PAGE", "pull", "snapshot_of"]

PAGE = 1000
# a device's ``last_seen_at`` (the parents' device list, a family's activity) to the minute: a pull
# that has nothing else to record does not take the write lock just to move it by seconds
SEEN_EVERY = timedelta(minutes=1)
"""Change-log rows per pull page; the device pulls until ``has_more`` is false."""


def _visible_children(session: Session, principal: Principal) -> list[str]:
    if principal.role is Role.CHILD:
        return [principal.user_id]
    return list(
        session.scalars(
            select(User.id)
            .where(User.family_id == principal.family_id, User.role == "child")
            .order_by(User.id)
        )
    )


def _audiences(principal: Principal, children: list[str]) -> list[str]:
    """The change-log audiences the caller may pull besides the family-wide rows: its children's
    (a child: its own), and for a parent the rows only that parent may see (its notifications).
    A child's list never holds a parent audience, so a parent-only row can never reach a child."""
    if principal.role is Role.PARENT:
        return [*children, parent_audience(principal.user_id)]
    return list(children)


def snapshot_of(
    session: Session, family_id: str, children: list[str], parents: Sequence[str] = ()
) -> list[Change]:
    """Every entity the caller may see, as puts (the reset path).

    ``parents`` are the parents whose own notifications are included (the caller, if a parent).
    """
    changes: list[Change] = []
    for user in session.scalars(select(User).where(User.family_id == family_id).order_by(User.id)):
        data = {"user_id": user.id, "role": user.role, "display_name": user.display_name}
        changes.append(Change(op="put", entity="member", id=user.id, data=data))
    for b in session.scalars(select(Balance).where(Balance.child_id.in_(children))):
        data = {"child_id": b.child_id, "account": b.account, "balance": b.balance}
        changes.append(Change(op="put", entity="balance", id=f"{b.child_id}:{b.account}", data=data))
    for p in session.scalars(select(PositionRow).where(PositionRow.child_id.in_(children))):
        data = {"child_id": p.child_id, "symbol": p.symbol, "quantity": p.quantity, "cost": p.cost}
        changes.append(Change(op="put", entity="position", id=f"{p.child_id}:{p.symbol}", data=data))
    for t in session.scalars(select(TradeRow).where(TradeRow.child_id.in_(children))):
        changes.append(Change(op="put", entity="trade", id=t.trade_id, data=t.data))
    for r in session.scalars(select(RequestRow).where(RequestRow.child_id.in_(children))):
        changes.append(Change(op="put", entity="request", id=r.request_id, data=r.data))
    for s in session.scalars(select(ChildState).where(ChildState.child_id.in_(children))):
        data = {
            "child_id": s.child_id,
            "invested": s.invested,
            "realised": s.realised,
            "converted": s.converted,
        }
        changes.append(Change(op="put", entity="stats", id=s.child_id, data=data))
    latest = (
        select(RulesVersion.child_id, func.max(RulesVersion.version).label("v"))
        .where(RulesVersion.child_id.in_(children))
        .group_by(RulesVersion.child_id)
        .subquery()
    )
    for rv in session.scalars(
        select(RulesVersion).join(
            latest, (RulesVersion.child_id == latest.c.child_id) & (RulesVersion.version == latest.c.v)
        )
    ):
        data = {"child_id": rv.child_id, "version": rv.version, **rv.data}
        changes.append(Change(op="put", entity="rules", id=rv.child_id, data=data))
    owners = [*children, *parents]
    for n in session.scalars(
        select(Notification)
        .where(Notification.family_id == family_id, Notification.user_id.in_(owners))
        .order_by(Notification.created_at, Notification.id)
    ):
        changes.append(Change(op="put", entity=ENTITY, id=n.id, data=notification_data(n)))
    return changes


def _results(session: Session, client_id: str, after: int, upto: int) -> list[MutationResult]:
    # the outcome columns only: a pull after a big push reads a thousand of these, and loading the
    # whole rows (arguments, recorded inputs) as ORM objects was most of the pull's time
    found = []
    if after >= upto:  # the device has every outcome already (most pulls)
        return []
    for model in (MutationRow, MutationAlias):
        columns = [getattr(model, name) for name in OUTCOME_COLUMNS]
        where = (model.client_id == client_id, model.seq > after, model.seq <= upto)
        found += session.execute(select(*columns).where(*where)).all()
    return sorted((stored_result(r) for r in found), key=lambda r: r.seq)


def _checksums(session: Session, children: list[str]) -> dict[str, str]:
    balances: dict[str, dict[str, int]] = {child: {} for child in children}
    for b in session.scalars(select(Balance).where(Balance.child_id.in_(children))):
        balances[b.child_id][b.account] = b.balance
    return {child: balances_checksum(values) for child, values in balances.items()}


def pull(db: Database, principal: Principal, body: PullRequest, now: Callable[[], datetime]) -> PullResponse:
    check_versions(body.protocol)
    family = family_of(principal)
    # everything the device receives is read in one snapshot, without holding the write lock
    with db.read() as session:
        device = own_device(session, principal, body.client_id)
        children = _visible_children(session, principal)
        head = change_log_head(session, family)
        reset = body.cursor == 0 or body.cursor > head or body.checksum_mismatch
        changes: list[Change]
        if reset:
            own = [principal.user_id] if principal.role is Role.PARENT else []
            changes, cursor, has_more = snapshot_of(session, family, children, own), head, False
        else:
            audiences = _audiences(principal, children)
            audience = or_(ChangeLog.audience.is_(None), ChangeLog.audience.in_(audiences))
            rows = session.execute(
                select(
                    ChangeLog.server_seq, ChangeLog.op, ChangeLog.entity, ChangeLog.entity_id, ChangeLog.data
                )
                .where(ChangeLog.family_id == family, ChangeLog.server_seq > body.cursor, audience)
                .order_by(ChangeLog.server_seq)
                .limit(PAGE + 1)
            ).all()
            has_more = len(rows) > PAGE
            rows = rows[:PAGE]
            changes = [Change(op=op, entity=entity, id=id_, data=data) for _, op, entity, id_, data in rows]
            cursor = rows[-1].server_seq if has_more else head
        quotes = unserved_quotes(session, device.client_id)
        changes += [Change(op="put", entity="quote", id=q.quote_id, data=_quote_data(q)) for q in quotes]
        last_seq, served_cursor, seen = device.last_seq, device.served_cursor, device.last_seen_at
        # outcomes and checksums come with the last page only: the device commits a pull's pages
        # together and takes them from that page (the earlier pages would repeat them)
        results, checksums = [], {}
        if not has_more:
            results = _results(session, device.client_id, min(body.last_seq_acked, last_seq), last_seq)
            checksums = _checksums(session, children)
    # then a short write, only when there is something to record: the quotes count as served before
    # the device can cite them. A pull with nothing new (most, within a quote's life) writes nothing.
    at = now()
    if quotes or cursor > served_cursor or seen is None or at - seen >= SEEN_EVERY:
        with db.write() as session:  # no change-log row: the family is not locked
            mark_served(session, body.client_id, quotes)
            session.execute(
                update(Device)
                .where(Device.client_id == body.client_id)
                .values(
                    served_cursor=func.max(Device.served_cursor, cursor)
                    if db.is_sqlite
                    else func.greatest(Device.served_cursor, cursor),
                    last_seen_at=at,
                )
            )
    return PullResponse(
        cursor=cursor,
        reset=reset,
        has_more=has_more,
        changes=changes,
        last_seq=last_seq,
        results=results,
        checksums=checksums,
        server_time=at.isoformat(),
    )


def _quote_data(quote: Any) -> dict[str, Any]:
    data = msgspec.to_builtins(quote)
    assert isinstance(data, dict)
    return data
