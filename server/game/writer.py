"""Posting a decision: ledger entries, balances, records, change-log rows and outbox events.

Everything here runs inside the caller's write transaction, so a decision's effects, its outcome
and the device's ``last_seq`` become visible together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.book import Effects
from sync.ledger import account_spec
from sync.records import Position, Request, Stats, Trade
from sync.rules import HouseRules

from ..db.models import (
    Balance,
    ChangeLog,
    ChildState,
    LedgerEntry,
    Outbox,
    PositionRow,
    RequestRow,
    RulesVersion,
    TradeRow,
)

__all__ = ["Posting", "log_change", "post_effects"]

# Core statements on the tables, built once: the ORM-enabled insert/update path costs several times
# more per statement, and one trade writes about a dozen of these rows (see bench/).
_BALANCES = Balance.__table__
_LOG = ChangeLog.__table__
_LOG_INSERT = _LOG.insert().returning(_LOG.c.server_seq, sort_by_parameter_order=True)
_ENTRY_INSERT = LedgerEntry.__table__.insert()
# the CHECK constraint refuses a balance that may not go negative: a rule bug cannot overdraw
_BALANCE_ADD = (
    _BALANCES.update()
    .where(_BALANCES.c.child_id == bindparam("c"), _BALANCES.c.account == bindparam("a"))
    .values(balance=_BALANCES.c.balance + bindparam("d"))
    .returning(_BALANCES.c.balance)
)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(session: Session, model: type, values: dict[str, Any]) -> None:
    """Insert the row, or overwrite its non-key columns when its primary key exists.

    The statement is built once per table and backend (both speak ``ON CONFLICT … DO UPDATE``).
    """
    table: Table = model.__table__  # type: ignore[attr-defined]
    backend = session.get_bind().dialect.name
    statement = _UPSERTS.get((backend, table.name))
    if statement is None:
        dialect = postgresql if backend == "postgresql" else sqlite
        keys = [column.name for column in table.primary_key]
        insert = dialect.insert(table)
        changes = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = insert.on_conflict_do_update(index_elements=keys, set_=changes)
        _UPSERTS[(backend, table.name)] = statement
    session.connection().execute(statement, values)


@dataclass(frozen=True)
class Posting:
    """Who and what a set of effects belongs to, for the ledger's audit columns."""

    family_id: str
    child_id: str
    txn_id: str
    actor_id: str
    kind: str
    ref_id: str | None = None
    reason: str | None = None


def log_change(
    session: Session,
    family_id: str,
    audience: str | None,
    entity: str,
    entity_id: str,
    data: dict[str, Any] | None,
    now: datetime,
    op: str = "put",
) -> int:
    """Append one change-log row; returns its ``server_seq`` (the pull cursor)."""
    row = {
        "family_id": family_id,
        "audience": audience,
        "entity": entity,
        "entity_id": entity_id,
        "op": op,
        "data": data,
        "created_at": now,
    }
    return int(session.connection().execute(_LOG_INSERT, [row]).scalar_one())


def _builtins(record: object) -> dict[str, Any]:
    data = msgspec.to_builtins(record)
    assert isinstance(data, dict)
    return data


def _post_entries(session: Session, p: Posting, effects: Effects, now: datetime) -> dict[str, int]:
    if not effects.entries:
        return {}
    totals: dict[str, int] = {}
    for entry in effects.entries:
        totals[entry.account] = totals.get(entry.account, 0) + entry.amount
    db = session.connection()
    db.execute(
        _ENTRY_INSERT,
        [
            {
                "family_id": p.family_id,
                "child_id": p.child_id,
                "txn_id": p.txn_id,
                "account": e.account,
                "amount": e.amount,
                "actor_id": p.actor_id,
                "kind": p.kind,
                "ref_id": p.ref_id,
                "reason": p.reason,
                "created_at": now,
            }
            for e in effects.entries
        ],
    )
    changed: dict[str, int] = {}
    for account, delta in totals.items():
        new = db.execute(_BALANCE_ADD, {"c": p.child_id, "a": account, "d": delta}).scalar()
        if new is None:  # the account's first posting
            spec = account_spec(account)
            new = delta
            db.execute(
                _BALANCES.insert(),
                {
                    "child_id": p.child_id,
                    "account": account,
                    "family_id": p.family_id,
                    "ledger": spec.ledger.value,
                    "unit": spec.unit,
                    "may_go_negative": spec.may_go_negative,
                    "balance": new,
                },
            )
        changed[account] = int(new)
    return changed


