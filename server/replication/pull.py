"""``POST /api/sync/pull``: the scoped change log since a cursor, or a full snapshot (sync.md, "Pull").

Everything in one response is read in one snapshot, so ``last_seq``, ``results`` and ``changes``
agree: the effects of every mutation up to ``last_seq`` are in, none after it.

The paged reset snapshot (protocol 2; README, "How it works"). A reset of protocol 1 is one response.
From protocol 2 it comes in pages of ``PAGE`` rows (``replication.snapshot``), each read in its own
transaction:

- the first page has ``reset`` and reports as its ``cursor`` the change-log head ``H`` read with it;
  every later page reports the same ``H`` and no ``reset``; a page with more to come carries a
  ``snapshot`` key, which the device sends back with ``cursor = H``;
- a later page may show rows newer than ``H`` (written between pages): harmless, because after the
  last snapshot page the device pulls the log from ``H``, which puts every row changed since ``H`` in
  its newest state. The last snapshot page says ``has_more`` when the head has moved past ``H``; when
  it has not, nothing changed since the first page and that page is the pull's last. Rows that
  disappear (an erased child) leave no log row: the checksums of the pull's last page no longer list
  that child, and the device asks for a fresh snapshot, as after any log pull;
- outcomes and checksums come only with the pull's last page (snapshot or log), read in its
  transaction: a device judges checksums only there, and commits every page of the pull together, so
  a half-received snapshot is never its confirmed state. A device killed mid-snapshot has committed
  nothing and starts over; a key it sends again later is still good (the log from ``H`` repairs any
  age), and a key this server cannot read, or a ``cursor`` it never served, starts the snapshot over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Connection, bindparam, func, or_, select, union_all, update
from sqlalchemy.orm import Session

from sync.protocol import (
    CURSOR_MARK,
    PAGED_SNAPSHOT,
    Change,
    MutationResult,
    PullRequest,
    PullResponse,
    SnapshotKey,
)
from sync.rebase import balances_checksum
from sync.records import Role

from ..db import Database
from ..db.models import Balance, ChangeLog, Device, MutationAlias, MutationRow, User
from ..gateway import family_of
from ..gateway.outcomes import OUTCOME_COLUMNS, stored_result
from ..market.quotes import mark_served, unserved_newest
from ..notify.inbox import parent_audience
from ..principal import Principal
from .push import check_device, check_versions
from .snapshot import Scope, UnknownKey, snapshot_of, snapshot_page

__all__ = ["PAGE", "pull", "snapshot_of"]

PAGE = 1000
"""Change-log rows (and, from protocol 2, snapshot rows) per pull page; the device pulls until
``has_more`` is false."""
# a device's ``last_seen_at`` (the parents' device list, a family's activity) to the minute: a pull
# that has nothing else to record does not take the write lock just to move it by seconds
SEEN_EVERY = timedelta(minutes=1)


# The pull's reads are plain rows on a Core connection (``Database.read_rows``), in statements built
# once: the ORM session's statement handling, cache keys and row loading were half a pull's time.
_CHILDREN = select(User.id).where(User.family_id == bindparam("family"), User.role == "child")
_VISIBLE_CHILDREN = _CHILDREN.order_by(User.id)
# The log after the cursor as the caller may see it: the family-wide rows and its audiences' (a
# child's own; a parent's children's and its own). The parent's children are a subquery, in the same
# snapshot: one statement whatever their number.
_LOG = (
    select(
        ChangeLog.server_seq,
        ChangeLog.op,
        ChangeLog.entity,
        ChangeLog.entity_id,
        ChangeLog.data,
        ChangeLog.stamp,
    )
    .where(ChangeLog.family_id == bindparam("family"), ChangeLog.server_seq > bindparam("cursor"))
    .order_by(ChangeLog.server_seq)
    .limit(PAGE + 1)
)
_CHILD_LOG = _LOG.where(or_(ChangeLog.audience.is_(None), ChangeLog.audience == bindparam("child")))
_FAMILY_LOG = _LOG.where(
    or_(
        ChangeLog.audience.is_(None),
        ChangeLog.audience.in_(_CHILDREN),
        ChangeLog.audience == bindparam("parent"),
    )
)
# A child's balances; a parent's: every child's, with one row of NULLs for a child without any (it
# still has a checksum), in the children's order
_CHILD_BALANCES = select(Balance.child_id, Balance.account, Balance.balance).where(
    Balance.child_id == bindparam("child")
)
_FAMILY_BALANCES = (
    select(User.id, Balance.account, Balance.balance)
    .outerjoin(Balance, Balance.child_id == User.id)
    .where(User.family_id == bindparam("family"), User.role == "child")
    .order_by(User.id)
)


def _outcomes_of(model: Any) -> Any:
    # the outcome columns only: a pull after a big push reads a thousand of these
    return select(*[getattr(model, name) for name in OUTCOME_COLUMNS]).where(
        model.client_id == bindparam("client"), model.seq > bindparam("after"), model.seq <= bindparam("upto")
    )


_OUTCOMES = union_all(_outcomes_of(MutationRow), _outcomes_of(MutationAlias))


def _visible_children(connection: Connection, principal: Principal) -> list[str]:
    if principal.role is Role.CHILD:
        return [principal.user_id]
    return list(connection.execute(_VISIBLE_CHILDREN, {"family": principal.family_id}).scalars())


def _log(connection: Connection, principal: Principal, family: str, cursor: int) -> list[Any]:
    """The log rows after ``cursor`` the caller may see (:data:`PAGE` and one more, to tell
    ``has_more``). A child's statement matches its own audience alone, so a parent-only row can never
    reach a child."""
    if principal.role is Role.CHILD:
        params = {"family": family, "cursor": cursor, "child": principal.user_id}
        return connection.execute(_CHILD_LOG, params).all()
    # the rows only this parent may see (its notifications); no such audience for another role
    parent = parent_audience(principal.user_id) if principal.role is Role.PARENT else None
    return connection.execute(_FAMILY_LOG, {"family": family, "cursor": cursor, "parent": parent}).all()


def _results(connection: Connection, client_id: str, after: int, upto: int) -> list[MutationResult]:
    if after >= upto:  # the device has every outcome already (most pulls)
        return []
    found = connection.execute(_OUTCOMES, {"client": client_id, "after": after, "upto": upto})
    return sorted((stored_result(r) for r in found), key=lambda r: r.seq)


# The caller's device and the family's change-log head in one statement (each statement saved is a
# GIL round trip on SQLite and a network one on PostgreSQL); its checks are ``own_device``'s.
_DEVICE_AND_HEAD = select(
    Device.client_id,
    Device.family_id,
    Device.user_id,
    Device.revoked_at,
    Device.last_seq,
    Device.served_cursor,
    Device.last_seen_at,
    select(func.coalesce(func.max(ChangeLog.server_seq), 0))
    .where(ChangeLog.family_id == bindparam("family"))
    .scalar_subquery()
    .label("head"),
    # the cursors' marks: the head row's stamp and the stamp of the row at the device's cursor
    select(ChangeLog.stamp)
    .where(ChangeLog.family_id == bindparam("family"))
    .order_by(ChangeLog.server_seq.desc())
    .limit(1)
    .scalar_subquery()
    .label("head_stamp"),
    select(ChangeLog.stamp)
    .where(ChangeLog.family_id == bindparam("family"), ChangeLog.server_seq == bindparam("cursor"))
    .scalar_subquery()
    .label("cursor_stamp"),
).where(Device.client_id == bindparam("client"))


def _own_device_and_head(connection: Connection, principal: Principal, body: PullRequest, family: str) -> Any:
    """The caller's own device (refused as :func:`own_device` refuses), the family's log head, and
    the stamps of the head row and of the row at the device's cursor (``None``: no such row)."""
    params = {"client": body.client_id, "family": family, "cursor": body.cursor}
    device = connection.execute(_DEVICE_AND_HEAD, params).first()
    check_device(device, principal, body.client_id)
    return device


