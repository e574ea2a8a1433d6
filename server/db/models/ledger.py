"""A child's game: balances and their entries, positions, trades, requests, rules and totals.

Balances are kept in a table updated in the same transaction as the entries; CHECK constraints
refuse a negative balance on an account that may not go negative (the last line of defence behind
the rules in ``sync``). Records are stored whole as JSON documents beside the columns we query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..sealed import SealedJSON

__all__ = ["Balance", "ChildState", "LedgerEntry", "PositionRow", "RequestRow", "RulesVersion", "TradeRow"]


def _child_fk() -> ForeignKey:
    return ForeignKey("users.id", ondelete="CASCADE")


def _family_fk() -> ForeignKey:
    return ForeignKey("families.id", ondelete="CASCADE")


class Balance(Base):
    __tablename__ = "balances"
    __table_args__ = (CheckConstraint("may_go_negative OR balance >= 0", name="no_overdraft"),)
    child_id: Mapped[str] = mapped_column(_child_fk(), primary_key=True)
    account: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(_family_fk(), index=True)
    ledger: Mapped[str] = mapped_column(String(4))
    unit: Mapped[str] = mapped_column(String(20))
    may_go_negative: Mapped[bool]
    balance: Mapped[int] = mapped_column(BigInteger)


class LedgerEntry(Base):
    """One immutable posting. ``txn_id`` groups the entries of one decision (the mutation id)."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    family_id: Mapped[str] = mapped_column(_family_fk(), index=True)
    child_id: Mapped[str] = mapped_column(_child_fk())
    txn_id: Mapped[str] = mapped_column(String(64), index=True)
    account: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))  # the mutation or server action that posted it
    ref_id: Mapped[str | None] = mapped_column(String(64))  # the trade, request or grant it belongs to
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


Index("ix_ledger_entries_child_account", LedgerEntry.child_id, LedgerEntry.account)
# the duplicate-grant check looks a grant up by reference on every family.grant
Index("ix_ledger_entries_child_ref", LedgerEntry.child_id, LedgerEntry.ref_id)


class PositionRow(Base):
    __tablename__ = "positions"
    child_id: Mapped[str] = mapped_column(_child_fk(), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(20), primary_key=True)
    family_id: Mapped[str] = mapped_column(_family_fk(), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)


class TradeRow(Base):
    __tablename__ = "trades"
    trade_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(_family_fk(), index=True)
    child_id: Mapped[str] = mapped_column(_child_fk(), index=True)
    symbol: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime]
    # the trade's ``journal`` (the child's own sentence) is sealed; ids and amounts stay plain
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON("trades.data"))


# the trades-per-day rule counts one day of a child's trades on every trade.place
Index("ix_trades_child_created", TradeRow.child_id, TradeRow.created_at)


class RequestRow(Base):
    __tablename__ = "allowance_requests"
    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(_family_fk(), index=True)
    child_id: Mapped[str] = mapped_column(_child_fk(), index=True)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class ChildState(Base):
    """Running totals of a child's game (``sync.records.Stats``)."""

    __tablename__ = "child_state"
    child_id: Mapped[str] = mapped_column(_child_fk(), primary_key=True)
    family_id: Mapped[str] = mapped_column(_family_fk(), index=True)
    invested: Mapped[int] = mapped_column(BigInteger, default=0)
    realised: Mapped[int] = mapped_column(BigInteger, default=0)
    converted: Mapped[int] = mapped_column(BigInteger, default=0)


class RulesVersion(Base):
    """House rules, versioned: a change applies to mutations received after ``effective_at``."""

    __tablename__ = "house_rules"
    child_id: Mapped[str] = mapped_column(_child_fk(), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[str] = mapped_column(_family_fk(), index=True)
    effective_at: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]
