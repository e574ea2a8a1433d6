"""Replication and market rows: mutations and their outcomes, the change log, quotes, the outbox."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...requestid import current_request_id
from ..base import Base
from ..sealed import SealedJSON

__all__ = [
    "ChangeLog",
    "DeviceQuote",
    "MutationAlias",
    "MutationAttempt",
    "MutationRow",
    "Outbox",
    "QuoteRow",
    "ServerAction",
]

_BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER keys


class MutationRow(Base):
    """A processed mutation and its outcome, committed with its effects (the idempotency record)."""

    __tablename__ = "mutations"
    __table_args__ = (UniqueConstraint("client_id", "seq", name="uq_mutations_client_seq"),)
    mutation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str | None] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(64))
    # sealed where it holds personal words (an order's ``journal``); ``args_hash`` is of the plain args
    args: Mapped[dict[str, Any]] = mapped_column(SealedJSON("mutations.args"))
    args_hash: Mapped[str] = mapped_column(String(64))
    base_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    device_created_at: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime]
    acted_at: Mapped[datetime | None]
    """When the device recorded it, bounded by the server's clock and the device's order (the
    trading budget counts orders by it; ``server.gateway.budget``). ``None`` on older rows."""
    status: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(30))
    detail: Mapped[dict[str, Any] | None]
    server_seq: Mapped[int | None] = mapped_column(BigInteger)
    inputs: Mapped[dict[str, Any] | None]
    """The market facts the decision read (``SqlBook.inputs``); ``None`` for a refusal, a no-op, or a
    mutation decided before they were recorded (such a log cannot be replayed)."""


Index("ix_mutations_child_acted", MutationRow.child_id, MutationRow.acted_at)


class ServerAction(Base):
    """A change the server decided on its own (a queued order meeting the opening price, a dividend or
    a split reaching a child), with the market facts the decision read: what the mutation log holds
    for a device's decisions, so a replay decides it again in its place (by ``server_seq``)."""

    __tablename__ = "server_actions"
    txn_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the ledger's, shared by siblings
    child_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    ref_id: Mapped[str] = mapped_column(String(64))
    server_seq: Mapped[int | None] = mapped_column(BigInteger)
    inputs: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime]


class MutationAlias(Base):
    """A device's ``(client_id, seq)`` that carried a mutation id first processed under another device
    (the same intent re-queued after a client reset). Its outcome is the original's, or a rejection
    when the arguments differ; the effects exist once, under the original."""

    __tablename__ = "mutation_aliases"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    mutation_id: Mapped[str] = mapped_column(ForeignKey("mutations.mutation_id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(30))
    detail: Mapped[dict[str, Any] | None]
    server_seq: Mapped[int | None] = mapped_column(BigInteger)


class MutationAttempt(Base):
    """Unexpected failures of a mutation, counted outside its rolled-back transaction (poison rule)."""

    __tablename__ = "mutation_attempts"
    mutation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")


class ChangeLog(Base):
    """One committed change, in commit order: the pull cursor is ``server_seq``.

    ``audience`` is the child the row belongs to (its parents see it too), ``p:<parent id>`` for rows
    only that parent sees (its notifications), or ``None`` for rows the whole family may see.
    """

    __tablename__ = "changelog"
    server_seq: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    audience: Mapped[str | None] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(120))
    op: Mapped[str] = mapped_column(String(3))
    data: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON("changelog.data"))
    created_at: Mapped[datetime]
    # random, given as the row is written: the pull's cursor mark (protocol 3). A database restored
    # from a backup writes the lost rows' ``server_seq`` again with other stamps, so a device's mark
    # tells whether its cursor is still the row it was served. ``None`` on rows of older releases.
    stamp: Mapped[int | None] = mapped_column(BigInteger, default=lambda: _stamps.getrandbits(62))


_stamps = random.Random()  # noqa: S311 - no secret: seeded from the OS, it only has to differ


Index("ix_changelog_family_seq", ChangeLog.family_id, ChangeLog.server_seq)


class QuoteRow(Base):
    """An immutable price observation. ``seq`` orders quotes of one symbol (newest = highest)."""

    __tablename__ = "quotes"
    quote_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    as_of: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column(BigInteger)


Index("ix_quotes_symbol_seq", QuoteRow.symbol, QuoteRow.seq)


class DeviceQuote(Base):
    """The newest quote of each symbol the server has served to a device (pull or price endpoint)."""

    __tablename__ = "device_quotes"
    client_id: Mapped[str] = mapped_column(
        ForeignKey("devices.client_id", ondelete="CASCADE"), primary_key=True
    )
    symbol: Mapped[str] = mapped_column(String(20), primary_key=True)
    quote_id: Mapped[str] = mapped_column(String(64))
    quote_seq: Mapped[int] = mapped_column(BigInteger)


class Outbox(Base):
    """Domain events written in the same transaction as their effects, for the notification issue."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[str | None] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON("outbox.payload"))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    # the request that wrote it, so its delivery's log line can be traced back (server.logs)
    request_id: Mapped[str | None] = mapped_column(String(40), default=current_request_id)


# the dispatcher's "undelivered, oldest first" scan must not read every delivered event each pass
Index("ix_outbox_delivered_id", Outbox.delivered_at, Outbox.id)
