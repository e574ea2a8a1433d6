"""The typed context of one pass through the gateway: one write transaction (a push, or one REST
change) and what it has learnt so far, so no fact is looked up twice within it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from ..db.models import User
from ..game.book import SqlBook
from ..game.writer import WriteBehind, change_log_head
from ..market.clock import MarketClock
from ..principal import Principal
from .budget import TradingBudget
from .ids import Claims

__all__ = ["Call"]

# built once (Core, two columns): the ORM's get of the whole user cost several times the lookup
_MEMBER = select(User.family_id, User.role).where(User.id == bindparam("user"))


@dataclass
class Call:
    """Who calls, through which device, at what server time, inside which transaction.

    ``client_id`` is where outcomes are recorded (a device, or ``rest:<user>`` for REST);
    ``served_client_id`` the device whose served quotes the fill rule consults. With ``behind`` the
    effects are held until the end of the push (``WriteBehind``); without it each mutation writes
    at once, in its own savepoint.
    """

    session: Session
    principal: Principal
    family_id: str
    now: datetime
    market_clock: MarketClock
    client_id: str
    served_client_id: str | None
    budget: TradingBudget | None
    claims: Claims
    behind: WriteBehind | None = None
    market: Callable[[], Any] | None = None  # the provider chain, for whether a stock still trades
    acted: dict[str, datetime] = field(default_factory=dict)  # mutation id → when made (see budget)
    # what the transaction learnt
    _children: dict[str, bool] = field(default_factory=dict)
    _books: dict[str, SqlBook] = field(default_factory=dict)
    last_applied: str | None = None  # the last mutation that changed something, in this transaction
    _head: int | None = None
    _connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for Core statements: the session's, asked for once (each
        ``Session.connection()`` walks the ORM's transaction state, several times per push)."""
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    def child_in_family(self, child_id: str | None) -> bool:
        """``child_id`` names a child of the caller's family (looked up once per transaction)."""
        if child_id is None:
            return False
        if child_id not in self._children:
            user = self.connection.execute(_MEMBER, {"user": child_id}).first()
            self.read_user(child_id, user.family_id if user else None, user.role if user else None)
        return self._children[child_id]

    def read_user(self, user_id: str, family_id: str | None, role: str | None) -> None:
        """A user's family and role as read in this transaction (``None``: no such user), so that
        :meth:`child_in_family` need not read them again (a push reads its own user with its device)."""
        self._children[user_id] = family_id == self.family_id and role == "child"

    def book(self, child_id: str) -> SqlBook:
        """The child's book for this transaction: its reads are kept for every later mutation."""
        if child_id not in self._books:
            book = SqlBook(
                self.session,
                family_id=self.family_id,
                child_id=child_id,
                client_id=self.served_client_id,
                now=self.now,
                market_clock=self.market_clock,
                market=self.market,
            )
            if self.behind is not None:  # a batched push: the orders it places exist nowhere yet
                book.absent_trades(self.claims.new_ids("trade"))
            self._books[child_id] = book
        return self._books[child_id]

    def children(self) -> list[str]:
        """The children whose books this transaction read or changed (their missions are checked
        once it commits: ``server.missions``)."""
        return sorted(self._books)

    def forget_books(self) -> None:
        """After a failed write: what the books held may no longer match the database."""
        self._books.clear()

    def head(self) -> int:
        """The family's newest change-log ``server_seq`` before this transaction wrote anything."""
        if self._head is None:
            self._head = change_log_head(self.session, self.family_id)
        return self._head
