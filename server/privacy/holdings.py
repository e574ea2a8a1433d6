"""Where a family's data lives: every table with family rows, how its rows belong to the family and
to one child, what an export shows of them and in which order an erasure deletes them.

One list for export and erase, so a table cannot be exported and forgotten by the eraser (or the
reverse); ``tests/server/test_data_rights.py`` walks ``Base.metadata`` and fails for a table with
family rows that is not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, String, Table, cast, false, or_, select

from ..db.base import Base
from ..db.models import Device, MutationRow, Outbox, User

__all__ = ["HOLDINGS", "NOT_FAMILY", "Holding", "Subject"]


@dataclass(frozen=True)
class Subject:
    """Whose data: a whole family, or one child of it (``child_id``)."""

    family_id: str
    child_id: str | None = None

    def users(self) -> Select[tuple[str]]:
        if self.child_id is not None:
            return select(User.id).where(User.id == self.child_id, User.family_id == self.family_id)
        return select(User.id).where(User.family_id == self.family_id)

    def devices(self) -> Select[tuple[str]]:
        return select(Device.client_id).where(Device.user_id.in_(self.users()))

    def mutations(self) -> Select[tuple[str]]:
        return select(MutationRow.mutation_id).where(_mutation_rows(MutationRow.__table__, self))

    def outbox(self) -> Select[tuple[int]]:
        return select(Outbox.id).where(_family_and(Outbox.__table__, self, "child_id", text="payload"))

    def mentioned(self, column: ColumnElement[object]) -> ColumnElement[bool]:
        """``column`` (a JSON document) names the child somewhere; never for a whole family."""
        if self.child_id is None:
            return false()
        return cast(column, String).contains(self.child_id, autoescape=True)


Where = Callable[[Table, Subject], ColumnElement[bool]]


def _family_and(
    table: Table, s: Subject, *child_columns: str, text: str | None = None
) -> ColumnElement[bool]:
    """Rows of the family; for one child, those whose ``child_columns`` name it (or whose JSON
    column ``text`` mentions it)."""
    family = table.c.family_id == s.family_id
    if s.child_id is None:
        return family
    named = [table.c[name] == s.child_id for name in child_columns]
    if text is not None:
        named.append(s.mentioned(table.c[text]))
    return family & or_(*named)


def _by(*child_columns: str, text: str | None = None) -> Where:
    return lambda table, s: _family_and(table, s, *child_columns, text=text)


def _family_only(table: Table, s: Subject) -> ColumnElement[bool]:
    """The family's own contract (a subscription): no child's data, so never in a child's export."""
    return table.c.family_id == s.family_id if s.child_id is None else false()


def _mutation_rows(table: Table, s: Subject) -> ColumnElement[bool]:
    return _family_and(table, s, "child_id", "user_id", text="args")


def _family_row(table: Table, s: Subject) -> ColumnElement[bool]:
    # a child's export shows the family it belongs to; erasing a child keeps the family
    return table.c.id == s.family_id


def _users(table: Table, s: Subject) -> ColumnElement[bool]:
    return table.c.id.in_(s.users())


def _of_users(table: Table, s: Subject) -> ColumnElement[bool]:
    return table.c.user_id.in_(s.users())


def _of_devices(table: Table, s: Subject) -> ColumnElement[bool]:
    return table.c.client_id.in_(s.devices())


def _aliases(table: Table, s: Subject) -> ColumnElement[bool]:
    return table.c.mutation_id.in_(s.mutations()) | table.c.client_id.in_(s.devices())


def _attempts(table: Table, s: Subject) -> ColumnElement[bool]:
    return table.c.mutation_id.in_(s.mutations())


def _deliveries(table: Table, s: Subject) -> ColumnElement[bool]:
    return table.c.user_id.in_(s.users()) | table.c.outbox_id.in_(s.outbox())


@dataclass(frozen=True)
class Holding:
    """One table's family rows.

    ``withheld`` says why an export leaves the table out (credentials, the server's own copies);
    ``secret`` names columns an export never shows (hashes, ciphertext, device tokens).
    ``erase_child`` is false for the rows a child's erasure keeps (its family's own row).
    """

    table: str
    where: Where
    withheld: str = ""
    secret: tuple[str, ...] = ()
    erase_child: bool = True

    @property
    def sa_table(self) -> Table:
        return Base.metadata.tables[self.table]

    def rows_of(self, subject: Subject) -> ColumnElement[bool]:
        return self.where(self.sa_table, subject)


# In erasure order: a row goes before the rows it refers to (by key or by a subquery here).
HOLDINGS: tuple[Holding, ...] = (
    Holding("erasures", _by("child_id")),
    Holding("device_quotes", _of_devices),
    Holding("mutation_aliases", _aliases),
    Holding("mutation_attempts", _attempts, withheld="the server's retry counters for failed mutations"),
    Holding("deliveries", _deliveries),
    Holding("notifications", _by("user_id", "child_id")),
    Holding("outbox", _by("child_id", text="payload")),
    Holding(
        "changelog",
        _by("audience", "entity_id", text="data"),
        withheld="the replication log: copies of the rows in this export, in the order they changed",
    ),
    Holding("mutations", _mutation_rows),
    Holding("server_actions", _by("child_id")),
    Holding("corporate_action_applications", _by("child_id")),
    Holding("payouts", _by("child_id")),
    Holding("bank_accounts", _by("user_id"), secret=("number_ct",)),
    Holding("subscription_charges", _family_only, secret=("payment_key",)),
    Holding("subscriptions", _family_only, secret=("customer_key", "billing_key")),
    Holding("notification_prefs", _by("user_id")),
    Holding("push_targets", _by("user_id"), secret=("token",)),
    Holding("phone_numbers", _by("user_id"), secret=("code_hash",)),
    Holding("missions", _by("child_id")),
    Holding("ledger_entries", _by("child_id")),
    Holding("balances", _by("child_id")),
    Holding("positions", _by("child_id")),
    Holding("trades", _by("child_id")),
    Holding("allowance_requests", _by("child_id")),
    Holding("child_state", _by("child_id")),
    Holding("house_rules", _by("child_id")),
    Holding("pairing_codes", _by("child_id"), withheld="single-use enrolment codes (credentials)"),
    Holding("refresh_tokens", _of_users, withheld="sign-in sessions (hashes of credentials)"),
    Holding("devices", _of_users),
    Holding("users", _users, secret=("password_hash", "pin_hash", "email_hash")),
    Holding("families", _family_row, erase_child=False),
)

NOT_FAMILY: dict[str, str] = {
    "server_meta": "the server's own facts",
    "corporate_actions": "market data: dividends and splits of listed companies",
    "quotes": "market data",
    "market_bars": "market data",
    "watched_symbols": "market data: the symbols the server keeps priced",
    "operator_actions": "the operator's audit log (opaque ids; an erasure clears the family's)",
}
"""Tables without family rows, and why: the completeness test requires every table in one list."""