def _post_record(
    session: Session, p: Posting, record: object, now: datetime
) -> tuple[str, str, dict[str, Any]]:
    """Store one record; returns its change-log (entity, id, data)."""
    fam, child = p.family_id, p.child_id
    if isinstance(record, Position):
        values = {
            "child_id": child,
            "symbol": record.symbol,
            "family_id": fam,
            "quantity": record.quantity,
            "cost": record.cost,
        }
        _upsert(session, PositionRow, values)
        return "position", f"{child}:{record.symbol}", {"child_id": child, **_builtins(record)}
    if isinstance(record, Trade):
        data = _builtins(record)
        values = {
            "trade_id": record.trade_id,
            "family_id": fam,
            "child_id": child,
            "symbol": record.symbol,
            "status": record.status.value,
            "created_at": record.created_at,
            "data": data,
        }
        _upsert(session, TradeRow, values)
        return "trade", record.trade_id, data
    if isinstance(record, Request):
        data = _builtins(record)
        values = {
            "request_id": record.request_id,
            "family_id": fam,
            "child_id": child,
            "status": record.status.value,
            "created_at": record.created_at,
            "data": data,
        }
        _upsert(session, RequestRow, values)
        return "request", record.request_id, data
    if isinstance(record, Stats):
        values = {
            "child_id": child,
            "family_id": fam,
            "invested": record.invested,
            "realised": record.realised,
            "converted": record.converted,
        }
        _upsert(session, ChildState, values)
        return "stats", child, _builtins(record)
    if isinstance(record, HouseRules):
        version = (
            session.scalar(select(func.max(RulesVersion.version)).where(RulesVersion.child_id == child)) or 0
        ) + 1
        data = _builtins(record)
        session.add(
            RulesVersion(
                child_id=child, version=version, family_id=fam, effective_at=now, set_by=p.actor_id, data=data
            )
        )
        session.flush()
        return "rules", child, {"child_id": child, "version": version, **data}
    raise TypeError(f"unknown record {type(record).__name__}")


def post_effects(session: Session, p: Posting, effects: Effects, now: datetime) -> int | None:
    """Write ``effects``; returns the last change-log ``server_seq`` written (``None`` if nothing changed)."""
    changes: list[tuple[str, str, dict[str, Any]]] = [
        (
            "balance",
            f"{p.child_id}:{account}",
            {"child_id": p.child_id, "account": account, "balance": value},
        )
        for account, value in _post_entries(session, p, effects, now).items()
    ]
    changes += [_post_record(session, p, record, now) for record in effects.records]
    last: int | None = None
    if changes:
        rows = [
            {
                "family_id": p.family_id,
                "audience": p.child_id,
                "entity": entity,
                "entity_id": entity_id,
                "op": "put",
                "data": data,
                "created_at": now,
            }
            for entity, entity_id, data in changes
        ]
        last = max(session.connection().execute(_LOG_INSERT, rows).scalars())
    if effects.events:
        session.connection().execute(
            Outbox.__table__.insert(),
            [
                {
                    "family_id": p.family_id,
                    "child_id": p.child_id,
                    "event": name,
                    "payload": {**payload, "txn_id": p.txn_id, "actor_id": p.actor_id},
                    "created_at": now,
                }
                for name, payload in effects.events
            ],
        )
    return last