def _checksums(connection: Connection, principal: Principal, family: str) -> dict[str, str]:
    """Each visible child's balance checksum, in :func:`_visible_children`'s order."""
    balances: dict[str, dict[str, int]] = {}
    if principal.role is Role.CHILD:
        balances[principal.user_id] = {}
        rows = connection.execute(_CHILD_BALANCES, {"child": principal.user_id})
    else:
        rows = connection.execute(_FAMILY_BALANCES, {"family": family})
    for child_id, account, balance in rows:
        values = balances.setdefault(child_id, {})
        if account is not None:  # not the outer join's row of a child without balances
            values[account] = balance
    return {child: balances_checksum(values) for child, values in balances.items()}


def pull(db: Database, principal: Principal, body: PullRequest, now: Callable[[], datetime]) -> PullResponse:
    check_versions(body.protocol)
    family = family_of(principal)
    # everything the device receives is read in one snapshot, without holding the write lock
    with db.read_rows() as connection:
        device = _own_device_and_head(connection, principal, body, family)
        head = device.head
        # A cursor this database never served means it came back from a backup: the log rows after
        # the backup's head were (or will be) written again with other contents, so only a reset is
        # right. ``cursor > head`` alone misses it once the family has written past it. A device of
        # protocol 3 proves its cursor with the mark it was answered with (a row written again has
        # another); without one, ``served_cursor``, the highest cursor this server answered the device
        # with, tells (and must then be recorded with every cursor served, a write).
        marked = body.protocol >= CURSOR_MARK
        proved = marked and body.cursor_mark is not None
        if proved:
            unknown_cursor = body.cursor > head or body.cursor_mark != mark_of(device.cursor_stamp)
        else:
            unknown_cursor = body.cursor > head or body.cursor > device.served_cursor
        paged = body.protocol >= PAGED_SNAPSHOT
        changes: list[Change]
        key: SnapshotKey | None = None
        # a snapshot goes on from its key even at cursor 0 (a family whose log was empty when it began)
        going_on = paged and body.snapshot is not None and not (unknown_cursor or body.checksum_mismatch)
        reset = not going_on and (body.cursor == 0 or unknown_cursor or body.checksum_mismatch)
        if going_on or reset:
            # the snapshot's sections are read as ORM objects: a session in the same transaction
            with Session(bind=connection) as session:
                children = _visible_children(connection, principal)
                own = [principal.user_id] if principal.role is Role.PARENT else []
                scope = Scope(family, children, [*children, *own], walk_keys=db.is_sqlite)
                if going_on:
                    try:  # the next page of a snapshot begun at ``body.cursor`` (the module's docstring)
                        changes, key = snapshot_page(session, scope, body.snapshot, PAGE)
                        cursor, has_more = body.cursor, key is not None or head > body.cursor
                        stamp = device.cursor_stamp
                    except UnknownKey:
                        reset = True  # not a key of ours: start over
                if reset and paged:
                    changes, key = snapshot_page(session, scope, None, PAGE)
                    cursor, has_more, stamp = head, key is not None, device.head_stamp
                elif reset:
                    changes, cursor, has_more = snapshot_of(session, family, children, own), head, False
                    stamp = device.head_stamp
        else:
            # at the head (most pulls, a while after the family's last change) the log has nothing
            # after the cursor in this snapshot: no statement to find so
            rows = _log(connection, principal, family, body.cursor) if body.cursor < head else []
            has_more = len(rows) > PAGE
            rows = rows[:PAGE]
            changes = [Change(op=r.op, entity=r.entity, id=r.entity_id, data=r.data) for r in rows]
            if has_more:
                cursor, stamp = rows[-1].server_seq, rows[-1].stamp
            else:
                cursor, stamp = head, device.head_stamp
        quotes = unserved_newest(connection, device.client_id)
        changes += [Change(op="put", entity="quote", id=q.quote_id, data=_quote_data(q)) for q in quotes]
        last_seq, served_cursor, seen = device.last_seq, device.served_cursor, device.last_seen_at
        # outcomes and checksums come with the last page only: the device commits a pull's pages
        # together and takes them from that page (the earlier pages would repeat them)
        results, checksums = [], {}
        if not has_more:
            results = _results(connection, device.client_id, min(body.last_seq_acked, last_seq), last_seq)
            checksums = _checksums(connection, principal, family)
    # then a short write, only when there is something to record: the quotes count as served before
    # the device can cite them, and the cursor when it goes without a mark (the device cannot prove
    # it). A pull with nothing new (most, within a quote's life) writes nothing. ``served_cursor``
    # still goes forward with the minute's ``last_seen_at``: a device that steps down to protocol 2 (a
    # server of an older release beside this one) is then reset only if it pulled within that minute.
    mark = mark_of(stamp) if marked else None
    at = now()
    if quotes or (cursor > served_cursor and mark is None) or seen is None or at - seen >= SEEN_EVERY:
        highest = func.max if db.is_sqlite else func.greatest

        def record(session: Session) -> None:  # moves records forward only: it may share a commit
            mark_served(session, body.client_id, quotes)
            session.execute(
                update(Device)
                .where(Device.client_id == body.client_id)
                .values(served_cursor=highest(Device.served_cursor, cursor), last_seen_at=at)
            )

        # no change-log row: the family is not locked; other reads' records may go in the same commit
        db.grouped.run(record)
    return PullResponse(
        cursor=cursor,
        reset=reset,
        has_more=has_more,
        changes=changes,
        last_seq=last_seq,
        results=results,
        checksums=checksums,
        server_time=at.isoformat(),
        snapshot=key,
        cursor_mark=mark,
    )


def mark_of(stamp: int | None) -> str | None:
    """A cursor's mark: its change-log row's random stamp (``None`` for a row an older release wrote,
    which has none). A row written again at the same ``server_seq`` after a restore has another."""
    return None if stamp is None else format(stamp, "x")


def _quote_data(quote: Any) -> dict[str, Any]:
    data = msgspec.to_builtins(quote)
    assert isinstance(data, dict)
    return data
