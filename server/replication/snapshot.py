"""The reset snapshot: every entity a caller may see, as puts; whole or in keyset pages.

A snapshot is a list of sections (members, balances, …, notifications), each read in the order of its
primary key. A page holds at most ``limit`` rows and ends with the key of its last row
(:class:`sync.protocol.SnapshotKey`); the next page reads the rows after that key. Each page is its
own read transaction, so pages need not agree with each other: the pull that serves them
(``replication.pull``) reports the change-log head read with the first page on every page, and the
device then pulls the log from that head, which puts every row changed meanwhile once more in its
newest state (the rule in full: ``replication.pull``'s docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from sync.protocol import Change, SnapshotKey

from ..db.models import (
    Balance,
    ChildState,
    Notification,
    PositionRow,
    RequestRow,
    RulesVersion,
    TradeRow,
    User,
)
from ..notify.inbox import ENTITY, notification_data

__all__ = ["Scope", "UnknownKey", "snapshot_of", "snapshot_page"]


@dataclass(frozen=True)
class Scope:
    family_id: str
    children: list[str]
    owners: list[str]  # whose notifications: the children and the caller, if a parent
    # SQLite: walk the big sections (trades, requests, notifications) in primary-key order, their
    # scope columns kept off their indexes. Its planner otherwise takes the child's index and sorts
    # the whole section for every page (measured: 15 pages of 1,000 trades 582 ms, walking 92 ms).
    # A SQLite server holds one family or a few, so the walk reads little else; PostgreSQL keeps the
    # indexes and chooses by its statistics (a top-N sort of the family's rows, or the same walk).
    walk_keys: bool = False

    def scoped(self, column: Any) -> Any:
        """``column`` as a filter: kept off its index when walking keys (``|| ''`` changes no value)."""
        return column.concat("") if self.walk_keys else column


class UnknownKey(ValueError):
    """A continuation key this server cannot continue from (another version wrote it, or nobody):
    the pull starts the snapshot over rather than guess."""


@dataclass(frozen=True)
class _Section:
    name: str
    model: Any
    key: tuple[str, ...]  # primary-key attributes: the order and the continuation key
    rows: Callable[[Scope], Select[Any]]
    change: Callable[[Any], Change]


def _latest_rules(scope: Scope) -> Select[Any]:
    latest = (
        select(RulesVersion.child_id, func.max(RulesVersion.version).label("v"))
        .where(RulesVersion.child_id.in_(scope.children))
        .group_by(RulesVersion.child_id)
        .subquery()
    )
    on = (RulesVersion.child_id == latest.c.child_id) & (RulesVersion.version == latest.c.v)
    return select(RulesVersion).join(latest, on)


def _put(entity: str, id_: str, data: dict[str, Any]) -> Change:
    return Change(op="put", entity=entity, id=id_, data=data)


_SECTIONS: tuple[_Section, ...] = (
    _Section(
        "member",
        User,
        ("id",),
        lambda s: select(User).where(User.family_id == s.family_id),
        lambda u: _put("member", u.id, {"user_id": u.id, "role": u.role, "display_name": u.display_name}),
    ),
    _Section(
        "balance",
        Balance,
        ("child_id", "account"),
        lambda s: select(Balance).where(Balance.child_id.in_(s.children)),
        lambda b: _put(
            "balance",
            f"{b.child_id}:{b.account}",
            {"child_id": b.child_id, "account": b.account, "balance": b.balance},
        ),
    ),
    _Section(
        "position",
        PositionRow,
        ("child_id", "symbol"),
        lambda s: select(PositionRow).where(PositionRow.child_id.in_(s.children)),
        lambda p: _put(
            "position",
            f"{p.child_id}:{p.symbol}",
            {"child_id": p.child_id, "symbol": p.symbol, "quantity": p.quantity, "cost": p.cost},
        ),
    ),
    _Section(
        "trade",
        TradeRow,
        ("trade_id",),
        lambda s: select(TradeRow).where(s.scoped(TradeRow.child_id).in_(s.children)),
        lambda t: _put("trade", t.trade_id, t.data),
    ),
    _Section(
        "request",
        RequestRow,
        ("request_id",),
        lambda s: select(RequestRow).where(s.scoped(RequestRow.child_id).in_(s.children)),
        lambda r: _put("request", r.request_id, r.data),
    ),
    _Section(
        "stats",
        ChildState,
        ("child_id",),
        lambda s: select(ChildState).where(ChildState.child_id.in_(s.children)),
        lambda c: _put(
            "stats",
            c.child_id,
            {
                "child_id": c.child_id,
                "invested": c.invested,
                "realised": c.realised,
                "converted": c.converted,
            },
        ),
    ),
    _Section(
        "rules",
        RulesVersion,
        ("child_id",),  # one row per child: the latest version
        _latest_rules,
        lambda r: _put("rules", r.child_id, {"child_id": r.child_id, "version": r.version, **r.data}),
    ),
    _Section(
        ENTITY,
        Notification,
        ("id",),
        lambda s: select(Notification).where(
            s.scoped(Notification.family_id) == s.family_id, s.scoped(Notification.user_id).in_(s.owners)
        ),
        lambda n: _put(ENTITY, n.id, notification_data(n)),
    ),
)
_INDEX = {section.name: i for i, section in enumerate(_SECTIONS)}


def _ordered(section: _Section, scope: Scope, after: list[str] | None) -> Select[Any]:
    columns = [getattr(section.model, name) for name in section.key]
    stmt = section.rows(scope)
    if after is not None:
        # keyset paging: a row's place does not move when rows before it come or go between pages
        stmt = stmt.where(columns[0] > after[0] if len(columns) == 1 else tuple_(*columns) > tuple_(*after))
    return stmt.order_by(*columns)


def snapshot_page(
    session: Session, scope: Scope, after: SnapshotKey | None, limit: int
) -> tuple[list[Change], SnapshotKey | None]:
    """At most ``limit`` puts from ``after`` on (the start for ``None``), and where the next page
    starts (``None``: this was the last). ``UnknownKey`` for a key no section here wrote."""
    start = 0
    if after is not None:
        start = _INDEX.get(after.section, -1)
        if start < 0 or len(after.after) not in (0, len(_SECTIONS[start].key)):
            raise UnknownKey(after.section)
    changes: list[Change] = []
    for section in _SECTIONS[start:]:
        room = limit - len(changes)
        if room == 0:  # the page filled up exactly where this section begins
            return changes, SnapshotKey(section=section.name, after=[])
        resume = after.after if after is not None and after.after and section.name == after.section else None
        rows = list(session.scalars(_ordered(section, scope, resume).limit(room + 1)))
        changes += [section.change(row) for row in rows[:room]]
        if len(rows) > room:  # the page is full and this section goes on after its last row
            last = rows[room - 1]
            return changes, SnapshotKey(
                section=section.name, after=[str(getattr(last, k)) for k in section.key]
            )
    return changes, None


def snapshot_of(
    session: Session, family_id: str, children: list[str], parents: Sequence[str] = ()
) -> list[Change]:
    """Every entity the caller may see, as puts, in one read (the reset of protocol 1, the replay's
    and the tests' picture of a scope).

    ``parents`` are the parents whose own notifications are included (the caller, if a parent).
    """
    scope = Scope(family_id, list(children), [*children, *parents])
    # in no order: a device keys what it receives, and sorting a whole section costs (pages must)
    return [section.change(row) for section in _SECTIONS for row in session.scalars(section.rows(scope))]
