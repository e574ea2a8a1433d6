"""Posting a decision: ledger entries, balances, records, change-log rows and outbox events.

Everything here runs inside the caller's write transaction, so a decision's effects, its outcome
and the device's ``last_seq`` become visible together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import bindparam, func, select
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
_LOG_INSERT = ChangeLog.__table__.insert().returning(ChangeLog.__table__.c.server_seq)
_ENTRY_INSERT = LedgerEntry.__table__.insert()
_BALANCE_UPDATE = (
    _BALANCES.update()
    .where(_BALANCES.c.child_id == bindparam("c"), _BALANCES.c.account == bindparam("a"))
    .values(balance=bindparam("balance"))
)


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
    return int(session.connection().execute(_LOG_INSERT, row).scalar_one())


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
    rows = db.execute(
        select(_BALANCES.c.account, _BALANCES.c.balance).where(
            _BALANCES.c.child_id == p.child_id, _BALANCES.c.account.in_(list(totals))
        )
    )
    existing = {account: balance for account, balance in rows}
    changed: dict[str, int] = {}
    for account, delta in totals.items():
        spec = account_spec(account)
        if account in existing:
            new = existing[account] + delta
            db.execute(_BALANCE_UPDATE, {"c": p.child_id, "a": account, "balance": new})
        else:
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
        if new < 0 and not spec.may_go_negative:
            raise ValueError(f"{account} would go negative")  # rules check first; this is a bug guard
        changed[account] = new
    return changed


def _upsert(session: Session, model: type, key: dict[str, Any], values: dict[str, Any]) -> None:
    row = session.get(model, tuple(key.values()) if len(key) > 1 else next(iter(key.values())))
    if row is None:
        session.add(model(**key, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()


def _post_record(
    session: Session, p: Posting, record: object, now: datetime
) -> tuple[str, str, dict[str, Any]]:
    """Store one record; returns its change-log (entity, id, data)."""
    fam, child = p.family_id, p.child_id
    if isinstance(record, Position):
        values = {"family_id": fam, "quantity": record.quantity, "cost": record.cost}
        _upsert(session, PositionRow, {"child_id": child, "symbol": record.symbol}, values)
        return "position", f"{child}:{record.symbol}", {"child_id": child, **_builtins(record)}
    if isinstance(record, Trade):
        data = _builtins(record)
        values = {
            "family_id": fam,
            "child_id": child,
            "symbol": record.symbol,
            "status": record.status.value,
            "created_at": record.created_at,
            "data": data,
        }
        _upsert(session, TradeRow, {"trade_id": record.trade_id}, values)
        return "trade", record.trade_id, data
    if isinstance(record, Request):
        data = _builtins(record)
        values = {
            "family_id": fam,
            "child_id": child,
            "status": record.status.value,
            "created_at": record.created_at,
            "data": data,
        }
        _upsert(session, RequestRow, {"request_id": record.request_id}, values)
        return "request", record.request_id, data
    if isinstance(record, Stats):
        values = {
            "family_id": fam,
            "invested": record.invested,
            "realised": record.realised,
            "converted": record.converted,
        }
        _upsert(session, ChildState, {"child_id": child}, values)
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
    last: int | None = None
    for account, balance in _post_entries(session, p, effects, now).items():
        data = {"child_id": p.child_id, "account": account, "balance": balance}
        last = log_change(session, p.family_id, p.child_id, "balance", f"{p.child_id}:{account}", data, now)
    for record in effects.records:
        entity, entity_id, data = _post_record(session, p, record, now)
        last = log_change(session, p.family_id, p.child_id, entity, entity_id, data, now)
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
